package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ultramarket/ultramarket/internal/datadir"
)

// ErrDirInUse reports a data dir held by another process.
var ErrDirInUse = datadir.ErrInUse

// PrepareDataDir creates dir when missing and checks it is a writable directory.
func PrepareDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("data dir %s is not a directory", dir)
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("data dir %s cannot be created: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	return nil
}

// AdminSocketPath returns where the running server listens for admin commands: <data>/admin.sock,
// or, when that path is too long for a Unix socket, a file in the temp dir named after the
// data dir's absolute path. Server and CLI compute the same path.
func AdminSocketPath(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	p := filepath.Join(abs, "admin.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "ultramarket-"+hex.EncodeToString(sum[:8])+".sock")
}
