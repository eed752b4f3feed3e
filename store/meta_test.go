package store

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestSecretIsCreatedOnceAndKept(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openMem(t, fs)
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := db.Secret(ctx, "jwt_secret", 32)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	wg.Wait()
	for _, s := range got[1:] {
		if !bytes.Equal(s, got[0]) || len(s) != 32 {
			t.Fatalf("concurrent callers got different secrets: %x vs %x", s, got[0])
		}
	}
	other, err := db.Secret(ctx, "other", 32)
	if err != nil || bytes.Equal(other, got[0]) {
		t.Fatalf("a second name must get its own secret: %x %v", other, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(ctx, Config{Dir: "db", FS: fs, DiskGuardOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	again, err := db2.Secret(ctx, "jwt_secret", 32)
	if err != nil || !bytes.Equal(again, got[0]) {
		t.Fatalf("secret changed across a restart: %x %v", again, err)
	}
	if _, err := db2.Secret(ctx, "jwt_secret", 64); err == nil {
		t.Error("a stored secret shorter than asked for must be an error")
	}
}
