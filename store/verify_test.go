package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// seedVerify writes a small healthy store through Update: products with their events, a
// user with its e-mail row, a meta value, and an acknowledged prefix of the outbox.
func seedVerify(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	cat := NewCatalog(db)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		p := catalog.Product{ID: "p" + strconv.Itoa(i), Title: "Product " + strconv.Itoa(i), CreatedAt: at, UpdatedAt: at}
		if err := cat.SaveProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		if err := putJSON(tx, Key(prefixUser, "u1"), map[string]string{"id": "u1", "email": "a@example.com"}); err != nil {
			return err
		}
		tx.Set(emailKey("A@example.com"), []byte("u1"))
		tx.Set(Key(prefixMeta, "instance"), []byte("raw, not a codec value"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AckOutbox(ctx, 2); err != nil {
		t.Fatal(err)
	}
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerify(t *testing.T) {
	scenarios := []struct {
		name    string
		corrupt func(t *testing.T, tx *Tx) // nil: the healthy seed only
		wantErr []string                   // substrings of the error; nil: no error
	}{
		{name: "healthy"},
		{
			name:    "bad version byte",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set(Key("catalog/product/", "x"), []byte{9, '{'}) },
			wantErr: []string{`key "catalog/product/x"`, "unknown codec version 9"},
		},
		{
			name:    "body is not JSON",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set(Key(prefixUser, "u2"), []byte{codecJSONv1, '{'}) },
			wantErr: []string{`key "auth/user/u2"`, "cannot decode"},
		},
		{
			name:    "empty codec value",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set(Key(prefixProduct, "y"), nil) },
			wantErr: []string{`key "catalog/product/y"`, "empty value"},
		},
		{
			name:    "unknown keyspace",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set([]byte("zzz/1"), mustEncode(t, 1)) },
			wantErr: []string{`key "zzz/1"`, "outside every keyspace"},
		},
		{
			name:    "unknown sys key",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set([]byte("sys/other"), encodeUint64(1)) },
			wantErr: []string{`key "sys/other"`, "outside every keyspace"},
		},
		{
			name: "event seq differs from its key",
			corrupt: func(t *testing.T, tx *Tx) {
				tx.Set(outboxKey(4), mustEncode(t, commerce.Event{ID: "e4", Seq: 7, Type: "catalog.product_updated"}))
			},
			wantErr: []string{"key outbox/4", "event e4 holds seq 7"},
		},
		{
			name: "outbox row above sys/outbox_seq",
			corrupt: func(t *testing.T, tx *Tx) {
				tx.Set(outboxKey(99), mustEncode(t, commerce.Event{ID: "e99", Seq: 99}))
			},
			wantErr: []string{"key outbox/99", "seq above sys/outbox_seq = 5"},
		},
		{
			name:    "outbox key is not a seq",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set([]byte("outbox/x"), mustEncode(t, commerce.Event{})) },
			wantErr: []string{`key "outbox/x"`, "not an 8-byte seq"},
		},
		{
			name:    "empty e-mail row",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set(emailKey("b@example.com"), nil) },
			wantErr: []string{`key "auth/email/b@example.com"`, "empty user ID"},
		},
		{
			name:    "schema version missing",
			corrupt: func(t *testing.T, tx *Tx) { tx.Delete([]byte(keySchemaVersion)) },
			wantErr: []string{"sys/schema_version: missing"},
		},
		{
			name:    "schema version newer than the build",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set([]byte(keySchemaVersion), encodeUint64(SchemaVersion()+1)) },
			wantErr: []string{"newer than this build"},
		},
		{
			name:    "schema version does not decode",
			corrupt: func(t *testing.T, tx *Tx) { tx.Set([]byte(keySchemaVersion), []byte{1, 2}) },
			wantErr: []string{"sys/schema_version or sys/outbox_seq does not decode"},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "kv")
			db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true})
			if err != nil {
				t.Fatal(err)
			}
			seedVerify(t, db)
			if sc.corrupt != nil {
				if err := db.Update(ctx, func(tx *Tx) error { sc.corrupt(t, tx); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			before := hashTree(t, dir)

			rep, err := Verify(ctx, dir)

			if after := hashTree(t, dir); !equalMaps(before, after) {
				t.Errorf("Verify changed the store's files:\nbefore %v\nafter  %v", before, after)
			}
			if sc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := map[string]int{
					keySchemaVersion: 1, keyOutboxSeq: 1, prefixMeta: 1,
					prefixOutbox: 3, prefixProduct: 5, prefixUser: 1, prefixUserEmail: 1,
					prefixProductList:     15, // 5 products x the whole catalog x 3 orders, no status
					prefixProductVariants: 5,
				}
				if !equalMaps(rep.Keyspaces, want) {
					t.Errorf("Keyspaces = %v, want %v", rep.Keyspaces, want)
				}
				if rep.Keys != 33 || rep.OutboxRows != 3 || rep.OutboxSeq != 5 || rep.SchemaVersion != SchemaVersion() || rep.Bytes <= 0 {
					t.Errorf("report = %+v", rep)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify passed; want an error with %q", sc.wantErr)
			}
			for _, s := range sc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the directory", err)
			}
		})
	}
}

func TestVerifyMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing")
	_, err := Verify(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Verify of a missing dir: %v", err)
	}
	if _, statErr := os.Stat(dir); !errors.Is(statErr, fs.ErrNotExist) {
		t.Errorf("Verify created %s", dir)
	}
}

func TestVerifyCorruptErrorWraps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error {
		for i := range maxVerifyProblems + 7 {
			tx.Set(Key("junk/", strconv.Itoa(i)), []byte("x"))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Verify(ctx, dir)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v does not wrap ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), "57 problems") || !strings.Contains(err.Error(), "and 7 more") {
		t.Errorf("error does not count the problems it leaves out: %v", err)
	}
}

// TestVerifyKnowsEveryKeyspace keeps verifyKeyspaces in step with the constants of keys.go:
// every prefix or key constant is either checked by Verify or the parent of one that is.
func TestVerifyKnowsEveryKeyspace(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "prefix") && !strings.HasPrefix(name.Name, "key") || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			v, _ := strconv.Unquote(lit.Value)
			n++
			known := false
			for _, ks := range verifyKeyspaces {
				if ks.prefix == v || strings.HasPrefix(ks.prefix, v) {
					known = true
				}
			}
			if !known {
				t.Errorf("keys.go declares %s = %q, which Verify does not know: add it to verifyKeyspaces", name.Name, v)
			}
		}
		return true
	})
	if n < len(verifyKeyspaces) {
		t.Errorf("found only %d key constants in keys.go", n)
	}
}

// hashTree maps every file under dir except Pebble's LOCK to its SHA-256.
func hashTree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalMaps[K, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
