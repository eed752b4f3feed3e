package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	stdhttp "net/http"
	"os"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/snapshot"
)

var _ uhttp.AdminOps = (*App)(nil)

// operator marks ctx as the operator's: admin operations run as the staff actor "cli", so
// every write they make is audited.
func operator(ctx context.Context) context.Context {
	return commerce.WithActor(ctx, commerce.Actor{ID: "cli", Staff: true})
}

// CreateUser creates an identity (for example the first SUPER_ADMIN of a fresh install).
func (a *App) CreateUser(ctx context.Context, in auth.CreateUserInput) (auth.User, error) {
	return a.Auth.CreateUser(operator(ctx), in)
}

// FindUsers lists the identities that match f in creation order.
func (a *App) FindUsers(ctx context.Context, f auth.UserFilter, page commerce.Page) (commerce.List[auth.User], error) {
	return a.Auth.FindUsers(operator(ctx), f, page)
}

// userOp runs op as the operator on the user named by ref (ID or e-mail).
func (a *App) userOp(ctx context.Context, ref string, op func(ctx context.Context, id string) (auth.User, error)) (auth.User, error) {
	ctx = operator(ctx)
	u, err := a.Auth.UserByRef(ctx, ref)
	if err != nil {
		return auth.User{}, err
	}
	return op(ctx, u.ID)
}

// SetUserRole changes a user's role (the last enabled SUPER_ADMIN keeps theirs).
func (a *App) SetUserRole(ctx context.Context, ref string, role auth.Role) (auth.User, error) {
	return a.userOp(ctx, ref, func(ctx context.Context, id string) (auth.User, error) { return a.Auth.SetRole(ctx, id, role) })
}

// DisableUser stops a user from signing in and ends their sessions.
func (a *App) DisableUser(ctx context.Context, ref string) (auth.User, error) {
	return a.userOp(ctx, ref, a.Auth.Disable)
}

// EnableUser lets a disabled user sign in again.
func (a *App) EnableUser(ctx context.Context, ref string) (auth.User, error) {
	return a.userOp(ctx, ref, a.Auth.Enable)
}

// ResetUserTwoFactor turns a user's second factor off (a lost authenticator).
func (a *App) ResetUserTwoFactor(ctx context.Context, ref string) (auth.User, error) {
	return a.userOp(ctx, ref, a.Auth.ResetSecondFactor)
}

// ListUsers lists identities in creation order.
func (a *App) ListUsers(ctx context.Context, page commerce.Page) (commerce.List[auth.User], error) {
	return a.Auth.ListUsers(operator(ctx), page)
}

// CreateSnapshot writes a snapshot into <data>/snapshots now.
func (a *App) CreateSnapshot(ctx context.Context) (snapshot.Info, error) {
	return a.Snapshots.Create(ctx)
}

// ListSnapshots lists snapshots, newest first.
func (a *App) ListSnapshots(context.Context) ([]snapshot.Info, error) { return a.Snapshots.List() }

// PruneSnapshots removes all but the newest keep snapshots.
func (a *App) PruneSnapshots(ctx context.Context, keep int) ([]snapshot.Info, error) {
	if keep < 1 {
		return nil, commerce.Invalid(commerce.FieldError{Field: "keep", Message: "must be at least 1"})
	}
	return a.Snapshots.Prune(ctx, keep)
}

// Backup streams a consistent, compressed archive of the data dir to w while serving.
func (a *App) Backup(ctx context.Context, w io.Writer) error { return a.Snapshots.Backup(ctx, w) }

// RebuildIndex recreates the search index from the store. While serving, searches keep using
// the old index until the new one is swapped in; offline it rebuilds the index directory.
func (a *App) RebuildIndex(ctx context.Context, progress func(done, total int)) error {
	if a.Index != nil {
		return a.Index.Rebuild(ctx, progress)
	}
	return index.RebuildDir(ctx, index.Config{Dir: a.Config.IndexDir(), BatchSize: a.Config.Index.BatchSize, Logger: a.log},
		a.Catalog, a.DB.LastSeq(), progress)
}

// PutMedia stores an uploaded file after checking its content.
func (a *App) PutMedia(ctx context.Context, r io.Reader, owner string) (media.Meta, error) {
	return a.Media.Put(operator(ctx), r, owner)
}

// serveAdmin listens on the admin socket (mode 0600) so CLI commands reach this process.
func (a *App) serveAdmin() error {
	path := AdminSocketPath(a.Config.Data.Dir)
	// A socket left by a crashed process is stale: the data dir lock proves no one serves it.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("admin socket %s: %w", path, err)
	}
	srv := &stdhttp.Server{
		Handler:           uhttp.NewAdmin(a, a.log.With("component", "admin")),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	a.onClose("admin socket", func(ctx context.Context) error {
		grace, cancel := context.WithTimeout(ctx, a.Config.Server.ShutdownGrace.Duration)
		defer cancel()
		err := srv.Shutdown(grace)
		if err != nil {
			srv.Close()
		}
		<-done
		os.Remove(path)
		return err
	})
	return nil
}
