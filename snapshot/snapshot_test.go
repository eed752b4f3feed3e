package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/internal/poll"
	"github.com/ultramarket/ultramarket/store"
)

func TestCreateWritesManifest(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 20)

	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{8}T\d{6}Z$`).MatchString(info.Name) {
		t.Errorf("name %q is not a UTC timestamp", info.Name)
	}
	if info.Path != filepath.Join(e.data, "snapshots", info.Name) || !slices.Equal(info.Parts, []string{"kv", "media"}) {
		t.Errorf("info = %+v", info)
	}
	man, err := readManifest(info.Path)
	if err != nil {
		t.Fatal(err)
	}
	if man.Kind != manifestKind || man.Format != FormatVersion || man.SchemaVersion != store.SchemaVersion() ||
		man.Created.Location() != time.UTC || man.Created.Format(nameLayout) != info.Name {
		t.Errorf("manifest header = %+v", man)
	}
	if info.Files != len(man.Files) || info.Bytes != man.Bytes() || info.Bytes == 0 {
		t.Errorf("info counts %d files %d bytes; manifest %d files %d bytes", info.Files, info.Bytes, len(man.Files), man.Bytes())
	}
	// Every file on disk is listed with its true size and hash, and nothing else is.
	if err := compareTree(info.Path, &man); err != nil {
		t.Error(err)
	}
	if err := checkFiles(ctx, info.Path, &man); err != nil {
		t.Error(err)
	}
	blob := "media/blobs/" + e.blob.ID[:2] + "/" + e.blob.ID[2:]
	for _, want := range []string{"kv/LOCK", "media/meta.db", blob} {
		if !man.hasFile(want) {
			t.Errorf("manifest lacks %s: %v", want, man.Files)
		}
	}
	if !slices.IsSortedFunc(man.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("manifest files are not sorted")
	}
	entries, _ := os.ReadDir(e.mgr.Dir())
	if len(entries) != 1 {
		t.Errorf("snapshots dir holds %v, want only the snapshot", entries)
	}

	before := treeState(t, info.Path)
	rep, err := Verify(ctx, info.Path)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.KV == nil || rep.KV.Keyspaces["catalog/product/"] != 20 || rep.KV.OutboxRows != 20 || !rep.Media || rep.Files != info.Files || len(rep.Checked) != 4 {
		t.Errorf("report = %+v", rep)
	}
	if !sameTree(before, treeState(t, info.Path)) {
		t.Error("Verify changed the snapshot")
	}
}

func TestListAndPrune(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{}
	e := openEnv(t, Config{Clock: clock})
	e.seed(t, 2)
	t0 := time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)
	var names []string
	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		clock.set(at)
		info, err := e.mgr.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, info.Name)
	}
	want := []string{"20261125T203000Z", "20261125T213000Z", "20261125T213000Z-2", "20261125T223000Z"}
	if !slices.Equal(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	// A directory that is not a snapshot is neither listed nor pruned.
	junk := filepath.Join(e.mgr.Dir(), "not-a-snapshot")
	if err := os.Mkdir(junk, 0o750); err != nil {
		t.Fatal(err)
	}

	scenarios := []struct {
		keep        int
		wantRemoved []string
		wantLeft    []string
	}{
		{keep: 10, wantLeft: []string{want[3], want[2], want[1], want[0]}},
		{keep: 2, wantRemoved: []string{want[1], want[0]}, wantLeft: []string{want[3], want[2]}},
		{keep: 1, wantRemoved: []string{want[2]}, wantLeft: []string{want[3]}},
		{keep: 1, wantLeft: []string{want[3]}},
	}
	for _, sc := range scenarios {
		removed, err := e.mgr.Prune(ctx, sc.keep)
		if err != nil {
			t.Fatal(err)
		}
		if got := namesOf(removed); !slices.Equal(got, sc.wantRemoved) {
			t.Errorf("Prune(%d) removed %v, want %v", sc.keep, got, sc.wantRemoved)
		}
		list, err := e.mgr.List()
		if err != nil {
			t.Fatal(err)
		}
		if got := namesOf(list); !slices.Equal(got, sc.wantLeft) {
			t.Errorf("after Prune(%d) List = %v, want %v", sc.keep, got, sc.wantLeft)
		}
		for _, r := range removed {
			if _, err := os.Stat(r.Path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pruned %s still exists", r.Path)
			}
		}
	}
	if _, err := os.Stat(junk); err != nil {
		t.Errorf("a foreign directory was removed: %v", err)
	}
	if _, err := e.mgr.Prune(ctx, 0); err == nil {
		t.Error("Prune(0) succeeded")
	}
}

func TestListOrdersSuffixesNumerically(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)}
	e := openEnv(t, Config{Clock: clock})
	for range 11 {
		if _, err := e.mgr.Create(ctx); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.mgr.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := namesOf(list); got[0] != "20261125T203000Z-11" || got[1] != "20261125T203000Z-10" || got[10] != "20261125T203000Z" {
		t.Errorf("List = %v", got)
	}
}

func namesOf(infos []Info) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.Name)
	}
	return out
}

// failingPart writes a file, then fails.
type failingPart struct{}

func (failingPart) Name() string { return "broken" }

func (failingPart) SnapshotTo(_ context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "half"), []byte("x"), 0o640); err != nil {
		return err
	}
	return errors.New("disk on fire")
}

func TestFailureLeavesNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 3)
	dir := filepath.Join(t.TempDir(), "snaps")
	mgr, err := New(Config{Dir: dir, Logger: quiet}, StorePart(e.db), failingPart{})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()

	_, err = mgr.Create(ctx)
	wantErr(t, err, "part broken", "disk on fire")
	err = mgr.Backup(ctx, &strings.Builder{})
	wantErr(t, err, "part broken", "disk on fire")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed Create and Backup left %v", entries)
	}

	// A successful backup leaves nothing either, and is not listed.
	var buf strings.Builder
	if err := e.mgr.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(e.mgr.Dir()); len(entries) != 0 {
		t.Errorf("Backup left %v", entries)
	}
	if buf.Len() == 0 {
		t.Error("Backup wrote nothing")
	}
}

func TestNewRemovesLeftovers(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 1)
	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := e.mgr.Dir()
	for _, p := range []string{".tmp-1/kv/000001.sst", ".backup-2/media/meta.db", ".del-" + info.Name + "-2/kv/x"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("partial"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	mgr, err := New(Config{Dir: dir, Logger: quiet}, StorePart(e.db))
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != info.Name {
		t.Errorf("after New the snapshots dir holds %v, want only %s", entries, info.Name)
	}
}

func TestConfig(t *testing.T) {
	e := openEnv(t, Config{})
	dir := t.TempDir()
	scenarios := []struct {
		name    string
		cfg     Config
		parts   []Part
		wantErr string
	}{
		{name: "defaults", cfg: Config{Dir: dir}, parts: []Part{StorePart(e.db)}},
		{name: "no dir", cfg: Config{}, parts: []Part{StorePart(e.db)}, wantErr: "Config.Dir is required"},
		{name: "negative keep", cfg: Config{Dir: dir, Keep: -1}, parts: []Part{StorePart(e.db)}, wantErr: "Config.Keep"},
		{name: "negative interval", cfg: Config{Dir: dir, Interval: -time.Second}, parts: []Part{StorePart(e.db)}, wantErr: "Config.Interval"},
		{name: "no parts", cfg: Config{Dir: dir}, wantErr: "no parts"},
		{name: "repeated part", cfg: Config{Dir: dir}, parts: []Part{StorePart(e.db), StorePart(e.db)}, wantErr: `repeated part name "kv"`},
		{name: "bad part name", cfg: Config{Dir: dir}, parts: []Part{namedPart("../x")}, wantErr: `part name "../x"`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			mgr, err := New(sc.cfg, sc.parts...)
			if sc.wantErr != "" {
				wantErr(t, err, sc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer mgr.Close()
			if mgr.cfg.Keep != DefaultKeep || mgr.cfg.Interval != 0 || mgr.cfg.Clock == nil || mgr.cfg.Logger == nil {
				t.Errorf("defaults = %+v", mgr.cfg)
			}
			mgr.Start() // Interval 0: nothing runs
			if mgr.started {
				t.Error("Start with Interval 0 started the loop")
			}
		})
	}
}

type namedPart string

func (p namedPart) Name() string                                   { return string(p) }
func (p namedPart) SnapshotTo(ctx context.Context, _ string) error { return nil }

func TestPeriodicSnapshots(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	var failures atomic.Int32
	e := openEnv(t, Config{Interval: 5 * time.Millisecond, Keep: 2, Observe: func(_ Info, err error) {
		if err != nil {
			failures.Add(1)
		}
		runs.Add(1)
	}})
	e.seed(t, 3)
	e.mgr.Start()
	e.mgr.Start() // a second Start is a no-op
	poll.Until(t, "four periodic snapshots", func() bool { return runs.Load() >= 4 })
	if err := e.mgr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.mgr.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("%d periodic runs failed", n)
	}
	// Close waited for the loop: nothing runs or changes afterwards.
	after := runs.Load()
	time.Sleep(10 * 5 * time.Millisecond) // ten intervals: a loop still running would fire
	if now := runs.Load(); now != after {
		t.Errorf("%d periodic runs happened after Close returned", now-after)
	}
	list, err := e.mgr.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Errorf("after %d runs with Keep 2, List = %v", after, namesOf(list))
	}
	entries, _ := os.ReadDir(e.mgr.Dir())
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), ".") {
			t.Errorf("leftover %s after Close", en.Name())
		}
	}
	if _, err := e.mgr.Create(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close: %v", err)
	}
	if err := e.mgr.Backup(ctx, &strings.Builder{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Backup after Close: %v", err)
	}
	e.mgr.Start() // after Close: a no-op
}
