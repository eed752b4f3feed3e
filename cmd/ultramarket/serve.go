package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/app"
)

func newServeCmd(g *globals) *cobra.Command {
	var listen string
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the shop: REST API, web pages, search, events and snapshots",
		Long: `Run UltraMarket on the data dir. Everything starts in-process: the Pebble store, the
search index, the event bus, the media store and the HTTP server. SIGINT or SIGTERM stops
accepting requests, finishes the ones in flight (server.shutdown_grace), drains event
consumers and closes every engine; the exit code is then 0.

A second serve on the same data dir exits at once with code 1.`,
		Example: `  ultramarket serve
  ultramarket serve --data /var/lib/ultramarket --listen 0.0.0.0:8080
  ultramarket serve --demo      # seed a demo shop into an empty data dir`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Server.Listen = listen
			}
			if demo {
				cfg.Demo.Enabled = true
			}
			if err := errors.Join(cfg.Validate(), app.CheckConfig(cfg)); err != nil {
				return usageError(err)
			}
			log, logw := g.logger(cfg)
			defer logw.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.Open(ctx, cfg, app.Options{Version: version, Logger: log, Stdout: g.stdout})
			if err != nil {
				return err
			}
			<-ctx.Done()
			stop()
			log.Info("shutting down", "grace", cfg.Server.ShutdownGrace.Duration)
			if err := a.Close(context.Background()); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			log.Info("stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", `HTTP listen address host:port (overrides server.listen; default "127.0.0.1:8080")`)
	cmd.Flags().BoolVar(&demo, "demo", false, "seed a demo shop (products, stock, an admin whose credentials are printed) when the data dir is empty")
	return cmd
}
