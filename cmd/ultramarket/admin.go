package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ultramarket/ultramarket/app"
	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// withAdmin runs fn with admin operations: through the running server's admin socket when a
// server holds the data dir, otherwise by opening the data dir directly.
func (g *globals) withAdmin(fn func(ctx context.Context, ops uhttp.AdminOps) error) error {
	return g.withAdminDir(false, fn)
}

// withAdminDir is withAdmin; create allows a missing data dir to be created (a fresh install
// gets its first administrator before its first start).
func (g *globals) withAdminDir(create bool, fn func(ctx context.Context, ops uhttp.AdminOps) error) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if client, err := uhttp.DialAdmin(ctx, app.AdminSocketPath(cfg.Data.Dir)); err == nil {
		return adminResult(fn(ctx, client))
	}
	if fi, err := os.Stat(cfg.Data.Dir); (err != nil && !(create && errors.Is(err, os.ErrNotExist))) || (err == nil && !fi.IsDir()) {
		return fmt.Errorf("data dir %s does not exist or is not a directory", cfg.Data.Dir)
	}
	a, err := app.Open(ctx, cfg, app.Options{Version: version, Logger: g.quietLogger(), Offline: true, Stdout: g.stdout})
	if err != nil {
		if errors.Is(err, app.ErrDirInUse) {
			return fmt.Errorf("%w, but its admin socket %s does not answer", err, app.AdminSocketPath(cfg.Data.Dir))
		}
		return err
	}
	err = fn(ctx, a)
	if cerr := a.Close(context.Background()); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return adminResult(err)
}

// adminResult makes invalid input a usage error (exit 2); everything else stays a runtime error.
func adminResult(err error) error {
	if err != nil && commerce.KindOf(err) == commerce.EInvalid {
		return usageError(err)
	}
	return err
}

func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer identities (works with or without a running server)",
	}
	user := &cobra.Command{Use: "user", Short: "Create and list user accounts"}
	var email, password, name, role string
	var passwordStdin bool
	create := &cobra.Command{
		Use:   "create --email E --password P [--role ROLE] [--name N]",
		Short: "Create a user, e.g. the first SUPER_ADMIN of a fresh install",
		Long: `Create a user account. Roles: CUSTOMER, VENDOR, ADMIN, SUPER_ADMIN (default CUSTOMER).
The password must be at least 10 characters, not a common password and not contain the
e-mail's local part. Use --password-stdin to keep it out of the shell history.`,
		Example: `  ultramarket admin user create --email owner@shop.example --role SUPER_ADMIN --password-stdin`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return usageError(errors.New("--password-stdin: no password on standard input"))
				}
				password = strings.TrimRight(line, "\r\n")
			}
			if email == "" || password == "" {
				return usageError(errors.New("--email and --password (or --password-stdin) are required"))
			}
			var r auth.Role
			if role != "" {
				parsed, err := auth.ParseRole(role)
				if err != nil {
					return usageError(err)
				}
				r = parsed
			}
			return g.withAdminDir(true, func(ctx context.Context, ops uhttp.AdminOps) error {
				u, err := ops.CreateUser(ctx, auth.CreateUserInput{Email: email, Password: password, Name: name, Role: r})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "created user %s <%s> role %s\n", u.ID, u.Email, u.Role)
				return nil
			})
		},
	}
	create.Flags().StringVar(&email, "email", "", "e-mail address (required)")
	create.Flags().StringVar(&password, "password", "", "password")
	create.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	create.Flags().StringVar(&name, "name", "", "display name")
	create.Flags().StringVar(&role, "role", "", "CUSTOMER, VENDOR, ADMIN or SUPER_ADMIN (default CUSTOMER)")
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List user accounts in creation order",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tDISABLED\tCREATED")
				page := commerce.Page{Limit: commerce.MaxPageLimit}
				shown := 0
				for {
					l, err := ops.ListUsers(ctx, page)
					if err != nil {
						return err
					}
					for _, u := range l.Items {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Disabled, u.CreatedAt.Format("2006-01-02 15:04"))
						shown++
						if limit > 0 && shown >= limit {
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
	list.Flags().IntVar(&limit, "limit", 0, "show at most this many users (0 = all)")
	user.AddCommand(create, list)
	cmd.AddCommand(user)
	return cmd
}
