package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/snapshot"
)

func newSnapshotCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Create, list and prune snapshots in <data>/snapshots",
		Long: `Snapshots are consistent copies of the store (a Pebble checkpoint), the media and the
search index, each with a manifest of file sizes and SHA-256 sums (taken with no server
running, they hold no index: it is rebuilt on the next start). The server also takes them
periodically (snapshots.interval, keeping snapshots.keep).`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "create",
		Short: "Take a snapshot now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				info, err := ops.CreateSnapshot(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "snapshot %s: %d files, %d bytes\n", info.Name, info.Files, info.Bytes)
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List snapshots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				list, err := ops.ListSnapshots(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCREATED\tFILES\tBYTES")
				for _, s := range list {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", s.Name, s.Created.Format("2006-01-02 15:04:05Z07:00"), s.Files, s.Bytes)
				}
				return tw.Flush()
			})
		},
	})
	var keep int
	prune := &cobra.Command{
		Use:   "prune [--keep N]",
		Short: "Remove all but the newest N snapshots (default snapshots.keep)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("keep") {
				cfg, err := g.loadConfig()
				if err != nil {
					return err
				}
				keep = cfg.Snapshots.Keep
			}
			if keep < 1 {
				return usageError(errors.New("--keep must be at least 1"))
			}
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				removed, err := ops.PruneSnapshots(ctx, keep)
				if err != nil {
					return err
				}
				for _, s := range removed {
					fmt.Fprintf(g.stdout, "removed %s\n", s.Name)
				}
				fmt.Fprintf(g.stdout, "%d snapshot(s) removed\n", len(removed))
				return nil
			})
		},
	}
	prune.Flags().IntVar(&keep, "keep", 0, "how many snapshots to keep")
	cmd.AddCommand(prune)
	return cmd
}

func newBackupCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write one compressed, consistent archive of the data dir (online or offline)",
		Long: `Write a backup archive: a consistent snapshot of the store, media and index, streamed
as one compressed file with its manifest. Works while the server runs (with no server
running the archive holds no index; it is rebuilt on the next start). The file is written
to FILE.partial and renamed when complete, so FILE is never a truncated backup.`,
		Example: `  ultramarket backup --out /mnt/usb/shop-$(date +%F).umbak`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError(errors.New("--out FILE is required"))
			}
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				tmp := out + ".partial"
				f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
				if err != nil {
					return fmt.Errorf("backup: %w", err)
				}
				err = ops.Backup(ctx, f)
				if err == nil {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = os.Rename(tmp, out)
				}
				if err != nil {
					os.Remove(tmp)
					return fmt.Errorf("backup to %s: %w", out, err)
				}
				fi, _ := os.Stat(out)
				fmt.Fprintf(g.stdout, "backup written to %s (%d bytes)\n", out, fi.Size())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "archive file to write (required)")
	return cmd
}

func newRestoreCmd(g *globals) *cobra.Command {
	var from string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from FILE|SNAPSHOT --data DIR [--force]",
		Short: "Restore a backup archive or a snapshot directory into a data dir",
		Long: `Restore a backup archive or a snapshot directory into the data dir given with --data.
Every file is checked against the manifest before anything is written. A non-empty data dir
is refused unless --force; a data dir held by a running server is always refused. The
search index is rebuilt on the next start if it is missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usageError(errors.New("--from FILE|SNAPSHOT is required"))
			}
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if _, err := os.Stat(from); err != nil {
				return usageError(fmt.Errorf("--from %s: %w", from, err))
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := snapshot.Restore(ctx, from, cfg.Data.Dir, force); err != nil {
				if errors.Is(err, snapshot.ErrNotEmpty) {
					return fmt.Errorf("%w (pass --force to replace them)", err)
				}
				return err
			}
			fmt.Fprintf(g.stdout, "restored %s into %s\n", from, cfg.Data.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup archive or snapshot directory (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the contents of a non-empty data dir")
	return cmd
}

func newVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE|SNAPSHOT",
		Short: "Check a backup archive or snapshot: checksums and store invariants (read-only)",
		Long: `Verify a backup archive or a snapshot without changing it: every file against the
manifest's size and SHA-256, then the store's invariants (schema version, decodable values,
outbox order) and the media blobs' hashes. SNAPSHOT may be a path or a snapshot name in
<data>/snapshots. Exits 0 when intact and 1 when not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if _, err := os.Stat(path); err != nil {
				cfg, cerr := g.loadConfig()
				if cerr != nil {
					return cerr
				}
				named := filepath.Join(cfg.SnapshotsDir(), path)
				if _, nerr := os.Stat(named); nerr != nil {
					return usageError(fmt.Errorf("%s: no such file, directory or snapshot", path))
				}
				path = named
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rep, err := snapshot.Verify(ctx, path)
			if err != nil {
				return err
			}
			for _, line := range rep.Checked {
				fmt.Fprintln(g.stdout, "  "+line)
			}
			fmt.Fprintf(g.stdout, "%s: ok (%d files, %d bytes)\n", path, rep.Files, rep.Bytes)
			return nil
		},
	}
}
