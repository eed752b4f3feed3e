package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	uhttp "github.com/ultramarket/ultramarket/http"
)

// errLedgerUnbalanced ends `ledger check` with exit status 1 after its report is printed.
var errLedgerUnbalanced = errors.New("the ledger does not balance")

func newLedgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Check the gift card and wallet ledger (works with or without a running server)",
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Prove the double-entry ledger balances, or name its first problem",
		Long: `Read every ledger transaction and balance row in one snapshot and check that each
transaction's entries sum to zero per currency, that every stored balance (wallets, gift
cards, the shop's accounts) equals the sum of its account's entries, that no wallet or gift
card is negative and that all entries of each currency sum to zero. Exit status 0 when the
ledger balances, 1 (with the first problem) when not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				lo, ok := ops.(uhttp.LedgerOps)
				if !ok {
					return errors.New("this server does not offer the ledger check")
				}
				r, err := lo.CheckLedger(ctx)
				if err != nil {
					return err
				}
				if !r.OK {
					fmt.Fprintf(g.stdout, "ledger does not balance: %s\n", r.Problem)
					return fmt.Errorf("%w: %s", errLedgerUnbalanced, r.Problem)
				}
				curs := make([]string, 0, len(r.Totals))
				for c := range r.Totals {
					curs = append(curs, c)
				}
				sort.Strings(curs)
				fmt.Fprintf(g.stdout, "ledger balances: %d transactions, %d entries, %d accounts", r.Transactions, r.Entries, r.Accounts)
				if len(curs) > 0 {
					fmt.Fprintf(g.stdout, " (%s sum to 0)", strings.Join(curs, ", "))
				}
				fmt.Fprintln(g.stdout)
				return nil
			})
		},
	}
	cmd.AddCommand(check)
	return cmd
}
