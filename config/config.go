// Package config owns UltraMarket's configuration: the Config struct and its TOML file format,
// the defaults, strict decoding (an unknown key is an error, not a silent typo), the
// ULTRAMARKET_<SECTION>_<KEY> environment overrides and validation that reports every problem
// at once. It also owns the data directory layout. app hands each component the part it needs;
// config imports none of them.
package config

import (
	"path/filepath"
	"time"
)

// Config is the whole configuration of one UltraMarket process. Every field has a TOML key
// and a comment tag; the comment tags document the file rendered by TOML() and a test keeps
// config.example.toml listing every key.
type Config struct {
	Data      Data      `toml:"data" comment:"Where UltraMarket keeps its state."`
	Server    Server    `toml:"server" comment:"HTTP server: storefront and admin API, web pages, /metrics."`
	Log       Log       `toml:"log" comment:"Logging."`
	Store     Store     `toml:"store" comment:"Pebble, the system of record."`
	Bus       Bus       `toml:"bus" comment:"Embedded NATS JetStream event bus."`
	Index     Index     `toml:"index" comment:"Bleve full-text search index."`
	Catalog   Catalog   `toml:"catalog" comment:"Products: imports and exports."`
	Search    Search    `toml:"search" comment:"Product search behaviour."`
	Media     Media     `toml:"media" comment:"Uploaded images."`
	Snapshots Snapshots `toml:"snapshots" comment:"Periodic snapshots (Pebble checkpoint + media + index)."`
	Auth      Auth      `toml:"auth" comment:"Passwords, tokens, two-factor sign-in, lockout and rate limits."`
	SMTP      SMTP      `toml:"smtp" comment:"Outgoing e-mail (address verification, password reset)."`
	Demo      Demo      `toml:"demo" comment:"Demo mode."`
	Recommend Recommend `toml:"recommend" comment:"Trending products and recommendations."`
	Inventory Inventory `toml:"inventory" comment:"Stock per warehouse, reservations, low-stock alerts."`
	Pricing   Pricing   `toml:"pricing" comment:"Price lists, promotions and taxes."`
	Cart      Cart      `toml:"cart" comment:"Carts: expiry and abandoned-cart detection."`
	Shipping  Shipping  `toml:"shipping" comment:"Shipping zones, methods and carriers."`
	Payments  Payments  `toml:"payments" comment:"Payment methods and gateways."`
	Fraud     Fraud     `toml:"fraud" comment:"Fraud rules that hold orders for review."`
}

// Data locates the data directory.
type Data struct {
	Dir string `toml:"dir" comment:"Data directory; holds kv/, index/, bus/, media/ and snapshots/. Only one process may use it at a time."`
}

// Server configures the HTTP server.
type Server struct {
	Listen         string   `toml:"listen" comment:"Address the HTTP server listens on (host:port; port 0 picks a free one)."`
	ShutdownGrace  Duration `toml:"shutdown_grace" comment:"How long shutdown waits for in-flight requests to finish."`
	ReadTimeout    Duration `toml:"read_timeout" comment:"Longest time to read a whole request, body included."`
	WriteTimeout   Duration `toml:"write_timeout" comment:"Longest time to write a response."`
	IdleTimeout    Duration `toml:"idle_timeout" comment:"How long an idle keep-alive connection stays open."`
	BodyLimit      ByteSize `toml:"body_limit" comment:"Largest request body accepted by the API (media uploads use media.max_upload)."`
	CORSOrigins    []string `toml:"cors_origins" comment:"Origins allowed to call the API from a browser, e.g. [\"https://shop.example\"] or [\"*\"]; empty turns CORS off."`
	TrustedProxies []string `toml:"trusted_proxies" comment:"Proxy IPs or CIDR ranges whose X-Forwarded-For is believed; empty uses the direct peer IP."`
	PublicURL      string   `toml:"public_url" comment:"Public base URL used in links and emails, e.g. \"https://shop.example\"; empty derives it from each request."`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level" comment:"Least severe level written: debug, info, warn or error."`
	Format string `toml:"format" comment:"Log line format: text or json."`
}

