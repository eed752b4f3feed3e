package e2e

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// prepared is what a bad-input scenario runs and checks.
type prepared struct {
	args   []string // ultramarket arguments
	want   []string // each must appear in stdout or stderr (case-insensitive)
	watch  []string // files and directories that must not change
	absent []string // paths that must not exist afterwards
}

// TestBadInput: every bad input ends with the documented exit code and a message naming what
// is at fault, and changes nothing on disk.
func TestBadInput(t *testing.T) {
	t.Parallel()
	backup := backupFixture(t)

	scenarios := []struct {
		name    string
		code    int // exit code; anyFailure for any non-zero one
		prepare func(t *testing.T, dir string) prepared
	}{
		{"malformed TOML config", 2, func(t *testing.T, dir string) prepared {
			cfg := writeFile(t, dir, "bad.toml", "[server]\nlisten = \"127.0.0.1:0\"\nshutdown_grace = = \"3s\"\n")
			data := filepath.Join(dir, "data")
			return prepared{
				args:   []string{"serve", "--config", cfg, "--data", data},
				want:   []string{cfg + ":3:"},
				watch:  []string{cfg},
				absent: []string{data},
			}
		}},
		{"unknown config key", 2, func(t *testing.T, dir string) prepared {
			cfg := writeFile(t, dir, "typo.toml", "[server]\nlistn = \"x\"\n")
			data := markedDir(t, dir)
			return prepared{
				args:  []string{"serve", "--config", cfg, "--data", data},
				want:  []string{"server.listn", cfg},
				watch: []string{cfg, data},
			}
		}},
		{"config check lists every invalid value", 2, func(t *testing.T, dir string) prepared {
			cfg := writeFile(t, dir, "invalid.toml",
				"[server]\nlisten = \"nowhere\"\n[auth]\nargon2_time = 1\n[media]\njpeg_quality = 500\n[snapshots]\nkeep = 0\n")
			return prepared{
				args:  []string{"config", "check", cfg},
				want:  []string{"server.listen", "auth.argon2_time", "media.jpeg_quality", "snapshots.keep", cfg},
				watch: []string{cfg},
			}
		}},
		{"config check accepts config defaults", 0, func(t *testing.T, dir string) prepared {
			cfg := writeFile(t, dir, "defaults.toml", mustRun(t, "config", "defaults").stdout)
			return prepared{args: []string{"config", "check", cfg}, want: []string{cfg + ": ok"}, watch: []string{cfg}}
		}},
		{"data dir is a regular file", 1, func(t *testing.T, dir string) prepared {
			file := writeFile(t, dir, "not-a-dir", "precious\n")
			return prepared{args: []string{"serve", "--data", file, "--listen", "127.0.0.1:0"}, want: []string{file}, watch: []string{file}}
		}},
		{"unknown flag", 2, func(t *testing.T, dir string) prepared {
			data := markedDir(t, dir)
			return prepared{args: []string{"serve", "--data", data, "--no-such-flag"}, want: []string{"--no-such-flag"}, watch: []string{data}}
		}},
		{"restore into a non-empty dir without --force", anyFailure, func(t *testing.T, dir string) prepared {
			data := markedDir(t, dir)
			return prepared{
				args:  []string{"restore", "--from", backup, "--data", data},
				want:  []string{data, "not empty", "--force"},
				watch: []string{data, backup},
			}
		}},
		{"verify a truncated backup", anyFailure, func(t *testing.T, dir string) prepared {
			half := truncatedCopy(t, backup, dir)
			return prepared{args: []string{"verify", half}, want: []string{half}, watch: []string{half}}
		}},
		{"restore a truncated backup", anyFailure, func(t *testing.T, dir string) prepared {
			half := truncatedCopy(t, backup, dir)
			data := filepath.Join(dir, "restored")
			return prepared{
				args:   []string{"restore", "--from", half, "--data", data},
				want:   []string{half},
				watch:  []string{dir}, // no staging directory left next to the target either
				absent: []string{data},
			}
		}},
		{"media put of text named .jpg", anyFailure, func(t *testing.T, dir string) prepared {
			data := offlineDataDir(t, dir)
			file := writeFile(t, dir, "x.jpg", "this is plain text, not a JPEG\n")
			return prepared{
				args:  []string{"media", "put", "--data", data, file},
				want:  []string{"unsupported media type", file},
				watch: append(mediaContents(t, data), file),
			}
		}},
		{"media put of a PNG claiming 20000x20000 pixels", anyFailure, func(t *testing.T, dir string) prepared {
			data := offlineDataDir(t, dir)
			file := filepath.Join(dir, "bomb.png")
			if err := os.WriteFile(file, pngBomb(20000, 20000), 0o600); err != nil {
				t.Fatal(err)
			}
			return prepared{
				args:  []string{"media", "put", "--data", data, file},
				want:  []string{"20000x20000", file},
				watch: append(mediaContents(t, data), file),
			}
		}},
		{"verify a snapshot with a damaged kv file", anyFailure, func(t *testing.T, dir string) prepared {
			data := offlineDataDir(t, dir)
			mustRun(t, "admin", "user", "create", "--data", data, "--email", "snap@shop.example", "--password", strongPassword)
			name := snapshotName(t, mustRun(t, "snapshot", "create", "--data", data).stdout)
			snap := filepath.Join(data, "snapshots", name)
			file := damageLargestFile(t, filepath.Join(snap, "kv"))
			return prepared{
				args:  []string{"verify", "--data", data, name},
				want:  []string{filepath.Join("kv", file)},
				watch: []string{snap},
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			p := sc.prepare(t, t.TempDir())
			before := make([]map[string]string, len(p.watch))
			for i, w := range p.watch {
				before[i] = tree(t, w)
			}

			r := ultramarket(t, p.args...)

			if sc.code == anyFailure && r.code == 0 || sc.code != anyFailure && r.code != sc.code {
				t.Errorf("exit code %d, want %s", r.code, codeName(sc.code))
			}
			out := strings.ToLower(r.output())
			for _, w := range p.want {
				if !strings.Contains(out, strings.ToLower(w)) {
					t.Errorf("the output does not mention %q", w)
				}
			}
			for i, w := range p.watch {
				if d := diffTrees(before[i], tree(t, w)); d != "" {
					t.Errorf("%s changed:\n%s", w, d)
				}
			}
			for _, a := range p.absent {
				if _, err := os.Lstat(a); !os.IsNotExist(err) {
					t.Errorf("%s exists afterwards (%v)", a, err)
				}
			}
			if t.Failed() {
				t.Logf("%s", r)
			}
		})
	}
}

// anyFailure stands for any non-zero exit code.
const anyFailure = -1

func codeName(code int) string {
	if code == anyFailure {
		return "non-zero"
	}
	return strconv.Itoa(code)
}

// backupFixture writes a real backup of a data dir holding one user, offline.
func backupFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "admin", "user", "create", "--data", data, "--email", "owner@shop.example", "--password", strongPassword, "--role", "SUPER_ADMIN")
	out := filepath.Join(dir, "shop.umbak")
	mustRun(t, "backup", "--data", data, "--out", out)
	return out
}

