package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSnapshotAndVerify(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	var metas []Meta
	for i, body := range [][]byte{pngBytes(t, 40, 30, 1, false), jpegBytes(t, 400, 300, 2), gifBytes(t, 12, 12)} {
		m, err := s.Put(ctx, bytes.NewReader(body), "u")
		if err != nil {
			t.Fatalf("Put #%d: %v", i, err)
		}
		metas = append(metas, m)
	}
	if _, rc, err := s.Variant(ctx, metas[1].ID, "thumb"); err != nil {
		t.Fatal(err)
	} else {
		rc.Close()
	}

	snap := filepath.Join(t.TempDir(), "snap", "media")
	if err := s.SnapshotTo(ctx, snap); err != nil {
		t.Fatalf("SnapshotTo: %v", err)
	}
	if err := Verify(snap); err != nil {
		t.Fatalf("Verify of a fresh snapshot: %v", err)
	}
	var want []string
	for _, m := range metas {
		want = append(want, "blobs/"+m.ID[:2]+"/"+m.ID[2:])
	}
	want = append(want, metaFile)
	slices.Sort(want)
	if got := files(t, snap); !slices.Equal(got, want) {
		t.Errorf("snapshot files = %v, want %v", got, want)
	}

	// The store keeps working while and after it is snapshotted; a later Put is not in the
	// snapshot taken before it.
	later, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 9, 9, 9, false)), "u")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SnapshotTo(ctx, snap); err == nil || !strings.Contains(err.Error(), "already holds a snapshot") {
		t.Errorf("SnapshotTo an existing snapshot: %v", err)
	}
	if err := s.SnapshotTo(ctx, s.dir); err == nil {
		t.Error("SnapshotTo the store's own directory succeeded")
	}

	// A restored snapshot opens as a store with the same media; variants are remade.
	restoredDir := filepath.Join(t.TempDir(), "restored")
	if err := s.SnapshotTo(ctx, restoredDir); err != nil {
		t.Fatal(err)
	}
	restored := openTest(t, Config{Dir: restoredDir})
	for _, m := range append(metas, later) {
		got, err := restored.Get(ctx, m.ID)
		if err != nil || got != m {
			t.Errorf("restored Get(%s) = %+v, %v", m.ID, got, err)
		}
	}
	if _, rc, err := restored.Variant(ctx, metas[1].ID, "thumb"); err != nil {
		t.Errorf("restored Variant: %v", err)
	} else {
		rc.Close()
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	a, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 20, 20, 1, false)), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 21, 20, 2, false)), "")
	if err != nil {
		t.Fatal(err)
	}
	blobFile := func(dir string, m Meta) string { return filepath.Join(dir, "blobs", m.ID[:2], m.ID[2:]) }

	scenarios := []struct {
		name   string
		damage func(t *testing.T, snap string) // damages the snapshot
		want   []string
	}{
		{
			name: "flipped byte",
			damage: func(t *testing.T, snap string) {
				p := blobFile(snap, a)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				data[len(data)/2] ^= 0xff
				// Replace the file rather than write into it: it is a hard link to the
				// store's own blob.
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"blobs/" + a.ID[:2] + "/" + a.ID[2:], "content hash"},
		},
		{
			name: "missing blob",
			damage: func(t *testing.T, snap string) {
				if err := os.Remove(blobFile(snap, b)); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"blobs/" + b.ID[:2] + "/" + b.ID[2:], "missing"},
		},
		{
			name: "no metadata",
			damage: func(t *testing.T, snap string) {
				if err := os.Remove(filepath.Join(snap, metaFile)); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{metaFile},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			snap := filepath.Join(t.TempDir(), "snap")
			if err := s.SnapshotTo(ctx, snap); err != nil {
				t.Fatal(err)
			}
			sc.damage(t, snap)
			err := Verify(snap)
			if err == nil {
				t.Fatal("Verify passed a damaged snapshot")
			}
			for _, w := range sc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Verify error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The store's own blobs are untouched by damage done to its snapshots.
	for _, m := range []Meta{a, b} {
		if _, rc, err := s.Open(ctx, m.ID); err != nil {
			t.Errorf("Open(%s): %v", m.ID, err)
		} else {
			rc.Close()
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Verify(s.dir); err != nil {
		t.Errorf("Verify of the closed store: %v", err)
	}
}

func TestVerifyErrCorrupt(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	m, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 20, 20, 1, false)), "")
	if err != nil {
		t.Fatal(err)
	}
	snap := t.TempDir()
	if err := s.SnapshotTo(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(snap, "blobs", m.ID[:2], m.ID[2:])); err != nil {
		t.Fatal(err)
	}
	if err := Verify(snap); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify = %v, want ErrCorrupt", err)
	}
}
