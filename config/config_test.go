package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default() is invalid:\n%v", err)
	}
	c, err := LoadWith("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("LoadWith(\"\", nil) = %+v, want Default()", c)
	}
}

func TestDefaultReturnsFreshCopies(t *testing.T) {
	a := Default()
	a.Media.Variants["huge"] = 4000
	a.Server.CORSOrigins = append(a.Server.CORSOrigins, "*")
	if b := Default(); len(b.Media.Variants) != 4 || len(b.Server.CORSOrigins) != 0 {
		t.Fatalf("Default() shares state between calls: %+v", b)
	}
}

func TestDirs(t *testing.T) {
	c := Default()
	c.Data.Dir = "/srv/shop"
	got := []string{c.KVDir(), c.IndexDir(), c.BusDir(), c.MediaDir(), c.SnapshotsDir()}
	want := []string{"/srv/shop/kv", "/srv/shop/index", "/srv/shop/bus", "/srv/shop/media", "/srv/shop/snapshots"}
	for i := range want {
		if got[i] != filepath.FromSlash(want[i]) {
			t.Errorf("dir %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestLoad(t *testing.T) {
	scenarios := []struct {
		name    string
		file    string // TOML written to a temp file; "" loads no file
		env     map[string]string
		wantErr []string // substrings the error must contain; nil means success
		want    func(*Config)
	}{
		{
			name: "no file, no environment",
			want: func(*Config) {},
		},
		{
			name: "file overrides some keys, the rest keep defaults",
			file: `
[server]
listen = "0.0.0.0:9000"
shutdown_grace = "1m"
body_limit = 2097152
cors_origins = ["https://shop.example"]

[store]
cache_size = "128MiB"

[snapshots]
interval = "0s"

[demo]
enabled = true
`,
			want: func(c *Config) {
				c.Server.Listen = "0.0.0.0:9000"
				c.Server.ShutdownGrace = Dur(time.Minute)
				c.Server.BodyLimit = 2 * MiB
				c.Server.CORSOrigins = []string{"https://shop.example"}
				c.Store.CacheSize = 128 * MiB
				c.Snapshots.Interval = Dur(0)
				c.Demo.Enabled = true
			},
		},
		{
			name: "dotted keys and inline tables",
			file: "log.level = \"debug\"\nauth = { argon2_time = 3 }\n",
			want: func(c *Config) {
				c.Log.Level = "debug"
				c.Auth.Argon2Time = 3
			},
		},
		{
			name: "a variants table replaces the default variants",
			file: "[media.variants]\nthumb = 200\nhero = 2400\n",
			want: func(c *Config) { c.Media.Variants = map[string]int{"thumb": 200, "hero": 2400} },
		},
		{
			name:    "malformed TOML reports line and column",
			file:    "[server]\nlisten = \"127.0.0.1:8080\n",
			wantErr: []string{"config.toml:2:"},
		},
		{
			name:    "unclosed table header",
			file:    "\n\n[server\n",
			wantErr: []string{"config.toml:3:"},
		},
		{
			name:    "unknown key is named with its line",
			file:    "[server]\nlisten = \"127.0.0.1:8080\"\nlistn = \"x\"\n",
			wantErr: []string{`config.toml:3:1: unknown key "server.listn"`},
		},
		{
			name:    "every unknown key is named, tables too",
			file:    "[server]\nlistn = \"x\"\n[stroe]\ncache_size = 1\n",
			wantErr: []string{`unknown key "server.listn"`, `unknown key "stroe"`},
		},
		{
			name:    "wrong type: string for an integer",
			file:    "[store]\nmax_group = \"many\"\n",
			wantErr: []string{"config.toml:2:", `store.max_group: expected an integer, got a TOML string`},
		},
		{
			name:    "wrong type: integer for a string",
			file:    "[server]\nlisten = 8080\n",
			wantErr: []string{"server.listen: expected a string, got a TOML integer"},
		},
		{
			name:    "wrong type: string for a list",
			file:    "[server]\ncors_origins = \"*\"\n",
			wantErr: []string{"server.cors_origins"},
		},
		{
			name:    "wrong type: bare integer for a duration",
			file:    "[snapshots]\ninterval = 6\n",
			wantErr: []string{"snapshots.interval", `invalid duration "6"`},
		},
		{
			name:    "wrong type: boolean for a size",
			file:    "[media]\nmax_upload = true\n",
			wantErr: []string{"media.max_upload", "invalid size"},
		},
		{
			name:    "bad duration string is named with its line",
			file:    "[server]\n\nread_timeout = \"soon\"\n",
			wantErr: []string{"config.toml:3:", `server.read_timeout: invalid duration "soon"`},
		},
		{
			name:    "bad size string",
			file:    "[bus]\nmax_bytes = \"-1GiB\"\n",
			wantErr: []string{"bus.max_bytes", "negative"},
		},
		{
			name:    "integer too large",
			file:    "[index]\nbatch_size = 99999999999999999999\n",
			wantErr: []string{"index.batch_size"},
		},
		{
			name:    "a decoded file is validated",
			file:    "[log]\nlevel = \"loud\"\n[snapshots]\nkeep = 0\n",
			wantErr: []string{"log.level: must be one of debug, info, warn, error", "snapshots.keep: must be at least 1"},
		},
		{
			name:    "a negative integer size is caught by validation",
			file:    "[store]\ncache_size = -1\n",
			wantErr: []string{"store.cache_size: must be positive"},
		},
		{
			name: "environment overrides string, int, duration, size, bool and list",
			env: map[string]string{
				"ULTRAMARKET_SERVER_LISTEN":          ":9090",
				"ULTRAMARKET_SNAPSHOTS_KEEP":         "3",
				"ULTRAMARKET_AUTH_ACCESS_TOKEN_TTL":  "5m",
				"ULTRAMARKET_STORE_CACHE_SIZE":       "256MiB",
				"ULTRAMARKET_MEDIA_MAX_PIXELS":       "1000000",
				"ULTRAMARKET_DEMO_ENABLED":           "true",
				"ULTRAMARKET_SERVER_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.1 ,",
			},
			want: func(c *Config) {
				c.Server.Listen = ":9090"
				c.Snapshots.Keep = 3
				c.Auth.AccessTokenTTL = Dur(5 * time.Minute)
				c.Store.CacheSize = 256 * MiB
				c.Media.MaxPixels = 1_000_000
				c.Demo.Enabled = true
				c.Server.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
			},
		},
		{
			name: "environment wins over the file",
			file: "[server]\nlisten = \"0.0.0.0:9000\"\ncors_origins = [\"https://a.example\"]\n",
			env: map[string]string{
				"ULTRAMARKET_SERVER_LISTEN":       "127.0.0.1:7000",
				"ULTRAMARKET_SERVER_CORS_ORIGINS": "",
			},
			want: func(c *Config) { c.Server.Listen = "127.0.0.1:7000" },
		},
		{
			name:    "bad environment value names the variable",
			env:     map[string]string{"ULTRAMARKET_SNAPSHOTS_KEEP": "lots"},
			wantErr: []string{"ULTRAMARKET_SNAPSHOTS_KEEP", `"lots" is not an integer`},
		},
		{
			name: "every bad environment value is named",
			env: map[string]string{
				"ULTRAMARKET_SERVER_SHUTDOWN_GRACE": "15",
				"ULTRAMARKET_MEDIA_MAX_UPLOAD":      "big",
				"ULTRAMARKET_DEMO_ENABLED":          "sure",
				"ULTRAMARKET_INDEX_BATCH_SIZE":      "99999999999999999999",
			},
			wantErr: []string{
				"ULTRAMARKET_SERVER_SHUTDOWN_GRACE (server.shutdown_grace)", `invalid duration "15"`,
				"ULTRAMARKET_MEDIA_MAX_UPLOAD", `invalid size "big"`,
				"ULTRAMARKET_DEMO_ENABLED", `"sure" is not true or false`,
				"ULTRAMARKET_INDEX_BATCH_SIZE", "out of range",
			},
		},
		{
			name:    "environment values are validated",
			env:     map[string]string{"ULTRAMARKET_MEDIA_JPEG_QUALITY": "101"},
			wantErr: []string{"media.jpeg_quality: must be 1..100"},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			path := ""
			if sc.file != "" {
				path = filepath.Join(t.TempDir(), "config.toml")
				if err := os.WriteFile(path, []byte(sc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			getenv := func(k string) (string, bool) { v, ok := sc.env[k]; return v, ok }
			got, err := LoadWith(path, getenv)
			if sc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want one containing %q", sc.wantErr)
				}
				for _, w := range sc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			sc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadErrorsKeepTheirCause(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist naming %s", err, missing)
	}

	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[server]\nlistn = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadWith(path, nil)
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("unknown key: err = %v, want a *toml.DecodeError inside", err)
	}

	if err := os.WriteFile(path, []byte("[log]\nformat = \"xml\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadWith(path, nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Key != "log.format" {
		t.Fatalf("invalid value: err = %v, want a *ValidationError for log.format", err)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	custom := Default()
	custom.Data.Dir = "/var/lib/ultramarket"
	custom.Server.CORSOrigins = []string{"https://shop.example", "http://localhost:3000"}
	custom.Server.TrustedProxies = []string{"10.0.0.0/8"}
	custom.Server.PublicURL = "https://shop.example"
	custom.Server.IdleTimeout = Dur(90 * time.Second)
	custom.Store.MinFreeSpace = 1_500_000
	custom.Media.Variants = map[string]int{"tiny": 64}
	custom.Snapshots.Interval = Dur(0)
	custom.Auth.JWTSecret = strings.Repeat("s", 40)
	custom.Demo.Enabled = true

	scenarios := []struct {
		name string
		cfg  Config
	}{
		{"defaults", Default()},
		{"every section changed", custom},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			text, err := sc.cfg.TOML()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, text, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadWith(path, nil)
			if err != nil {
				t.Fatalf("rendered config does not load: %v\n%s", err, text)
			}
			if !reflect.DeepEqual(got, sc.cfg) {
				t.Fatalf("round trip changed the config:\ngot  %+v\nwant %+v\n%s", got, sc.cfg, text)
			}
		})
	}
}

// TestEveryKeyIsDocumented keeps TOML() (and so `config defaults`) self-explaining and the
// keys snake_case, so a new field cannot slip in undocumented.
func TestEveryKeyIsDocumented(t *testing.T) {
	var c Config
	ct := reflect.TypeOf(c)
	for i := range ct.NumField() {
		if ct.Field(i).Tag.Get("comment") == "" {
			t.Errorf("section %s has no comment tag", ct.Field(i).Name)
		}
	}
	for _, l := range leaves(reflect.ValueOf(&c).Elem()) {
		if l.field.Tag.Get("comment") == "" {
			t.Errorf("%s has no comment tag", l.key())
		}
		for _, p := range l.path {
			if p != strings.ToLower(p) || strings.ContainsAny(p, " -") {
				t.Errorf("%s: key part %q is not snake_case", l.key(), p)
			}
		}
	}
}

// FuzzLoad feeds arbitrary files to the strict loader: it must return a config or an error,
// never panic, and whatever it accepts must validate and survive a TOML round trip.
func FuzzLoad(f *testing.F) {
	def, err := Default().TOML()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte("[server]\nlisten = \"127.0.0.1:9\"\n"))
	f.Add([]byte("[server]\nlistn = 1\n"))
	f.Add([]byte("[media.variants]\nthumb = 10\n"))
	f.Add([]byte("[snapshots]\ninterval = \"-1h\"\nkeep = 0\n"))
	f.Add([]byte("x = = ="))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := load("c.toml", data, nil)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid config: %v", err)
		}
		out, err := c.TOML()
		if err != nil {
			t.Fatalf("TOML: %v", err)
		}
		back, err := load("c.toml", out, nil)
		if err != nil {
			t.Fatalf("rendered config does not load: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normalize(back), normalize(c)) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, back)
		}
	})
}

// normalize makes empty and nil lists and maps compare equal.
func normalize(c Config) Config {
	if len(c.Server.CORSOrigins) == 0 {
		c.Server.CORSOrigins = nil
	}
	if len(c.Server.TrustedProxies) == 0 {
		c.Server.TrustedProxies = nil
	}
	if len(c.Media.Variants) == 0 {
		c.Media.Variants = nil
	}
	return c
}
