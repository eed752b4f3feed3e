// Package app is UltraMarket's composition root: it opens every component in dependency
// order (data-dir lock, store and migrations, media, bus, index, domain services and
// consumers, snapshots, HTTP last), reports readiness, and closes them in exact reverse
// order. Admin operations shared by the admin socket and the offline CLI live here too.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/bus"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/customers"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/recommend"
	"github.com/ultramarket/ultramarket/commerce/reviews"
	"github.com/ultramarket/ultramarket/commerce/vendors"
	"github.com/ultramarket/ultramarket/config"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/internal/datadir"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/snapshot"
	"github.com/ultramarket/ultramarket/store"
)

// Options tune how the app opens.
type Options struct {
	Version string
	Logger  *slog.Logger // nil means slog.Default()
	// Offline opens only what admin commands need (lock, store, media) and serves nothing:
	// the CLI uses it when no server holds the data dir. Events wait in the outbox.
	Offline bool
	// Stdout receives what the operator must see once, such as generated demo credentials.
	// nil means os.Stdout.
	Stdout io.Writer
}

// App is an open UltraMarket instance.
type App struct {
	Config config.Config
	opts   Options
	log    *slog.Logger

	lock     *datadir.Lock
	DB       *store.DB
	Catalog  *store.Catalog
	Media    *media.Store
	Bus      *bus.Bus
	Index    *index.Index
	HTTP     *uhttp.Server
	Registry *prometheus.Registry
	Auth     *auth.Service
	Tokens   *auth.Tokens
	Shop     *catalog.Service // the catalog use cases (Catalog is its store)
	Carts    *cart.Service
	Orders   *orders.Service
	Checkout *checkout.Service
	Vendors  *vendors.Service // vendors, their KYC documents (private media) and order lines
	Reviews  *reviews.Service // product reviews, moderation, helpful votes and rating summaries (app/reviews.go)
	Idem     *store.Idempotency
	// JWTSecret signs access tokens: auth.jwt_secret, or a random one generated on the first
	// start and kept in the store (so it travels with backups).
	JWTSecret []byte
	Snapshots *snapshot.Manager
	Customers *customers.Service // address books, preferences, export, account deletion
	jobs      *jobs              // background catalog jobs (jobs.go)
	Recommend *recommend.Service // trending, recommendations, product view counting (app/recommend.go)

	// The commerce engine, one part per domain (declared in app/<domain>.go).
	inventoryParts
	pricingParts
	shippingParts
	ledgerParts
	paymentParts

	addr    net.Addr
	closers []closer // in opening order; Close runs them backwards
	ready   atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

type closer struct {
	name string
	fn   func(ctx context.Context) error
}

func (a *App) onClose(name string, fn func(ctx context.Context) error) {
	a.closers = append(a.closers, closer{name, fn})
}

// Open opens the instance described by cfg. A failure part-way closes what was opened.
func Open(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &App{Config: cfg, opts: opts, log: opts.Logger, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			if cerr := a.Close(context.Background()); cerr != nil {
				a.log.Warn("closing after a failed start", "err", cerr)
			}
		}
	}()
	start := time.Now()

	if err := PrepareDataDir(cfg.Data.Dir); err != nil {
		return nil, err
	}
	if a.lock, err = datadir.Acquire(cfg.Data.Dir, true); err != nil {
		return nil, err
	}
	a.onClose("data dir lock", func(context.Context) error { return a.lock.Release() })

	commitLatency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ultramarket_store_commit_duration_seconds", Help: "Time from building a write group to its fsync.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	groupSize := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ultramarket_store_commit_group_size", Help: "Updates committed per fsync.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	a.Registry.MustRegister(commitLatency, groupSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.DB, err = store.Open(ctx, store.Config{
		Dir: cfg.KVDir(), CacheBytes: int64(cfg.Store.CacheSize), MinFreeBytes: uint64(cfg.Store.MinFreeSpace),
		DiskGuardOff: cfg.Store.MinFreeSpace == 0, // 0 turns the guard off
		MaxGroup:     cfg.Store.MaxGroup, Logger: a.log.With("component", "store"),
		OnCommit: func(n int, d time.Duration) {
			commitLatency.Observe(d.Seconds())
			groupSize.Observe(float64(n))
		},
	}); err != nil {
		return nil, err
	}
	a.onClose("store", func(context.Context) error { return a.DB.Close() })
	a.Catalog = store.NewCatalog(a.DB)
	if cfg.Auth.JWTSecret != "" {
		a.JWTSecret = []byte(cfg.Auth.JWTSecret)
	} else if opts.Offline {
		// Admin commands sign no tokens and must not write for a read such as `user list`.
	} else if a.JWTSecret, err = a.DB.Secret(ctx, "jwt_secret", 32); err != nil {
		return nil, err
	}

	if a.Media, err = media.Open(ctx, mediaConfig(cfg, a.log.With("component", "media"))); err != nil {
		return nil, err
	}
	a.onClose("media", func(context.Context) error { return a.Media.Close() })

	hasher, err := auth.NewHasher(hasherConfig(cfg))
	if err != nil {
		return nil, err
	}
	a.Auth = auth.NewService(store.NewUsers(a.DB), hasher, commerce.SystemClock{})
	a.Auth.UseSecurity(securityConfig(cfg))
	if err := a.openCatalog(ctx); err != nil {
		return nil, err
	}
	if err := a.openJobs(ctx); err != nil {
		return nil, err
	}
	a.openReviews()
	if err := a.openCommerce(ctx); err != nil {
		return nil, err
	}
	if err := a.openOrders(ctx); err != nil {
		return nil, err
	}
	if err := a.openIdentity(ctx); err != nil {
		return nil, err
	}

	if !opts.Offline {
		if err := a.openTokens(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Offline {
		if err := a.openSnapshots(snapshot.StorePart(a.DB), snapshot.MediaPart(a.Media)); err != nil {
			return nil, err
		}
		a.ready.Store(true)
		return a, nil
	}

	// A missing bus dir (first start, or a restored backup, which never carries the stream)
	// means events already acknowledged from the outbox cannot be delivered again.
	_, statErr := os.Stat(cfg.BusDir())
	busFresh := errors.Is(statErr, os.ErrNotExist)
	if a.Bus, err = bus.Open(ctx, bus.Config{
		Dir: cfg.BusDir(), Listen: cfg.Bus.Listen, MaxAge: cfg.Bus.MaxAge.Duration,
		MaxBytes: int64(cfg.Bus.MaxBytes), Logger: a.log,
	}); err != nil {
		return nil, err
	}
	a.onClose("bus", func(context.Context) error { return a.Bus.Close() })

	if a.Index, err = index.Open(ctx, index.Config{
		Dir: cfg.IndexDir(), BatchSize: cfg.Index.BatchSize, Logger: a.log.With("component", "index"),
		SourceSeq:         func(context.Context) (uint64, error) { return a.DB.LastSeq(), nil },
		BackgroundRebuild: true, // a missing or damaged index must not keep the shop closed
		Synonyms:          cfg.Search.Synonyms, SynonymStore: a.DB,
	}, a.Catalog); err != nil {
		return nil, err
	}
	a.Index.WarmSuggestions()
	a.onClose("index", func(context.Context) error { return a.Index.Close() })
	if !a.Index.Rebuilding() {
		hw, seq := a.Index.HighWater(), a.DB.LastSeq()
		if rebuild, err := indexNeedsRebuild(ctx, a.DB, hw, seq, busFresh); err != nil {
			return nil, err
		} else if rebuild {
			a.log.Info("search index cannot catch up with the store; rebuilding in the background", "index_high_water", hw, "store_seq", seq)
			a.Index.StartRebuild()
		}
	}
	// The index is copied first, so a snapshot's index is never ahead of its store.
	if err := a.openSnapshots(indexPart{a.Index}, snapshot.StorePart(a.DB), snapshot.MediaPart(a.Media)); err != nil {
		return nil, err
	}

	// Consumers and the relay: derived state follows the outbox.
	// The index takes every event (it applies catalog ones) so its mark follows the store's seq.
	// Batches of up to 5000: the suggestion list is merged once per batch and Bleve writes one
	// segment per batch, so a bulk import is indexed in far fewer, larger steps.
	indexConsumer, err := a.Bus.SubscribeBatch(ctx, "index", nil, a.Index.Apply, 5000)
	if err != nil {
		return nil, fmt.Errorf("subscribe search index: %w", err)
	}
	a.onClose("index consumer", func(context.Context) error { indexConsumer.Close(); return nil })
	// Runs before the consumer drains: its Apply waits for a running rebuild.
	a.onClose("index rebuild", func(context.Context) error { a.Index.StopRebuild(); return nil })
	if err := a.openRecommend(ctx); err != nil {
		return nil, err
	}
	// The demo is seeded before the relay starts: publishing and indexing alongside the
	// seeding made a 10k-product shop take 16 s instead of 3; its events follow at once.
	if cfg.Demo.Enabled {
		if err := a.seedDemo(ctx); err != nil {
			return nil, err
		}
	}
	a.Bus.StartRelay(a.DB)
	a.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ultramarket_outbox_backlog", Help: "Events in the outbox the bus has not yet acknowledged."},
			func() float64 { n, _ := a.DB.OutboxBacklog(context.Background()); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ultramarket_outbox_rejected_total", Help: "Events the bus can never carry (logged and skipped by the relay)."},
			func() float64 { return float64(a.Bus.RelayStats().Rejected) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ultramarket_index_documents", Help: "Documents in the search index."},
			func() float64 { n, _ := a.Index.DocCount(); return float64(n) }),
	)

	a.Snapshots.Start()
	if err := a.serveAdmin(); err != nil {
		return nil, err
	}
	if err := a.startServing(ctx); err != nil {
		return nil, err
	}
	a.ready.Store(true)
	a.log.Info("ultramarket ready", "listen", a.addr, "data", cfg.Data.Dir, "version", opts.Version, "took", time.Since(start).Round(time.Millisecond))
	return a, nil
}

// mediaConfig and hasherConfig map the configuration onto the components'; Open and
// CheckConfig both use them, so a setting is judged by one rule.
func mediaConfig(cfg config.Config, log *slog.Logger) media.Config {
	return media.Config{
		Dir: cfg.MediaDir(), MaxUploadBytes: int64(cfg.Media.MaxUpload), MaxPixels: cfg.Media.MaxPixels,
		Variants: cfg.Media.Variants, JPEGQuality: cfg.Media.JPEGQuality, Logger: log,
		Watermark: media.Watermark{Image: cfg.WatermarkFile(), Position: cfg.Media.Watermark.Position,
			Opacity: cfg.Media.Watermark.Opacity, Scale: cfg.Media.Watermark.Scale},
	}
}

func hasherConfig(cfg config.Config) auth.HasherConfig {
	return auth.HasherConfig{
		Time: uint32(min(cfg.Auth.Argon2Time, math.MaxUint32)), MemoryKiB: uint32(min(cfg.Auth.Argon2Memory/1024, math.MaxUint32)),
		Threads: uint8(cfg.Auth.Argon2Threads), MaxConcurrent: cfg.Auth.MaxConcurrentHashes,
	}
}

// CheckConfig runs the components' own checks on cfg, beyond config.Validate: limits that
// belong to a component (a variant name's length, argon2's maximum cost) are decided there.
func CheckConfig(cfg config.Config) error {
	var errs []error
	if err := mediaConfig(cfg, nil).Validate(); err != nil {
		errs = append(errs, err) // already says "media: "
	}
	if err := hasherConfig(cfg).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("auth: %w", err))
	}
	return errors.Join(errs...)
}

// indexNeedsRebuild decides at start whether the search index, whose mark is hw, can reach
// the store's seq from events that can still be delivered: those in the stream (unless the
// bus dir is new, as after a restore) and those still in the outbox.
func indexNeedsRebuild(ctx context.Context, db *store.DB, hw, seq uint64, busFresh bool) (bool, error) {
	switch {
	case hw == seq:
		return false, nil
	case hw > seq:
		return true, nil // the index holds changes the store does not
	case !busFresh:
		return false, nil
	}
	next, err := db.Outbox(ctx, hw, 1)
	if err != nil {
		return false, err
	}
	return len(next) == 0 || next[0].Seq != hw+1, nil
}

func (a *App) openSnapshots(parts ...snapshot.Part) (err error) {
	cfg := a.Config
	if a.Snapshots, err = snapshot.New(snapshot.Config{
		Dir: cfg.SnapshotsDir(), Keep: cfg.Snapshots.Keep, Interval: cfg.Snapshots.Interval.Duration,
		Logger: a.log.With("component", "snapshots"),
	}, parts...); err != nil {
		return err
	}
	a.onClose("snapshots", func(context.Context) error { return a.Snapshots.Close() })
	return nil
}

// indexPart puts the search index into snapshots and backups.
type indexPart struct{ ix *index.Index }

func (indexPart) Name() string { return "index" }

func (p indexPart) SnapshotTo(ctx context.Context, dir string) error {
	return p.ix.SnapshotTo(ctx, dir)
}

func (a *App) startServing(ctx context.Context) error {
	cfg := a.Config
	srv, err := uhttp.New(uhttp.Config{
		Listen: cfg.Server.Listen, ReadTimeout: cfg.Server.ReadTimeout.Duration, WriteTimeout: cfg.Server.WriteTimeout.Duration,
		IdleTimeout: cfg.Server.IdleTimeout.Duration, BodyLimit: int64(cfg.Server.BodyLimit), CORSOrigins: cfg.Server.CORSOrigins,
		TrustedProxies: cfg.Server.TrustedProxies, Version: a.opts.Version, Logger: a.log.With("component", "http"),
		AuthRateLimit: cfg.Auth.RateLimit, AuthRateBurst: cfg.Auth.RateBurst, ImportMaxBytes: int64(cfg.Catalog.ImportMaxBytes),
	}, uhttp.Deps{Ready: a.Ready, Registry: a.Registry, Media: a.Media, Tokens: tokenVerifier(a.Tokens), Auth: a.Auth, Customers: a.customerDeps(),
		Catalog: a.Shop, Search: a.Index, Carts: a.Carts, Orders: a.Orders, Checkout: a.Checkout, Idem: idemStore(a.Idem),
		Vendors: a.Vendors, Reviews: a.Reviews, Audit: a.DB, Recommend: a.Recommend, Jobs: a,
		InventoryDeps: a.inventoryDeps(), PricingDeps: a.pricingDeps(), ShippingDeps: a.shippingDeps(),
		LedgerDeps: a.ledgerDeps(), PaymentDeps: a.paymentDeps()})
	if err != nil {
		return err
	}
	if a.addr, err = srv.Listen(); err != nil {
		return err
	}
	a.HTTP = srv
	srv.Serve()
	a.onClose("http", func(ctx context.Context) error {
		grace, cancel := context.WithTimeout(ctx, cfg.Server.ShutdownGrace.Duration)
		defer cancel()
		return srv.Shutdown(grace)
	})
	return nil
}

// Addr is the bound HTTP address (nil when offline).
func (a *App) Addr() net.Addr { return a.addr }

// Ready reports nil once every engine is open and the app is not closing.
func (a *App) Ready() error {
	if !a.ready.Load() {
		return errors.New("starting or stopping")
	}
	return nil
}

// Close stops serving (draining in-flight requests within the configured grace), drains
// consumers and closes every engine in the reverse order of opening, collecting errors.
func (a *App) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		a.ready.Store(false)
		var errs []error
		for i := len(a.closers) - 1; i >= 0; i-- {
			c := a.closers[i]
			if err := c.fn(ctx); err != nil {
				errs = append(errs, fmt.Errorf("close %s: %w", c.name, err))
			}
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// tokenVerifier and idemStore keep a nil component a nil interface (so the server answers
// 503 instead of calling a nil pointer).
func tokenVerifier(t *auth.Tokens) uhttp.TokenVerifier {
	if t == nil {
		return nil
	}
	return t
}

func idemStore(s *store.Idempotency) uhttp.IdempotencyStore {
	if s == nil {
		return nil
	}
	return s
}
