package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAcquire(t *testing.T) {
	dir := t.TempDir()
	if l, err := Acquire(dir, false); l != nil || err != nil {
		t.Fatalf("no lock file, create=false: %v %v, want nil nil", l, err)
	}
	l, err := Acquire(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, true)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second Acquire: %v, want ErrInUse naming the dir and pid", err)
	}
	if _, err := Acquire(dir, false); !errors.Is(err, ErrInUse) {
		t.Fatalf("Acquire without create on a held lock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir, false)
	if err != nil || again == nil {
		t.Fatalf("after Release: %v %v", again, err)
	}
	again.Release()

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(file, true); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("a file as data dir: %v", err)
	}
}
