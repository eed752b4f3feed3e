package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// errAuditBroken ends `audit verify` with exit status 1 after its report is printed.
var errAuditBroken = errors.New("the audit log is not intact")

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check and read the tamper-evident audit log (works with or without a running server)",
	}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Prove the audit log's hash chain is intact, or name its first broken entry",
		Long: `Read the whole audit log from entry #1 and check that every entry's SHA-256 hash matches
its content, that each entry carries the hash of the one before it, that no entry is
missing, and that the last entry is the recorded head. Exit status 0 when intact, 1 (with
the first broken entry and why) when not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				r, err := ops.VerifyAudit(ctx)
				if err != nil {
					return err
				}
				if !r.OK {
					fmt.Fprintf(g.stdout, "audit log broken at entry #%d: %s\n", r.BrokenSeq, r.Reason)
					return fmt.Errorf("%w: entry #%d", errAuditBroken, r.BrokenSeq)
				}
				fmt.Fprintf(g.stdout, "audit log intact: %d entries, head #%d %s\n", r.Entries, r.HeadSeq, r.HeadHash)
				return nil
			})
		},
	}
	var action string
	var limit int
	list := &cobra.Command{
		Use:     "list [--action TYPE|PREFIX*] [--limit N]",
		Short:   "List audit entries, newest first",
		Example: "  ultramarket audit list --action 'auth.*' --limit 50",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := audit.Filter{Action: action}
			if err := f.Validate(); err != nil {
				return usageError(err)
			}
			if limit < 0 {
				return usageError(errors.New("--limit must be 0 (all) or more"))
			}
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tIP")
				page := commerce.Page{Limit: commerce.MaxPageLimit}
				shown := 0
				for {
					l, err := ops.ListAudit(ctx, f, page)
					if err != nil {
						return err
					}
					for _, e := range l.Items {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05"), e.ActorID, e.Action, e.Target, e.IP)
						if shown++; limit > 0 && shown >= limit {
							return tw.Flush()
						}
					}
					if l.NextCursor == "" {
						return tw.Flush()
					}
					page.Cursor = l.NextCursor
				}
			})
		},
	}
	list.Flags().StringVar(&action, "action", "", `event type, or a prefix ending in "*" such as "auth.*"`)
	list.Flags().IntVar(&limit, "limit", 20, "show at most this many entries (0 = all)")
	cmd.AddCommand(verify, list)
	return cmd
}
