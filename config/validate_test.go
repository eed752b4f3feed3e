package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestValidate(t *testing.T) {
	scenarios := []struct {
		name   string
		change func(*Config)
		want   []Problem // in order; nil means valid
	}{
		{name: "defaults", change: func(*Config) {}},
		{
			name: "valid non-default values",
			change: func(c *Config) {
				c.Server.Listen = ":0"
				c.Server.CORSOrigins = []string{"*", "https://shop.example", "http://localhost:3000"}
				c.Server.TrustedProxies = []string{"10.0.0.1", "fd00::/8"}
				c.Server.PublicURL = "https://shop.example/store"
				c.Bus.Listen = "[::1]:4222"
				c.Store.MinFreeSpace = 0
				c.Snapshots.Interval = Dur(0)
				c.Auth.JWTSecret = strings.Repeat("k", 32)
			},
		},
		{
			name:   "listen is not host:port",
			change: func(c *Config) { c.Server.Listen = "abc" },
			want:   []Problem{{"server.listen", `"abc" is not host:port`}},
		},
		{
			name:   "listen port out of range",
			change: func(c *Config) { c.Server.Listen = "localhost:70000" },
			want:   []Problem{{"server.listen", `"localhost:70000" is not host:port`}},
		},
		{
			name: "several problems at once, in file order",
			change: func(c *Config) {
				c.Data.Dir = " "
				c.Server.Listen = "abc"
				c.Server.ReadTimeout = Dur(0)
				c.Log.Level = "verbose"
				c.Log.Format = "xml"
				c.Media.JPEGQuality = 0
				c.Snapshots.Keep = 0
				c.Auth.Argon2Memory = 8 * MiB
				c.Auth.Argon2Time = 1
			},
			want: []Problem{
				{"data.dir", "must not be empty"},
				{"server.listen", `"abc" is not host:port`},
				{"server.read_timeout", "must be positive"},
				{"log.level", "must be one of debug, info, warn, error"},
				{"log.format", "must be one of text, json"},
				{"media.jpeg_quality", "must be 1..100"},
				{"snapshots.keep", "must be at least 1"},
				{"auth.argon2_time", "must be at least 2 (OWASP minimum for argon2id)"},
				{"auth.argon2_memory", "must be at least 19MiB (OWASP minimum for argon2id)"},
			},
		},
		{
			name: "server lists and URL",
			change: func(c *Config) {
				c.Server.CORSOrigins = []string{"https://ok.example", "shop.example", "https://x.example/path"}
				c.Server.TrustedProxies = []string{"10.0.0.0/33", "proxy.local"}
				c.Server.PublicURL = "/relative"
			},
			want: []Problem{
				{"server.cors_origins", `"shop.example" is not an origin like "https://shop.example" or "*"`},
				{"server.cors_origins", `"https://x.example/path" is not an origin like "https://shop.example" or "*"`},
				{"server.trusted_proxies", `"10.0.0.0/33" is not an IP address or CIDR range`},
				{"server.trusted_proxies", `"proxy.local" is not an IP address or CIDR range`},
				{"server.public_url", `"/relative" is not an absolute http or https URL`},
			},
		},
		{
			name: "zero and negative sizes and counts",
			change: func(c *Config) {
				c.Server.BodyLimit = 0
				c.Store.CacheSize = -1
				c.Store.MinFreeSpace = -1
				c.Store.MaxGroup = 0
				c.Bus.MaxBytes = 0
				c.Index.BatchSize = 0
				c.Media.MaxUpload = 0
				c.Media.MaxPixels = 0
			},
			want: []Problem{
				{"server.body_limit", "must be positive"},
				{"store.cache_size", "must be positive"},
				{"store.min_free_space", "must not be negative"},
				{"store.max_group", "must be at least 1"},
				{"bus.max_bytes", "must be positive"},
				{"index.batch_size", "must be at least 1"},
				{"media.max_upload", "must be positive"},
				{"media.max_pixels", "must be at least 1"},
			},
		},
		{
			name: "search synonyms",
			change: func(c *Config) {
				c.Search.Synonyms = []string{"tv, television", "lonely", "sofa, Sofa", "x, " + strings.Repeat("y", 65)}
			},
			want: []Problem{
				{"search.synonyms", `"lonely" must list at least two different terms separated by commas, like "tv, television"`},
				{"search.synonyms", `"sofa, Sofa" must list at least two different terms separated by commas, like "tv, television"`},
				{"search.synonyms", `"x, ` + strings.Repeat("y", 65) + `": a term may be at most 64 bytes`},
			},
		},
		{
			name: "durations that must be positive",
			change: func(c *Config) {
				c.Server.ShutdownGrace = Dur(0)
				c.Server.WriteTimeout = Dur(0)
				c.Server.IdleTimeout = Dur(0)
				c.Bus.MaxAge = Dur(0)
				c.Snapshots.Interval = Dur(-time.Second)
			},
			want: []Problem{
				{"server.shutdown_grace", "must be positive"},
				{"server.write_timeout", "must be positive"},
				{"server.idle_timeout", "must be positive"},
				{"bus.max_age", "must be positive"},
				{"snapshots.interval", "must not be negative"},
			},
		},
		{
			name:   "bus listen is optional but must be host:port when set",
			change: func(c *Config) { c.Bus.Listen = "4222" },
			want:   []Problem{{"bus.listen", `"4222" is not host:port`}},
		},
		{
			name:   "media variants",
			change: func(c *Config) { c.Media.Variants = map[string]int{"Big": 100, "ok": 0} },
			want: []Problem{
				{"media.variants.Big", "name must be lower-case letters, digits, '-' or '_'"},
				{"media.variants.ok", "must be at least 1 pixel"},
			},
		},
		{
			name: "auth",
			change: func(c *Config) {
				c.Auth.Argon2Threads = 256
				c.Auth.MaxConcurrentHashes = 0
				c.Auth.AccessTokenTTL = Dur(2 * time.Hour)
				c.Auth.RefreshTokenTTL = Dur(time.Hour)
				c.Auth.JWTSecret = "short"
			},
			want: []Problem{
				{"auth.argon2_threads", "must be 1..255"},
				{"auth.max_concurrent_hashes", "must be at least 1"},
				{"auth.refresh_token_ttl", "must be longer than auth.access_token_ttl"},
				{"auth.jwt_secret", "must be empty (generated on first start) or at least 32 bytes"},
			},
		},
		{
			name:   "token lifetimes must be positive",
			change: func(c *Config) { c.Auth.AccessTokenTTL = Dur(0); c.Auth.RefreshTokenTTL = Dur(0) },
			want: []Problem{
				{"auth.access_token_ttl", "must be positive"},
				{"auth.refresh_token_ttl", "must be positive"},
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := Default()
			sc.change(&c)
			err := c.Validate()
			if sc.want == nil {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if !slices.Equal(ve.Problems, sc.want) {
				t.Fatalf("problems:\n%v\nwant:\n%v", err, (&ValidationError{Problems: sc.want}).Error())
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(sc.want) {
				t.Fatalf("Error() has %d lines, want one per problem (%d)", len(lines), len(sc.want))
			}
		})
	}
}

func TestValidationErrorIsInvalid(t *testing.T) {
	c := Default()
	c.Snapshots.Keep = 0
	err := c.Validate()
	if commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("KindOf = %s, want %s", commerce.KindOf(err), commerce.EInvalid)
	}
	if f := commerce.AsError(err).Fields; len(f) != 1 || f[0].Field != "snapshots.keep" {
		t.Fatalf("fields = %+v", f)
	}
}
