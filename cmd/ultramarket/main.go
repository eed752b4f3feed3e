// Command ultramarket is the UltraMarket binary: `serve` runs the shop; the other commands
// administer a data dir, through the running server's admin socket when one holds it, or by
// opening the data dir directly when none does.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/logbuf"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2 // bad flags, arguments or configuration
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "ultramarket:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitRuntime
}

func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// globals are the persistent flags every command takes.
type globals struct {
	configFile string
	dataDir    string
	stdout     io.Writer
	stderr     io.Writer
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "ultramarket",
		Short: "UltraMarket: a complete e-commerce backend in one binary",
		Long: `UltraMarket is a complete e-commerce backend in one binary: catalog, search, cart,
checkout, orders, media, events, snapshots and backups, with no database server, search
cluster or broker to install. Run "ultramarket serve" to start a shop on ./data.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "configuration file (TOML); defaults apply when omitted")
	root.PersistentFlags().StringVar(&g.dataDir, "data", "", `data directory (overrides data.dir; default "./data")`)
	root.AddCommand(
		newServeCmd(g),
		newVersionCmd(g),
		newConfigCmd(g),
		newAdminCmd(g),
		newAuditCmd(g),
		newLedgerCmd(g),
		newSnapshotCmd(g),
		newBackupCmd(g),
		newRestoreCmd(g),
		newVerifyCmd(g),
		newIndexCmd(g),
		newCatalogCmd(g),
		newMediaCmd(g),
	)
	return root
}

// loadConfig loads the configuration file and environment, then applies --data.
// Configuration problems are usage errors (exit 2).
func (g *globals) loadConfig() (config.Config, error) {
	cfg, err := config.Load(g.configFile)
	if err != nil {
		return cfg, usageError(err)
	}
	if g.dataDir != "" {
		cfg.Data.Dir = g.dataDir
	}
	return cfg, nil
}

// quietLogger is the logger of admin commands: warnings and errors only, so their output
// stays readable.
func (g *globals) quietLogger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelWarn}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// logger builds the server's logger from the configuration. Its output is buffered (one
// write per 100 ms instead of one per request line; warnings and errors at once): the caller
// closes the returned writer last.
func (g *globals) logger(cfg config.Config) (*slog.Logger, *logbuf.Writer) {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	w := logbuf.New(g.stderr, 100*time.Millisecond)
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(logbuf.Handler(h, w)), w
}
