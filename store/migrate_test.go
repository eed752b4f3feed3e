package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// useMigrations replaces the build's migration list for one test.
func useMigrations(t *testing.T, list []Migration) {
	t.Helper()
	old := migrations
	migrations = list
	t.Cleanup(func() { migrations = old })
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	const dir = "shop-data/kv"
	fs := vfs.NewMem()
	var ran []string
	step := func(name string, fail *bool) func(tx *Tx) error {
		return func(tx *Tx) error {
			if fail != nil && *fail {
				return errors.New("cannot convert")
			}
			ran = append(ran, name)
			// Each step sees the previous steps' writes.
			prev, err := tx.Get([]byte("m/log"))
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			tx.Set([]byte("m/log"), append(prev, name...))
			return nil
		}
	}
	open := func(readOnly bool) (*DB, error) {
		return Open(ctx, Config{Dir: dir, FS: fs, DiskGuardOff: true, Logger: quietLogger(), ReadOnly: readOnly})
	}
	storedVersion := func(db *DB) uint64 {
		v, err := db.readUint64(keySchemaVersion)
		must(t, err)
		return v
	}
	fail := true
	useMigrations(t, []Migration{
		{Version: 1, Name: "one", Up: step("1", nil)},
		{Version: 2, Name: "two", Up: step("2", nil)},
		{Version: 3, Name: "three", Up: step("3", &fail)},
	})

	// A failing migration stops Open; the ones before it stay applied.
	if db, err := open(false); err == nil {
		db.Close()
		t.Fatal("Open succeeded with a failing migration")
	} else if !strings.Contains(err.Error(), "migration 3 (three)") || !strings.Contains(err.Error(), "cannot convert") {
		t.Fatalf("Open error = %v", err)
	}
	if strings.Join(ran, ",") != "1,2" {
		t.Fatalf("ran %v", ran)
	}

	// Fixed: only the pending one runs, in order, once.
	fail = false
	ran = nil
	db, err := open(false)
	must(t, err)
	if strings.Join(ran, ",") != "3" || storedVersion(db) != 3 {
		t.Fatalf("ran %v, version %d", ran, storedVersion(db))
	}
	if v, err := getKey(t, db, "m/log"); err != nil || v != "123" {
		t.Fatalf("m/log = %q %v", v, err)
	}
	must(t, db.Close())

	ran = nil
	db, err = open(false)
	must(t, err)
	if len(ran) != 0 {
		t.Fatalf("re-open ran migrations again: %v", ran)
	}
	must(t, db.Close())

	// An older build (knowing only version 1) refuses the newer store and names its dir.
	useMigrations(t, []Migration{{Version: 1, Name: "one", Up: step("1", nil)}})
	if SchemaVersion() != 1 {
		t.Fatalf("SchemaVersion = %d", SchemaVersion())
	}
	for _, readOnly := range []bool{false, true} {
		db, err := open(readOnly)
		if err == nil {
			db.Close()
			t.Fatalf("readOnly=%v: an older build opened a newer store", readOnly)
		}
		if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "schema version 3") {
			t.Fatalf("readOnly=%v: error %q does not name the dir and version", readOnly, err)
		}
	}
	if len(ran) != 0 {
		t.Fatalf("older build ran migrations: %v", ran)
	}
}

func TestBuildMigrationsAreOrdered(t *testing.T) {
	for i, m := range migrations {
		if m.Version != uint64(i+1) || m.Name == "" || m.Up == nil {
			t.Fatalf("migration %d: version %d name %q", i, m.Version, m.Name)
		}
	}
	db := openMem(t, vfs.NewMem())
	v, err := db.readUint64(keySchemaVersion)
	if err != nil || v != SchemaVersion() {
		t.Fatalf("stored schema version %d (%v), want %d", v, err, SchemaVersion())
	}
}
