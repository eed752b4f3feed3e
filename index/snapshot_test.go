package index

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSnapshotToOpensWithSameDocsAndMark(t *testing.T) {
	ix, _ := dummyIndex(t)
	dir := filepath.Join(t.TempDir(), "copy")
	if err := ix.SnapshotTo(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	// The copy opens as an index of its own, with the same documents and mark and without
	// rebuilding (the repository is empty, so a rebuild would leave it empty).
	cp, err := Open(context.Background(), Config{Dir: dir, Logger: testLogger(t)}, newFakeRepo())
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	want, _ := ix.DocCount()
	got, _ := cp.DocCount()
	if want == 0 || got != want {
		t.Errorf("copy holds %d docs, want %d", got, want)
	}
	if cp.HighWater() != ix.HighWater() || cp.HighWater() == 0 {
		t.Errorf("copy mark %d, want %d", cp.HighWater(), ix.HighWater())
	}
	sameResults(t, ix, cp)

	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.SnapshotTo(context.Background(), filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("snapshot of a closed index succeeded")
	}
}
