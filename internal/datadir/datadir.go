// Package datadir owns the data dir's process lock: an exclusive flock on <dir>/LOCK, held for
// as long as a process uses the dir (the server, an offline admin command, a restore), so two
// processes never open the same store.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the lock file's name inside the data dir.
const LockName = "LOCK"

// ErrInUse reports a data dir locked by another process.
var ErrInUse = errors.New("data dir is in use by another ultramarket process")

// Lock is a held data dir lock.
type Lock struct{ f *os.File }

// Acquire takes the lock on dir without waiting. With create it makes the lock file when
// missing and records this process's pid in it; without, the dir is left exactly as it was
// and a missing lock file returns (nil, nil): no process ever used the dir.
// A held lock gives ErrInUse naming the dir and, when known, the holder's pid.
func Acquire(dir string, create bool) (*Lock, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), flags, 0o600)
	switch {
	case !create && errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, syscall.ENOTDIR):
		return nil, fmt.Errorf("data dir %s is not a directory", dir)
	case err != nil:
		return nil, fmt.Errorf("data dir %s: open lock file: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if pid > 0 {
				return nil, fmt.Errorf("%w: %s (pid %d)", ErrInUse, dir, pid)
			}
			return nil, fmt.Errorf("%w: %s", ErrInUse, dir)
		}
		return nil, fmt.Errorf("data dir %s: lock: %w", dir, err)
	}
	if create { // a taker that may write the dir records who holds it
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
	}
	return &Lock{f: f}, nil
}

func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid
}

// Release drops the lock. It is safe on a nil Lock and idempotent.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}