// Store configures Pebble.
type Store struct {
	CacheSize    ByteSize `toml:"cache_size" comment:"Pebble block cache: the most memory kept for recently read data (filled as data is read, not reserved at start). Below about 256MiB a 100k-product import spends much of its time re-reading evicted blocks."`
	MinFreeSpace ByteSize `toml:"min_free_space" comment:"Writes are refused (503) below this much free disk space, because Pebble panics on a full disk; 0 turns the guard off."`
	MaxGroup     int      `toml:"max_group" comment:"Most updates committed together in one group (one fsync)."`
}

// Bus configures the embedded NATS JetStream server.
type Bus struct {
	Listen   string   `toml:"listen" comment:"TCP address for NATS clients and monitoring tools (host:port); empty runs NATS in-process only."`
	MaxAge   Duration `toml:"max_age" comment:"How long events stay in the EVENTS stream."`
	MaxBytes ByteSize `toml:"max_bytes" comment:"Most disk space the EVENTS stream may use; the oldest events go first."`
}

// Index configures the Bleve search index.
type Index struct {
	BatchSize int `toml:"batch_size" comment:"Documents written to the search index per batch."`
}

// Search configures product search.
type Search struct {
	Synonyms []string `toml:"synonyms" comment:"Synonym groups, each a comma-separated list of equivalent terms: a query word equal to one term (after stemming) also finds the others. Applied at query time (no reindex); more groups can be set through PUT /api/v1/admin/search/synonyms."`
}

// Catalog configures product imports.
type Catalog struct {
	ImportMaxBytes ByteSize `toml:"import_max_bytes" comment:"Largest product file (Shopify CSV or JSON catalog) an import accepts, through the API or the CLI."`
}

// Media configures uploaded images.
type Media struct {
	MaxUpload   ByteSize       `toml:"max_upload" comment:"Largest image upload accepted."`
	MaxPixels   int64          `toml:"max_pixels" comment:"Most pixels (width x height) an uploaded image may have; checked before decoding."`
	JPEGQuality int            `toml:"jpeg_quality" comment:"JPEG quality of stored images and variants, 1-100."`
	Variants    map[string]int `toml:"variants" comment:"Resized variants made for every image: name = longest side in pixels. A variants table in the file replaces this whole list."`
	Watermark   Watermark      `toml:"watermark" comment:"A watermark drawn over every served variant (thumbnails and the other sizes), never over the stored original. Variants made with another watermark are made again on their next request."`
}

// Watermark configures the watermark drawn over image variants.
type Watermark struct {
	Image    string  `toml:"image" comment:"PNG file of the watermark, absolute or relative to the data directory; empty draws no watermark."`
	Position string  `toml:"position" comment:"Where it is drawn: top-left, top-right, bottom-left, bottom-right or center (with a margin of 2% of the width)."`
	Opacity  float64 `toml:"opacity" comment:"Opacity, above 0 and at most 1; it multiplies the PNG's own transparency."`
	Scale    float64 `toml:"scale" comment:"Width of the watermark as a fraction of the variant's width, above 0 and at most 1."`
}

// Snapshots configures periodic snapshots.
type Snapshots struct {
	Interval Duration `toml:"interval" comment:"Time between automatic snapshots; \"0s\" turns them off."`
	Keep     int      `toml:"keep" comment:"Snapshots kept; older ones are deleted."`
}

