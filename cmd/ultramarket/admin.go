package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
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
	user := &cobra.Command{Use: "user", Short: "Create, list, disable, enable user accounts, change roles, reset 2FA"}
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
	var listRole, listEmail, listDisabled string
	list := &cobra.Command{
		Use:     "list [--role ROLE] [--email PREFIX] [--disabled true|false]",
		Short:   "List user accounts in creation order",
		Example: `  ultramarket admin user list --role ADMIN`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := auth.UserFilter{EmailPrefix: listEmail}
			if listRole != "" {
				r, err := auth.ParseRole(listRole)
				if err != nil {
					return usageError(err)
				}
				f.Role = r
			}
			if listDisabled != "" {
				b, err := strconv.ParseBool(listDisabled)
				if err != nil {
					return usageError(fmt.Errorf("--disabled must be true or false, not %q", listDisabled))
				}
				f.Disabled = &b
			}
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tDISABLED\t2FA\tCREATED")
				page := commerce.Page{Limit: commerce.MaxPageLimit}
				shown := 0
				for {
					l, err := ops.FindUsers(ctx, f, page)
					if err != nil {
						return err
					}
					for _, u := range l.Items {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Disabled, u.TOTPEnabled, u.CreatedAt.Format("2006-01-02 15:04"))
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
	list.Flags().StringVar(&listRole, "role", "", "only users with this role")
	list.Flags().StringVar(&listEmail, "email", "", "only users whose e-mail starts with this (any case)")
	list.Flags().StringVar(&listDisabled, "disabled", "", "only disabled (true) or enabled (false) users")

	// userCmd is a command on one user named by ID or e-mail.
	userCmd := func(use, short, long, done string, nargs int, op func(ctx context.Context, ops uhttp.AdminOps, args []string) (auth.User, error)) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Long: long, Args: cobra.ExactArgs(nargs),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
					u, err := op(ctx, ops, args)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.stdout, "%s user %s <%s> role %s disabled %v\n", done, u.ID, u.Email, u.Role, u.Disabled)
					return nil
				})
			},
		}
	}
	disable := userCmd("disable USER", "Disable an account (ID or e-mail) and end its sessions",
		"The user can no longer sign in. The last enabled SUPER_ADMIN cannot be disabled.", "disabled", 1,
		func(ctx context.Context, ops uhttp.AdminOps, args []string) (auth.User, error) {
			return ops.DisableUser(ctx, args[0])
		})
	enable := userCmd("enable USER", "Enable a disabled account (ID or e-mail)", "", "enabled", 1,
		func(ctx context.Context, ops uhttp.AdminOps, args []string) (auth.User, error) {
			return ops.EnableUser(ctx, args[0])
		})
	setRole := userCmd("set-role USER ROLE", "Change an account's role (ID or e-mail; CUSTOMER, VENDOR, ADMIN, SUPER_ADMIN)",
		"Ends the user's sessions: access tokens carry the role. The last enabled SUPER_ADMIN keeps the role.", "changed", 2,
		func(ctx context.Context, ops uhttp.AdminOps, args []string) (auth.User, error) {
			r, err := auth.ParseRole(args[1])
			if err != nil {
				return auth.User{}, err
			}
			return ops.SetUserRole(ctx, args[0], r)
		})
	reset2FA := userCmd("reset-2fa USER", "Turn off an account's second factor (ID or e-mail), e.g. after a lost phone",
		"The user signs in with the password alone, or enrols again if their role requires 2FA.", "reset 2FA of", 1,
		func(ctx context.Context, ops uhttp.AdminOps, args []string) (auth.User, error) {
			return ops.ResetUserTwoFactor(ctx, args[0])
		})
	user.AddCommand(create, list, disable, enable, setRole, reset2FA)
	cmd.AddCommand(user)
	return cmd
}
