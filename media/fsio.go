package media

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/ultramarket/ultramarket/commerce"
)

// writeFile atomically writes data to the root-relative path name: it writes a temporary
// file in tmp/, syncs it, renames it into place and syncs the directory, so a crash leaves
// either the old state or the complete file, never a partial one.
func (s *Store) writeFile(name string, data []byte) error {
	return writeAtomic(s.root, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic writes name under root through fill, using tmp/ of the same root (created when
// missing) for the temporary file.
func writeAtomic(root *os.Root, name string, fill func(io.Writer) error) (err error) {
	dir := path.Dir(name)
	if _, err := mkdirAllSynced(root, dir); err != nil {
		return err
	}
	if err := root.MkdirAll(dirTmp, 0o750); err != nil {
		return err
	}
	tmp := dirTmp + "/" + commerce.NewSecret(12) + ".tmp"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err = root.Rename(tmp, name); err != nil {
		return err
	}
	if err = syncDir(root, dir); err != nil {
		return err
	}
	return nil
}

// mkdirAllSynced creates dir (root-relative) and its missing parents, syncing each parent
// whose entries changed so the new directories survive a crash. It reports whether it
// created anything.
func mkdirAllSynced(root *os.Root, dir string) (bool, error) {
	if dir == "." || dir == "" {
		return false, nil
	}
	if fi, err := root.Stat(dir); err == nil {
		if !fi.IsDir() {
			return false, fmt.Errorf("%s is not a directory", dir)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if _, err := mkdirAllSynced(root, path.Dir(dir)); err != nil {
		return false, err
	}
	if err := root.Mkdir(dir, 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return false, err
	}
	return true, syncDir(root, path.Dir(dir))
}

// syncDir fsyncs the root-relative directory dir so entries created or renamed in it are
// durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
