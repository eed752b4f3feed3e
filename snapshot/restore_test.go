package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/poll"
	"github.com/ultramarket/ultramarket/store"
)

// backupFile writes a backup of e to a file and returns its path.
func backupFile(t *testing.T, e *env) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "backup.tar.zst")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mgr.Backup(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 50)
	archive := backupFile(t, e)

	// The archive starts with the manifest.
	entries := readTarNames(t, archive)
	if len(entries) < 5 || entries[0] != ManifestName {
		t.Fatalf("archive entries = %v", entries)
	}
	rep, err := Verify(ctx, archive)
	if err != nil {
		t.Fatalf("Verify(archive): %v", err)
	}
	if !rep.Archive || rep.KV == nil || rep.KV.Keyspaces["catalog/product/"] != 50 || !rep.Media || rep.Files != len(entries)-1 {
		t.Errorf("report = %+v", rep)
	}

	target := filepath.Join(t.TempDir(), "restored")
	if err := Restore(ctx, archive, target, false); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	noStaging(t, target)
	checkRestored(t, target, e.ids, e.blob)

	// A snapshot directory restores the same way.
	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := treeState(t, info.Path)
	target2 := filepath.Join(t.TempDir(), "restored")
	if err := Restore(ctx, info.Path, target2, false); err != nil {
		t.Fatalf("Restore from a snapshot dir: %v", err)
	}
	noStaging(t, target2)
	checkRestored(t, target2, e.ids, e.blob)
	if !sameTree(before, treeState(t, info.Path)) {
		t.Error("Restore changed the snapshot it read")
	}
}

