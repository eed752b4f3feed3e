package index

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/poll"
)

func TestBackgroundRebuildAtOpen(t *testing.T) {
	ps := loadDummy(t)
	scenarios := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"missing dir", func(*testing.T, string) {}},
		{"corrupt dir", func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			repo := newFakeRepo(ps...)
			release := make(chan struct{})
			// Hold the background scan until the test has seen Open return with the placeholder.
			repo.setOnScan(func(ctx context.Context, i int) error {
				if i == 0 {
					select {
					case <-release:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			})
			cfg := testConfig(t)
			cfg.BackgroundRebuild = true
			cfg.SourceSeq = func(context.Context) (uint64, error) { return 555, nil }
			s.prepare(t, cfg.Dir)
			ix, err := Open(context.Background(), cfg, repo)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if n, _ := ix.DocCount(); n != 0 || !ix.Rebuilding() {
				t.Fatalf("placeholder holds %d docs, rebuilding=%v", n, ix.Rebuilding())
			}
			if _, err := ix.Search(context.Background(), Query{Text: "phone"}); err != nil {
				t.Fatalf("search on the placeholder: %v", err)
			}
			close(release)
			poll.Until(t, "the background rebuild", func() bool { return !ix.Rebuilding() })
			if n, _ := ix.DocCount(); n != uint64(len(ps)) {
				t.Errorf("after rebuild: %d docs, want %d", n, len(ps))
			}
			if ix.HighWater() != 555 {
				t.Errorf("mark %d, want 555", ix.HighWater())
			}
		})
	}
}

func TestCloseStopsBackgroundRebuild(t *testing.T) {
	repo := newFakeRepo(loadDummy(t)...)
	started := make(chan struct{})
	repo.setOnScan(func(ctx context.Context, i int) error {
		if i == 0 {
			close(started)
		}
		<-ctx.Done() // only Close ends the scan
		return ctx.Err()
	})
	cfg := testConfig(t)
	cfg.BackgroundRebuild = true
	ix, err := Open(context.Background(), cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if ix.Rebuilding() {
		t.Error("Close returned while the rebuild was still running")
	}
	var _ catalog.Source = noProducts{}
}

func TestStopRebuildKeepsTheIndexOpen(t *testing.T) {
	ix, _ := dummyIndex(t)
	want, _ := ix.DocCount()
	repo := newFakeRepo(loadDummy(t)...)
	started := make(chan struct{})
	repo.setOnScan(func(ctx context.Context, i int) error {
		if i == 0 {
			close(started)
		}
		<-ctx.Done()
		return ctx.Err()
	})
	ix.src = repo
	ix.StartRebuild()
	<-started
	ix.StopRebuild()
	if ix.Rebuilding() {
		t.Fatal("still rebuilding after StopRebuild")
	}
	if n, err := ix.DocCount(); err != nil || n != want {
		t.Errorf("after a stopped rebuild: %d docs (%v), want the old %d", n, err, want)
	}
}