// Auth configures password hashing and tokens.
type Auth struct {
	Argon2Time          int      `toml:"argon2_time" comment:"Argon2id passes over memory (at least 2)."`
	Argon2Memory        ByteSize `toml:"argon2_memory" comment:"Argon2id memory per hash (at least 19MiB)."`
	Argon2Threads       int      `toml:"argon2_threads" comment:"Argon2id parallelism, 1-255."`
	MaxConcurrentHashes int      `toml:"max_concurrent_hashes" comment:"Most password hashes computed at once, so a login storm cannot exhaust memory."`
	AccessTokenTTL      Duration `toml:"access_token_ttl" comment:"Lifetime of an access token (JWT)."`
	RefreshTokenTTL     Duration `toml:"refresh_token_ttl" comment:"Lifetime of a refresh token; must be longer than access_token_ttl."`
	JWTSecret           string   `toml:"jwt_secret" comment:"Secret signing access tokens, at least 32 bytes (better set as ULTRAMARKET_AUTH_JWT_SECRET); empty generates one and keeps it in the data directory."`
	JWTKeyID            string   `toml:"jwt_key_id" comment:"Key ID (kid) written into access tokens signed with jwt_secret; change it together with the secret to rotate keys."`
	JWTPreviousKeys     []string `toml:"jwt_previous_keys" comment:"Retired signing keys still accepted until their tokens expire, each \"kid:secret\" (secret at least 32 bytes). To rotate: move the current kid:secret here, set a new jwt_key_id and jwt_secret."`
	Require2FA          []string `toml:"require_2fa" comment:"Roles that must sign in with a second factor (TOTP), e.g. [\"ADMIN\", \"SUPER_ADMIN\"]; such a user without 2FA gets a token that can only enrol it."`
	TOTPIssuer          string   `toml:"totp_issuer" comment:"Issuer name shown in authenticator apps."`
	LockoutThreshold    int      `toml:"lockout_threshold" comment:"Failed sign-ins (password or second factor) in a row that lock an account; 0 turns lockout off."`
	LockoutDuration     Duration `toml:"lockout_duration" comment:"How long a locked account stays locked."`
	RateLimit           int      `toml:"rate_limit" comment:"Requests per minute one client IP may make to /api/v1/auth/ routes (429 with Retry-After beyond it); 0 turns the limit off."`
	RateBurst           int      `toml:"rate_burst" comment:"Requests one client IP may make at once before rate_limit applies."`
	ResetTokenTTL       Duration `toml:"reset_token_ttl" comment:"Lifetime of a password-reset link."`
	VerifyTokenTTL      Duration `toml:"verify_token_ttl" comment:"Lifetime of an e-mail verification link."`
}

// SMTP configures the mail server that verification and reset e-mails are sent through.
// Mails are queued in the store in the same write as their cause and delivered with retries.
type SMTP struct {
	Host     string   `toml:"host" comment:"SMTP server host; empty sends no e-mail (queued mails are dropped with a warning)."`
	Port     int      `toml:"port" comment:"SMTP server port."`
	Username string   `toml:"username" comment:"SMTP user name; empty sends without authentication."`
	Password string   `toml:"password" comment:"SMTP password (better set as ULTRAMARKET_SMTP_PASSWORD)."`
	From     string   `toml:"from" comment:"Sender address of every e-mail, e.g. \"Shop <shop@example.com>\"."`
	TLS      string   `toml:"tls" comment:"Transport security: starttls (required), tls (implicit, port 465), or none (local relays and tests only)."`
	Timeout  Duration `toml:"timeout" comment:"Longest time one delivery attempt may take."`
}

// Demo configures demo mode.
type Demo struct {
	Enabled  bool `toml:"enabled" comment:"Demo mode, for trying UltraMarket out: an empty store is filled with sample data."`
	Products int  `toml:"products" comment:"Products generated for the demo shop (with their variants and stock), 1-1000000."`
}

// Recommend configures trending products. Trending ranks active products by points over a
// sliding window of hourly buckets: view_weight per product page view plus sale_weight per
// unit in placed orders.
type Recommend struct {
	TrendingWindow Duration `toml:"trending_window" comment:"How far back trending counts product views and sales, in whole hours (a part of an hour counts as a whole one)."`
	ViewWeight     int64    `toml:"view_weight" comment:"Trending points per product page view; 0 leaves views out."`
	SaleWeight     int64    `toml:"sale_weight" comment:"Trending points per unit sold; 0 leaves sales out."`
	FlushInterval  Duration `toml:"flush_interval" comment:"How often product page views counted in memory are written to the store and the trending ranking is recomputed (views since the last write are lost in a crash)."`
}

