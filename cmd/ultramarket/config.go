package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/app"
	"github.com/ultramarket/ultramarket/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a configuration file or print the defaults",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a configuration file strictly and print every problem with its key",
		Long: `Validate a configuration file: unknown keys, wrong types and invalid values are
reported one per line, each naming its key. ULTRAMARKET_<SECTION>_<KEY> environment
variables are applied as "serve" would. Exits 0 when valid and 2 when not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err == nil {
				if err = app.CheckConfig(cfg); err != nil {
					fmt.Fprintln(g.stdout, err)
					return usageError(fmt.Errorf("%s is not a valid configuration", args[0]))
				}
			}
			if err != nil {
				var ve *config.ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						fmt.Fprintf(g.stdout, "%s: %s\n", p.Key, p.Message)
					}
					return usageError(fmt.Errorf("%s: %d problem(s)", args[0], len(ve.Problems)))
				}
				fmt.Fprintln(g.stdout, err)
				return usageError(fmt.Errorf("%s is not a valid configuration", args[0]))
			}
			fmt.Fprintf(g.stdout, "%s: ok\n", args[0])
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "defaults",
		Short: "Print a complete configuration file holding every default",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := config.Default().TOML()
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	})
	return cmd
}
