package main

import (
	"context"
	"fmt"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	uhttp "github.com/ultramarket/ultramarket/http"
)

func newCatalogCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Import and export products (works with or without a running server)"}
	var opts uhttp.ImportOptions
	imp := &cobra.Command{
		Use:   "import FILE [--dry-run] [--atomic] [--format shopify|dummyjson]",
		Short: "Import products from a Shopify CSV or a DummyJSON catalog",
		Long: `Import products from a Shopify product CSV (the classic header set with Handle, Body (HTML),
Variant SKU… or the 2024 one with URL handle, Description, SKU…; columns are matched by name and
unknown ones ignored) or a DummyJSON catalog (a JSON array of products). The format is told from
the content unless --format says it. Products are upserted by handle, then by SKU; categories are
found or created by their name path ("Apparel > Clothing"). Every product is written whole or not
at all.

--dry-run checks everything and reports what would be created, updated or fail, writing nothing.
--atomic writes nothing unless every product is valid. The report lists every row error with its
line number; the command exits 1 when a product failed. A progress bar is shown on a terminal.`,
		Example: `  ultramarket catalog import products.csv --dry-run
  ultramarket catalog import dummyjson-products.json --atomic`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageError(err)
			}
			defer f.Close()
			if fi, err := f.Stat(); err == nil {
				opts.Size = fi.Size()
			}
			if opts.Format != "" && opts.Format != "shopify" && opts.Format != "dummyjson" {
				return usageError(fmt.Errorf("--format must be shopify or dummyjson"))
			}
			var rep catalog.ImportReport
			err = g.withAdminDir(true, func(ctx context.Context, ops uhttp.AdminOps) error {
				var bar *progressbar.ProgressBar
				progress := func(done, total int) {
					if !isTerminal(g.stderr) || total <= 0 {
						return
					}
					if bar == nil {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(g.stderr),
							progressbar.OptionSetDescription("importing "+args[0]), progressbar.OptionShowBytes(true),
							progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
					}
					_ = bar.Set(done)
				}
				var err error
				rep, err = ops.ImportProducts(ctx, f, opts, progress)
				if bar != nil {
					_ = bar.Finish()
				}
				return err
			})
			printReport(g, rep)
			if err != nil {
				return err
			}
			if rep.Failed > 0 {
				return fmt.Errorf("%d products failed", rep.Failed)
			}
			return nil
		},
	}
	imp.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check and report only; write nothing")
	imp.Flags().BoolVar(&opts.Atomic, "atomic", false, "write nothing unless every product is valid")
	imp.Flags().StringVar(&opts.Format, "format", "", "shopify or dummyjson (default: told from the content)")

	var out string
	exp := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Export every product as a Shopify CSV (classic header set)",
		Long: `Write every product as a Shopify product CSV in the classic header set: one row per variant,
then a row per further image, the category as its name path, the brand in the column
"Brand (product.metafields.custom.brand)". Importing the file gives the same products.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError(fmt.Errorf("--out is required"))
			}
			tmp := out + ".tmp"
			f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			err = g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error { return ops.ExportProducts(ctx, f) })
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(tmp, out)
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			fmt.Fprintf(g.stdout, "products exported to %s\n", out)
			return nil
		},
	}
	exp.Flags().StringVar(&out, "out", "", "file to write (replaced when it exists)")
	cmd.AddCommand(imp, exp)
	return cmd
}

// printReport prints an import report: the counts, then every error with its line.
func printReport(g *globals, rep catalog.ImportReport) {
	what := "imported"
	switch {
	case rep.DryRun:
		what = "dry run, nothing written"
	case rep.Atomic && !rep.Written && rep.Failed > 0:
		what = "atomic import refused, nothing written"
	}
	fmt.Fprintf(g.stdout, "%s: %d created, %d updated, %d unchanged, %d failed, %d categories created\n",
		what, rep.Created, rep.Updated, rep.Unchanged, rep.Failed, rep.Categories)
	for _, e := range rep.Errors {
		where := ""
		if e.Line > 0 {
			where = fmt.Sprintf("line %d: ", e.Line)
		}
		if e.Handle != "" {
			where += e.Handle + ": "
		}
		if e.Field != "" {
			where += e.Field + ": "
		}
		fmt.Fprintf(g.stdout, "  %s%s\n", where, e.Message)
	}
}