// truncatedCopy writes the first half of the file at src into dir and returns its path.
func truncatedCopy(t *testing.T, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "half.umbak")
	if err := os.WriteFile(p, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// markedDir makes dir/data holding one file of its own.
func markedDir(t *testing.T, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	writeFile(t, data, "keep.txt", "the operator's own file\n")
	return data
}

// offlineDataDir makes dir/data and lets an offline admin command open it once, so its store
// and media exist before the command under test runs.
func offlineDataDir(t *testing.T, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "snapshot", "list", "--data", data)
	return data
}

// mediaContents lists what media/ of a data dir holds besides meta.db, which its bolt
// database rewrites on every open, and the snapshots.
func mediaContents(t *testing.T, data string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(data, "media"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{filepath.Join(data, "snapshots")}
	for _, e := range entries {
		if e.Name() != "meta.db" {
			out = append(out, filepath.Join(data, "media", e.Name()))
		}
	}
	return out
}

// snapshotName reads the name from `snapshot create` output ("snapshot NAME: ...").
func snapshotName(t *testing.T, out string) string {
	t.Helper()
	f := strings.Fields(out)
	if len(f) < 2 || f[0] != "snapshot" {
		t.Fatalf("unexpected snapshot create output %q", out)
	}
	return strings.TrimSuffix(f[1], ":")
}

// damageLargestFile flips one byte in the middle of the largest file in dir and returns its
// name. The damaged copy replaces the file by rename: snapshot files may be hard links to
// the live store's files, which must stay intact.
func damageLargestFile(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var size int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().IsRegular() && fi.Size() > size {
			name, size = e.Name(), fi.Size()
		}
	}
	if name == "" {
		t.Fatalf("no file to damage in %s", dir)
	}
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	tmp := p + ".damaged"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return name
}

// pngBomb returns a tiny PNG whose header claims w×h pixels: a valid signature, an IHDR with
// a correct CRC, one small IDAT and IEND.
func pngBomb(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		_ = binary.Write(&buf, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	// One scanline's worth of zeros: far too little data for the claimed size.
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	_, _ = zw.Write(make([]byte, 64))
	_ = zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}
