// Command ultramarket-load drives a running UltraMarket server with the storefront load of
// `make bench` and prints requests/s, p50, p99 and errors per case, the ratio of product by id
// to a bare Echo handler (this machine's ceiling, served by a child process of this binary),
// the checkout's stock check and the targets (PASS/MISS; a miss never fails the run).
//
//	ultramarket-load --url http://127.0.0.1:8080 --email admin@demo.ultramarket.local --password ... [--json out.json]
//
// The exit code is 0 when the run completed (targets met or not) and the checkout's stock
// check found nothing oversold, 1 otherwise.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ultramarket/ultramarket/internal/load"
)

// ceilingCommand is the hidden subcommand that serves the bare ceiling handler; the tool
// starts itself with it so the ceiling runs in a process of its own, like the server.
const ceilingCommand = "serve-ceiling"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == ceilingCommand {
		err = serveCeiling(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ultramarket-load:", err)
		os.Exit(1)
	}
}

func serveCeiling(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(ceilingCommand, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return load.ServeCeiling(ctx, *listen, os.Stdout)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ultramarket-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg load.Config
	fs.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8080", "base URL of the running server")
	fs.StringVar(&cfg.Email, "email", "", "e-mail of an ADMIN or SUPER_ADMIN account (the run creates hot variants)")
	fs.StringVar(&cfg.Password, "password", "", "its password (or set ULTRAMARKET_LOAD_PASSWORD)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each timed case")
	fs.IntVar(&cfg.Connections, "connections", 32, "concurrent connections (one closed-loop worker each)")
	fs.IntVar(&cfg.HotVariants, "hot-variants", 10, "variants the checkout case buys")
	fs.Int64Var(&cfg.HotStock, "hot-stock", 100_000, "initial stock of each hot variant")
	fs.IntVar(&cfg.AddCarts, "add-carts", 4096, "carts the add-to-cart case spreads its items over")
	fs.IntVar(&cfg.CheckoutCarts, "checkout-carts", 0, "filled carts prepared for checkout (0: estimated from the add-to-cart rate)")
	cases := fs.String("cases", strings.Join(load.CaseNames, ","), "comma-separated cases to run")
	ceiling := fs.String("ceiling-url", "", "URL of a running ceiling handler (default: start one in a child process; \"off\" skips it)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file (\"-\" for stdout)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Password == "" {
		cfg.Password = os.Getenv("ULTRAMARKET_LOAD_PASSWORD")
	}
	cfg.Cases = strings.Split(*cases, ",")
	if !*quiet {
		cfg.Log = stderr
	}
	wantCeiling := false
	for _, c := range cfg.Cases {
		wantCeiling = wantCeiling || c == load.CaseCeiling
	}
	switch {
	case *ceiling == "off" || !wantCeiling:
	case *ceiling != "":
		cfg.CeilingURL = *ceiling
	default:
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this binary to start the ceiling server: %w", err)
		}
		c, err := load.StartCeiling(exe, ceilingCommand, "--listen", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Stop()
		cfg.CeilingURL = c.URL
	}

	report, err := load.Run(ctx, cfg)
	if err != nil {
		return err
	}
	report.Print(stdout)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if *jsonOut == "-" {
			_, err = stdout.Write(b)
		} else {
			err = os.WriteFile(*jsonOut, b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("write the JSON report: %w", err)
		}
	}
	for _, c := range report.Cases {
		if c.Stock != nil && !c.Stock.OK {
			return errors.New("checkout stock check failed: units were oversold or lost")
		}
	}
	return nil
}