func readTarNames(t *testing.T, archive string) []string {
	t.Helper()
	var names []string
	_, err := readArchive(context.Background(), archive, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// readArchive checked it; list the names in order with a plain reader.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return names
}

func TestRestoreIntoOccupiedDir(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 5)
	archive := backupFile(t, e)

	target := filepath.Join(t.TempDir(), "data")
	for _, p := range []string{"kv/OLD", "bus/stream", "snapshots/keep/manifest.json", "LOCK"} {
		full := filepath.Join(target, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	before := treeState(t, target)
	err := Restore(ctx, archive, target, false)
	wantErr(t, err, target, "not empty", "bus, kv", "force")
	if !errors.Is(err, ErrNotEmpty) {
		t.Errorf("err %v does not match ErrNotEmpty", err)
	}
	if !sameTree(before, treeState(t, target)) {
		t.Fatal("a refused restore changed the data dir")
	}
	noStaging(t, target)

	// A running server holds LOCK: refused even with force.
	lock, err := os.OpenFile(filepath.Join(target, "LOCK"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	err = Restore(ctx, archive, target, true)
	wantErr(t, err, target, "in use")
	lock.Close()
	if !sameTree(before, treeState(t, target)) {
		t.Fatal("a restore into a locked dir changed it")
	}

	// With force the old parts and bus are replaced; snapshots and LOCK stay.
	if err := Restore(ctx, archive, target, true); err != nil {
		t.Fatalf("forced Restore: %v", err)
	}
	noStaging(t, target)
	checkRestored(t, target, e.ids, e.blob)
	for _, gone := range []string{"kv/OLD", "bus"} {
		if _, err := os.Stat(filepath.Join(target, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived a forced restore", gone)
		}
	}
	for _, kept := range []string{"snapshots/keep/manifest.json", "LOCK"} {
		if _, err := os.Stat(filepath.Join(target, kept)); err != nil {
			t.Errorf("%s did not survive a forced restore: %v", kept, err)
		}
	}
}

// TestRestoreRejectsDamage runs Verify and Restore on damaged snapshots and archives: both
// must fail naming what is wrong, and the data dir must not even be created.
func TestRestoreRejectsDamage(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 30)
	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	good := snapshotEntries(t, info.Path)
	archive := backupFile(t, e)
	man, err := readManifest(info.Path)
	if err != nil {
		t.Fatal(err)
	}
	// A non-empty kv file that is not LOCK, to damage.
	var victim File
	for _, f := range man.Files {
		if topDir(f.Path) == "kv" && f.Size > 0 && f.Size > victim.Size {
			victim = f
		}
	}

	// copySnap copies the good snapshot into a fresh directory and applies damage to it.
	copySnap := func(t *testing.T, damage func(dir string)) string {
		dir := filepath.Join(t.TempDir(), "snap")
		treeCopy(t, info.Path, dir)
		damage(dir)
		return dir
	}
	// tarOf writes a hand-made archive from the good entries after edit.
	tarOf := func(t *testing.T, edit func([]tarEntry) []tarEntry) string {
		p := filepath.Join(t.TempDir(), "evil.tar.zst")
		writeTar(t, p, edit(slices.Clone(good)))
		return p
	}
	reg := func(name string, body string) tarEntry {
		return tarEntry{hdr: tar.Header{Name: name}, body: []byte(body)}
	}

	scenarios := []struct {
		name   string
		source func(t *testing.T) string
		want   []string // substrings of the error
	}{
		{
			name: "truncated archive",
			source: func(t *testing.T) string {
				b, err := os.ReadFile(archive)
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), "half.tar.zst")
				if err := os.WriteFile(p, b[:len(b)/2], 0o640); err != nil {
					t.Fatal(err)
				}
				return p
			},
			want: []string{"half.tar.zst", "entry ", "the archive is truncated"},
		},
		{
			name: "archive cut just before its end",
			source: func(t *testing.T) string {
				b, _ := os.ReadFile(archive)
				p := filepath.Join(t.TempDir(), "cut.tar.zst")
				os.WriteFile(p, b[:len(b)-3], 0o640)
				return p
			},
			want: []string{"cut.tar.zst", "truncated"},
		},
		{
			name: "data after the archive",
			source: func(t *testing.T) string {
				b, _ := os.ReadFile(archive)
				p := filepath.Join(t.TempDir(), "long.tar.zst")
				os.WriteFile(p, append(b, "trailing junk"...), 0o640)
				return p
			},
			want: []string{"long.tar.zst", "after the last entry"},
		},
		{
			name: "not a zstd archive",
			source: func(t *testing.T) string {
				var buf bytes.Buffer
				gz := gzip.NewWriter(&buf)
				gz.Write([]byte("hello"))
				gz.Close()
				p := filepath.Join(t.TempDir(), "backup.tar.gz")
				os.WriteFile(p, buf.Bytes(), 0o640)
				return p
			},
			want: []string{"backup.tar.gz", "not a zstd-compressed snapshot archive"},
		},
		{
			name: "flipped byte in a snapshot file",
			source: func(t *testing.T) string {
				return copySnap(t, func(dir string) { flipByte(t, filePath(dir, victim.Path)) })
			},
			want: []string{victim.Path, "sha256"},
		},
		{
			name: "snapshot file missing",
			source: func(t *testing.T) string {
				return copySnap(t, func(dir string) { os.Remove(filePath(dir, "media/meta.db")) })
			},
			want: []string{"media/meta.db: missing"},
		},
		{
			name: "unlisted file in a snapshot",
			source: func(t *testing.T) string {
				return copySnap(t, func(dir string) { os.WriteFile(filepath.Join(dir, "kv", "EXTRA"), []byte("x"), 0o640) })
			},
			want: []string{"kv/EXTRA: not in the manifest"},
		},
		{
			name: "snapshot file grown",
			source: func(t *testing.T) string {
				return copySnap(t, func(dir string) {
					f, _ := os.OpenFile(filePath(dir, victim.Path), os.O_APPEND|os.O_WRONLY, 0)
					f.Write([]byte("more"))
					f.Close()
				})
			},
			want: []string{victim.Path, fmt.Sprintf("the manifest says %d", victim.Size)},
		},
		{
			name: "snapshot without a manifest",
			source: func(t *testing.T) string {
				return copySnap(t, func(dir string) { os.Remove(filepath.Join(dir, ManifestName)) })
			},
			want: []string{"is not a snapshot", ManifestName},
		},
		{
			name: "path traversal entry",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.Insert(es, 1, reg("../evil", "pwned"))
				})
			},
			want: []string{`"../evil"`, "unsafe path"},
		},
		{
			name: "absolute path entry",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.Insert(es, 1, reg("/tmp/evil", "pwned"))
				})
			},
			want: []string{`"/tmp/evil"`, "unsafe path"},
		},
		{
			name: "symlink entry",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.Insert(es, 1, tarEntry{hdr: tar.Header{Name: "kv/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}})
				})
			},
			want: []string{`"kv/link"`, "not a regular file"},
		},
		{
			name: "hard link entry",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.Insert(es, 1, tarEntry{hdr: tar.Header{Name: "kv/hard", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}})
				})
			},
			want: []string{`"kv/hard"`, "not a regular file"},
		},
		{
			name: "directory entry",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.Insert(es, 1, tarEntry{hdr: tar.Header{Name: "kv/", Typeflag: tar.TypeDir}})
				})
			},
			want: []string{`"kv/"`, "not a regular file"},
		},
		{
			name: "entry not in the manifest",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry { return append(es, reg("kv/000099.sst", "x")) })
			},
			want: []string{"kv/000099.sst is not in the manifest"},
		},
		{
			name: "entry missing",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					return slices.DeleteFunc(es, func(e tarEntry) bool { return e.hdr.Name == "media/meta.db" })
				})
			},
			want: []string{"media/meta.db: missing"},
		},
		{
			name: "entry twice",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry { return append(es, es[len(es)-1]) })
			},
			want: []string{good[len(good)-1].hdr.Name + " appears twice"},
		},
		{
			name: "entry content differs",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					for i := range es {
						if es[i].hdr.Name == victim.Path {
							b := bytes.Clone(es[i].body)
							b[len(b)/2] ^= 0x40
							es[i].body = b
						}
					}
					return es
				})
			},
			want: []string{"entry " + victim.Path, "sha256"},
		},
		{
			name: "manifest not first",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry { es[0], es[1] = es[1], es[0]; return es })
			},
			want: []string{"not " + ManifestName},
		},
		{
			name: "manifest from a newer build",
			source: func(t *testing.T) string {
				return tarOf(t, func(es []tarEntry) []tarEntry {
					es[0].body = bytes.Replace(es[0].body, []byte(`"format": 1`), []byte(`"format": 2`), 1)
					return es
				})
			},
			want: []string{"format 2 is not supported"},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			src := sc.source(t)
			srcBefore := treeState(t, src)

			_, verr := Verify(ctx, src)
			wantErr(t, verr, sc.want...)

			parent := t.TempDir()
			target := filepath.Join(parent, "data")
			rerr := Restore(ctx, src, target, false)
			t.Logf("Verify: %v\nRestore: %v", verr, rerr)
			wantErr(t, rerr, sc.want...)
			if !errors.Is(rerr, ErrCorrupt) && sc.name != "snapshot without a manifest" {
				t.Errorf("Restore error does not wrap ErrCorrupt: %v", rerr)
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed restore created %s", target)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a failed restore left %v next to the data dir", entries)
			}
			if !sameTree(srcBefore, treeState(t, src)) {
				t.Error("Verify or Restore changed the source")
			}
		})
	}
}