// Default returns the configuration used when neither a file nor the environment says
// otherwise. It returns fresh slices and maps on every call.
func Default() Config {
	return Config{
		Data: Data{Dir: "./data"},
		Server: Server{
			Listen:         "127.0.0.1:8080",
			ShutdownGrace:  Dur(15 * time.Second),
			ReadTimeout:    Dur(15 * time.Second),
			WriteTimeout:   Dur(30 * time.Second),
			IdleTimeout:    Dur(60 * time.Second),
			BodyLimit:      1 * MiB,
			CORSOrigins:    []string{},
			TrustedProxies: []string{},
			PublicURL:      "",
		},
		Log: Log{Level: "info", Format: "text"},
		Store: Store{
			CacheSize:    256 * MiB,
			MinFreeSpace: 256 * MiB,
			MaxGroup:     256,
		},
		Bus: Bus{
			Listen:   "",
			MaxAge:   Dur(168 * time.Hour),
			MaxBytes: 1 * GiB,
		},
		Index:   Index{BatchSize: 1000},
		Search:  Search{Synonyms: []string{"tv, television", "phone, smartphone, mobile"}},
		Catalog: Catalog{ImportMaxBytes: 50 * MiB},
		Media: Media{
			MaxUpload:   20 * MiB,
			MaxPixels:   40_000_000,
			JPEGQuality: 85,
			Variants:    map[string]int{"thumb": 160, "small": 480, "medium": 960, "large": 1600},
			Watermark:   Watermark{Image: "", Position: "bottom-right", Opacity: 0.5, Scale: 0.25},
		},
		Snapshots: Snapshots{Interval: Dur(6 * time.Hour), Keep: 8},
		Auth: Auth{
			Argon2Time:          2,
			Argon2Memory:        19 * MiB,
			Argon2Threads:       1,
			MaxConcurrentHashes: 4,
			AccessTokenTTL:      Dur(15 * time.Minute),
			RefreshTokenTTL:     Dur(168 * time.Hour),
			JWTSecret:           "",
			JWTKeyID:            "k1",
			JWTPreviousKeys:     []string{},
			Require2FA:          []string{},
			TOTPIssuer:          "UltraMarket",
			LockoutThreshold:    5,
			LockoutDuration:     Dur(15 * time.Minute),
			RateLimit:           30,
			RateBurst:           10,
			ResetTokenTTL:       Dur(time.Hour),
			VerifyTokenTTL:      Dur(72 * time.Hour),
		},
		SMTP: SMTP{Host: "", Port: 587, From: "UltraMarket <no-reply@localhost>", TLS: "starttls", Timeout: Dur(30 * time.Second)},
		Demo: Demo{Enabled: false, Products: 320},
		Recommend: Recommend{
			TrendingWindow: Dur(7 * 24 * time.Hour),
			ViewWeight:     1,
			SaleWeight:     10,
			FlushInterval:  Dur(time.Minute),
		},
		Inventory: defaultInventory(),
		Pricing:   defaultPricing(),
		Cart:      defaultCart(),
		Shipping:  defaultShipping(),
		Payments:  defaultPayments(),
		Fraud:     defaultFraud(),
	}
}

// KVDir is where Pebble keeps the system of record.
func (c Config) KVDir() string { return filepath.Join(c.Data.Dir, "kv") }

// IndexDir is where Bleve keeps the search index.
func (c Config) IndexDir() string { return filepath.Join(c.Data.Dir, "index") }

// BusDir is where JetStream keeps its streams.
func (c Config) BusDir() string { return filepath.Join(c.Data.Dir, "bus") }

// MediaDir is where uploaded images and their metadata live.
func (c Config) MediaDir() string { return filepath.Join(c.Data.Dir, "media") }

// WatermarkFile is the watermark PNG's path (media.watermark.image resolved against the data
// directory when relative), or "" when no watermark is configured.
func (c Config) WatermarkFile() string {
	img := c.Media.Watermark.Image
	if img == "" || filepath.IsAbs(img) {
		return img
	}
	return filepath.Join(c.Data.Dir, img)
}

// SnapshotsDir is where periodic and on-demand snapshots are written.
func (c Config) SnapshotsDir() string { return filepath.Join(c.Data.Dir, "snapshots") }
