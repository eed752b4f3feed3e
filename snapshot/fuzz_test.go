package snapshot

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzReadArchive feeds arbitrary bytes to the archive reader: it must never panic and
// never write outside its destination directory.
func FuzzReadArchive(f *testing.F) {
	body := []byte("hello, pebble")
	sum := sha256.Sum256(body)
	man := Manifest{
		Kind: manifestKind, Format: FormatVersion, Created: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Parts: []string{"kv"}, Files: []File{{Path: "kv/000001.sst", Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}},
	}
	raw, err := json.Marshal(man)
	if err != nil {
		f.Fatal(err)
	}
	valid := tarBytes(f, []tarEntry{{hdr: tar.Header{Name: ManifestName}, body: raw}, {hdr: tar.Header{Name: "kv/000001.sst"}, body: body}})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(tarBytes(f, []tarEntry{{hdr: tar.Header{Name: ManifestName}, body: raw}, {hdr: tar.Header{Name: "../kv/000001.sst"}, body: body}}))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})

	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		archive := filepath.Join(base, "in.tar.zst")
		if err := os.WriteFile(archive, data, 0o640); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(base, "out")
		if err := os.Mkdir(dst, 0o750); err != nil {
			t.Fatal(err)
		}
		_, _ = readArchive(context.Background(), archive, dst, func(string) bool { return true })
		entries, err := os.ReadDir(base)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("readArchive wrote outside its destination: %v", entries)
		}
	})
}