// TestStoreCorruptionInsideValidSnapshot checks that a snapshot whose files match their
// manifest is still refused when the store inside it breaks an invariant.
func TestStoreCorruptionInsideValidSnapshot(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 3)
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		tx.Set(store.Key("catalog/product/", "x"), []byte{9, '{'})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(ctx, info.Path)
	wantErr(t, err, "part kv", `key "catalog/product/x"`, "unknown codec version 9")
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("error does not wrap both ErrCorrupt sentinels: %v", err)
	}
	target := filepath.Join(t.TempDir(), "data")
	err = Restore(ctx, backupFile(t, e), target, false)
	wantErr(t, err, `key "catalog/product/x"`, "nothing was written to "+target)
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore created %s", target)
	}
}

func TestWriteArchiveRefusesDamagedSnapshot(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 3)
	info, err := e.mgr.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "snap")
	treeCopy(t, info.Path, dir)
	flipByte(t, filepath.Join(dir, "media", "meta.db"))
	var buf bytes.Buffer
	err = WriteArchive(ctx, &buf, dir)
	wantErr(t, err, filepath.Join(dir, "media", "meta.db"), "sha256")
}

// TestBackupKeepsAcknowledgedWrites is the point of online backups: writers keep running
// during the backup, and every update acknowledged before Backup was called is in it,
// together with its outbox event (one atomic batch).
func TestBackupKeepsAcknowledgedWrites(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, Config{})
	e.seed(t, 0)
	cat := store.NewCatalog(e.db)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%06d", w, i)
				now := commerce.SystemClock{}.Now()
				if err := cat.SaveProduct(ctx, catalog.Product{ID: id, Title: id, CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Errorf("save %s: %v", id, err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	poll.Until(t, "writes to be acknowledged", func() bool { return count() >= 300 })

	mu.Lock()
	before := slices.Clone(acked) // acknowledged before Backup is called
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "online.tar.zst")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mgr.Backup(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	during := count() - len(before)
	poll.Until(t, "writes after the backup", func() bool { return count() > len(before)+during })
	close(stop)
	wg.Wait()
	t.Logf("%d writes acknowledged before the backup, %d during it", len(before), during)

	target := filepath.Join(t.TempDir(), "data")
	if err := Restore(ctx, archive, target, false); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, target, before, e.blob)

	// Every restored product was really written and has exactly its event in the outbox.
	db, err := store.Open(ctx, store.Config{Dir: filepath.Join(target, "kv"), DiskGuardOff: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var restored []string
	if err := store.NewCatalog(db).ScanProducts(ctx, func(p catalog.Product) error {
		restored = append(restored, p.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := slices.Clone(acked)
	mu.Unlock()
	slices.Sort(all)
	for _, id := range restored {
		if _, ok := slices.BinarySearch(all, id); !ok {
			t.Errorf("restored product %s was never written", id)
		}
	}
	events, err := db.Outbox(ctx, 0, len(restored)+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(restored) || db.LastSeq() != uint64(len(restored)) {
		t.Fatalf("%d products restored with %d outbox events, last seq %d", len(restored), len(events), db.LastSeq())
	}
	byAggregate := map[string]bool{}
	for i, ev := range events {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("outbox seq %d at position %d", ev.Seq, i)
		}
		byAggregate[ev.Aggregate] = true
	}
	for _, id := range restored {
		if !byAggregate[id] {
			t.Errorf("restored product %s has no outbox event", id)
		}
	}
}

// treeCopy copies the directory tree src to dst.
func treeCopy(t *testing.T, src, dst string) map[string]string {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
	return treeState(t, dst)
}

func flipByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
}
