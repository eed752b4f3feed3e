package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Problem is one invalid setting: its dotted TOML key and what is wrong with it.
type Problem struct {
	Key     string
	Message string
}

// ValidationError lists every invalid setting of a Config, in key order of the file.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems one per line as "key: message".
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Key + ": " + p.Message
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the problems as a commerce EInvalid error, so callers that map error kinds
// (exit codes, status codes) treat a bad configuration like any other invalid input.
func (e *ValidationError) Unwrap() error {
	fields := make([]commerce.FieldError, len(e.Problems))
	for i, p := range e.Problems {
		fields[i] = commerce.FieldError{Field: p.Key, Message: p.Message}
	}
	return commerce.Invalid(fields...)
}

// Limits of search.synonyms (the same as the index's, which config cannot import).
const (
	maxSynonymGroups = 1000
	maxSynonymLen    = 64
)

// Limits from OWASP's password storage guidance for argon2id (m=19 MiB, t=2, p=1).
const (
	minArgon2Time   = 2
	minArgon2Memory = 19 * MiB
)

// maxTrendingWindow bounds recommend.trending_window: a ranking sums every hourly bucket of
// the window at each refresh.
const maxTrendingWindow = 90 * 24 * time.Hour

var (
	watermarkPositions = []string{"top-left", "top-right", "bottom-left", "bottom-right", "center"}
	variantName        = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	keyID              = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Validate checks every setting and returns nil or a *ValidationError listing all problems.
func (c Config) Validate() error {
	var v validator

	v.check(strings.TrimSpace(c.Data.Dir) != "", "data.dir", "must not be empty")

	s := c.Server
	v.hostPort("server.listen", s.Listen)
	v.positive("server.shutdown_grace", s.ShutdownGrace)
	v.positive("server.read_timeout", s.ReadTimeout)
	v.positive("server.write_timeout", s.WriteTimeout)
	v.positive("server.idle_timeout", s.IdleTimeout)
	v.check(s.BodyLimit > 0, "server.body_limit", "must be positive")
	for _, o := range s.CORSOrigins {
		v.check(isOrigin(o), "server.cors_origins", fmt.Sprintf(`%q is not an origin like "https://shop.example" or "*"`, o))
	}
	for _, p := range s.TrustedProxies {
		v.check(isIPOrPrefix(p), "server.trusted_proxies", fmt.Sprintf("%q is not an IP address or CIDR range", p))
	}
	if s.PublicURL != "" {
		v.check(isBaseURL(s.PublicURL), "server.public_url", fmt.Sprintf("%q is not an absolute http or https URL", s.PublicURL))
	}

	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")

	v.check(c.Store.CacheSize > 0, "store.cache_size", "must be positive")
	v.check(c.Store.MinFreeSpace >= 0, "store.min_free_space", "must not be negative")
	v.check(c.Store.MaxGroup >= 1, "store.max_group", "must be at least 1")

	if c.Bus.Listen != "" {
		v.hostPort("bus.listen", c.Bus.Listen)
	}
	v.positive("bus.max_age", c.Bus.MaxAge)
	v.check(c.Bus.MaxBytes > 0, "bus.max_bytes", "must be positive")

	v.check(c.Index.BatchSize >= 1, "index.batch_size", "must be at least 1")
	v.check(c.Catalog.ImportMaxBytes >= 1*KiB && c.Catalog.ImportMaxBytes <= 4*GiB, "catalog.import_max_bytes", "must be between 1KiB and 4GiB")
	v.check(len(c.Search.Synonyms) <= maxSynonymGroups, "search.synonyms", fmt.Sprintf("must hold at most %d groups", maxSynonymGroups))
	for _, g := range c.Search.Synonyms {
		terms := map[string]bool{}
		for _, t := range strings.Split(g, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				terms[t] = true
			}
			v.check(len(t) <= maxSynonymLen, "search.synonyms", fmt.Sprintf("%q: a term may be at most %d bytes", g, maxSynonymLen))
		}
		v.check(len(terms) >= 2, "search.synonyms", fmt.Sprintf(`%q must list at least two different terms separated by commas, like "tv, television"`, g))
	}
	v.check(c.Demo.Products >= 1 && c.Demo.Products <= 1_000_000, "demo.products", "must be between 1 and 1000000")

	m := c.Media
	v.check(m.MaxUpload > 0, "media.max_upload", "must be positive")
	v.check(m.MaxPixels >= 1, "media.max_pixels", "must be at least 1")
	v.check(m.JPEGQuality >= 1 && m.JPEGQuality <= 100, "media.jpeg_quality", "must be 1..100")
	names := make([]string, 0, len(m.Variants))
	for name := range m.Variants {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		key := "media.variants." + name
		v.check(variantName.MatchString(name), key, "name must be lower-case letters, digits, '-' or '_'")
		v.check(m.Variants[name] >= 1, key, "must be at least 1 pixel")
	}
	w := m.Watermark
	v.check(slices.Contains(watermarkPositions, w.Position), "media.watermark.position",
		"must be one of "+strings.Join(watermarkPositions, ", "))
	v.check(w.Opacity > 0 && w.Opacity <= 1, "media.watermark.opacity", "must be above 0 and at most 1")
	v.check(w.Scale > 0 && w.Scale <= 1, "media.watermark.scale", "must be above 0 and at most 1")

	v.check(c.Snapshots.Interval.Duration >= 0, "snapshots.interval", "must not be negative")
	v.check(c.Snapshots.Keep >= 1, "snapshots.keep", "must be at least 1")

	a := c.Auth
	v.check(a.Argon2Time >= minArgon2Time, "auth.argon2_time", fmt.Sprintf("must be at least %d (OWASP minimum for argon2id)", minArgon2Time))
	v.check(a.Argon2Memory >= minArgon2Memory, "auth.argon2_memory", fmt.Sprintf("must be at least %s (OWASP minimum for argon2id)", ByteSize(minArgon2Memory)))
	v.check(a.Argon2Threads >= 1 && a.Argon2Threads <= 255, "auth.argon2_threads", "must be 1..255")
	v.check(a.MaxConcurrentHashes >= 1, "auth.max_concurrent_hashes", "must be at least 1")
	v.positive("auth.access_token_ttl", a.AccessTokenTTL)
	v.positive("auth.refresh_token_ttl", a.RefreshTokenTTL)
	if a.AccessTokenTTL.Duration > 0 && a.RefreshTokenTTL.Duration > 0 {
		v.check(a.RefreshTokenTTL.Duration > a.AccessTokenTTL.Duration, "auth.refresh_token_ttl", "must be longer than auth.access_token_ttl")
	}
	v.check(a.JWTSecret == "" || len(a.JWTSecret) >= 32, "auth.jwt_secret", "must be empty (generated on first start) or at least 32 bytes")
	v.check(keyID.MatchString(a.JWTKeyID), "auth.jwt_key_id", "must be 1-64 letters, digits, '.', '_' or '-'")
	seen := map[string]bool{a.JWTKeyID: true}
	for i, k := range a.JWTPreviousKeys {
		key := fmt.Sprintf("auth.jwt_previous_keys[%d]", i)
		id, secret, ok := strings.Cut(k, ":")
		v.check(ok && keyID.MatchString(id) && len(secret) >= 32, key, `must be "kid:secret" with a secret of at least 32 bytes`)
		v.check(!ok || !seen[id], key, fmt.Sprintf("key id %q is used twice", id))
		seen[id] = true
	}
	for _, r := range a.Require2FA {
		v.check(slices.Contains([]string{"CUSTOMER", "VENDOR", "ADMIN", "SUPER_ADMIN"}, r), "auth.require_2fa", fmt.Sprintf("%q is not a role (CUSTOMER, VENDOR, ADMIN, SUPER_ADMIN)", r))
	}
	v.check(strings.TrimSpace(a.TOTPIssuer) != "" && !strings.Contains(a.TOTPIssuer, ":"), "auth.totp_issuer", "must be non-empty and contain no ':'")
	v.check(a.LockoutThreshold >= 0, "auth.lockout_threshold", "must not be negative")
	if a.LockoutThreshold > 0 {
		v.positive("auth.lockout_duration", a.LockoutDuration)
	}
	v.check(a.RateLimit >= 0, "auth.rate_limit", "must not be negative")
	v.check(a.RateLimit == 0 || a.RateBurst >= 1, "auth.rate_burst", "must be at least 1")
	v.positive("auth.reset_token_ttl", a.ResetTokenTTL)
	v.positive("auth.verify_token_ttl", a.VerifyTokenTTL)

	m2 := c.SMTP
	if m2.Host != "" {
		v.check(m2.Port >= 1 && m2.Port <= 65535, "smtp.port", "must be 1..65535")
		_, err := mail.ParseAddress(m2.From)
		v.check(err == nil, "smtp.from", fmt.Sprintf("%q is not an e-mail address", m2.From))
	}
	v.oneOf("smtp.tls", m2.TLS, "starttls", "tls", "none")
	v.positive("smtp.timeout", m2.Timeout)

	r := c.Recommend
	v.check(r.TrendingWindow.Duration >= time.Hour && r.TrendingWindow.Duration <= maxTrendingWindow,
		"recommend.trending_window", "must be between 1h and "+maxTrendingWindow.String())
	v.check(r.ViewWeight >= 0, "recommend.view_weight", "must not be negative")
	v.check(r.SaleWeight >= 0, "recommend.sale_weight", "must not be negative")
	v.check(r.ViewWeight > 0 || r.SaleWeight > 0, "recommend.sale_weight", "view_weight and sale_weight must not both be 0")
	v.positive("recommend.flush_interval", r.FlushInterval)

	c.Inventory.validate(&v)
	c.Pricing.validate(&v)
	c.Cart.validate(&v)
	c.Shipping.validate(&v)
	c.Payments.validate(&v)
	c.Fraud.validate(&v)
	return v.err()
}

type validator struct{ problems []Problem }

func (v *validator) check(ok bool, key, message string) {
	if !ok {
		v.problems = append(v.problems, Problem{Key: key, Message: message})
	}
}

func (v *validator) positive(key string, d Duration) {
	v.check(d.Duration > 0, key, "must be positive")
}

func (v *validator) oneOf(key, value string, allowed ...string) {
	v.check(slices.Contains(allowed, value), key, "must be one of "+strings.Join(allowed, ", "))
}

func (v *validator) hostPort(key, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	v.check(err == nil, key, fmt.Sprintf("%q is not host:port", addr))
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// isOrigin accepts "*" or scheme://host[:port], the form of a browser's Origin header.
func isOrigin(s string) bool {
	if s == "*" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

func isIPOrPrefix(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

func isBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
