package main

import (
	"context"
	"fmt"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	uhttp "github.com/ultramarket/ultramarket/http"
)

func newIndexCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "index", Short: "Maintain the search index"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Recreate the search index from the store (online or offline)",
		Long: `Recreate the Bleve search index from the products in the store. With a running server
searches keep using the old index until the new one is swapped in; with the server stopped
the index directory is rebuilt in place. A progress bar is shown on a terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				var bar *progressbar.ProgressBar
				progress := func(done, total int) {
					if !isTerminal(g.stderr) {
						return
					}
					if bar == nil {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(g.stderr),
							progressbar.OptionSetDescription("indexing products"), progressbar.OptionShowCount(),
							progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
					}
					_ = bar.Set(done)
				}
				if err := ops.RebuildIndex(ctx, progress); err != nil {
					return err
				}
				if bar != nil {
					_ = bar.Finish()
				}
				fmt.Fprintln(g.stdout, "search index rebuilt")
				return nil
			})
		},
	})
	return cmd
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
