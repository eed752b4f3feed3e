package app

import (
	"context"
	"sync"
	"time"
)

// every runs fn with the tick's time every interval in the background until the app
// closes: name in the close list, which cancels fn's context and waits for a run to end.
// fn logs its own outcome (checking ctx.Err() to stay quiet about a run the close cut short).
func (a *App) every(name string, interval time.Duration, fn func(ctx context.Context, now time.Time)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				fn(ctx, now)
			}
		}
	})
	a.onClose(name, func(context.Context) error { cancel(); wg.Wait(); return nil })
}

// purgeEvery runs purge, which deletes rows that expired before now, every interval in the
// background until the app closes (see every). A failure is logged as a warning unless the
// app is closing, a purge that deleted rows at info; what names the rows in the log
// ("sessions and refresh tokens").
func (a *App) purgeEvery(name string, interval time.Duration, what string, purge func(ctx context.Context, now time.Time) (int, error)) {
	a.every(name, interval, func(ctx context.Context, _ time.Time) {
		n, err := purge(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("purging expired "+what, "err", err, "purged", n)
		case n > 0:
			a.log.Info("purged expired "+what, "rows", n)
		}
	})
}
