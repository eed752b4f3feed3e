package http

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	stdhttp "net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/snapshot"
)

// AdminOps are the operator operations behind the local admin socket. The app implements
// them; the CLI calls the same methods directly when no server holds the data dir, so both
// paths run one piece of code.
type AdminOps interface {
	CreateUser(ctx context.Context, in auth.CreateUserInput) (auth.User, error)
	ListUsers(ctx context.Context, page commerce.Page) (commerce.List[auth.User], error)
	// The user operations below name the user by ID or by e-mail (ref).
	FindUsers(ctx context.Context, f auth.UserFilter, page commerce.Page) (commerce.List[auth.User], error)
	SetUserRole(ctx context.Context, ref string, role auth.Role) (auth.User, error)
	DisableUser(ctx context.Context, ref string) (auth.User, error)
	EnableUser(ctx context.Context, ref string) (auth.User, error)
	ResetUserTwoFactor(ctx context.Context, ref string) (auth.User, error)
	CreateSnapshot(ctx context.Context) (snapshot.Info, error)
	ListSnapshots(ctx context.Context) ([]snapshot.Info, error)
	PruneSnapshots(ctx context.Context, keep int) ([]snapshot.Info, error)
	Backup(ctx context.Context, w io.Writer) error
	RebuildIndex(ctx context.Context, progress func(done, total int)) error
	PutMedia(ctx context.Context, r io.Reader, owner string) (media.Meta, error)
	// ImportProducts imports a product file (progress in bytes read); ExportProducts writes
	// every product as a Shopify CSV.
	ImportProducts(ctx context.Context, r io.Reader, opts ImportOptions, progress func(done, total int)) (catalog.ImportReport, error)
	ExportProducts(ctx context.Context, w io.Writer) error
	VerifyAudit(ctx context.Context) (audit.Report, error)
	ListAudit(ctx context.Context, f audit.Filter, page commerce.Page) (commerce.List[audit.Entry], error)
}

// UserDTO is a user as admin and account APIs show it: never with the password hash.
type UserDTO struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	TOTP      bool      `json:"totp_enabled"`
	CreatedAt time.Time `json:"created_at"`
}

// NewUserDTO converts a user for output.
func NewUserDTO(u auth.User) UserDTO {
	return UserDTO{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Disabled: u.Disabled, TOTP: u.TOTPEnabled, CreatedAt: u.CreatedAt}
}

// CreateUserRequest is the body of POST /admin/users.
type CreateUserRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

// PruneRequest is the body of POST /admin/snapshots/prune.
type PruneRequest struct {
	Keep int `json:"keep"`
}

// Progress is one line of a streamed long-running admin operation (NDJSON).
type Progress struct {
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Final bool   `json:"final,omitempty"`
	Error string `json:"error,omitempty"`
}

// NewAdmin returns the handler served on the admin socket. Access control is the socket's
// file mode (0600): only the data dir's owner can connect.
func NewAdmin(ops AdminOps, logger *slog.Logger) stdhttp.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{cfg: Config{Logger: logger}}
	e := s.newEcho()
	e.Use(s.recoverPanics)

	e.POST("/admin/users", func(c echo.Context) error {
		var req CreateUserRequest
		if err := bind(c, &req); err != nil {
			return err
		}
		// The service validates the role with every other field.
		u, err := ops.CreateUser(c.Request().Context(), auth.CreateUserInput{Email: req.Email, Password: req.Password, Name: req.Name, Role: auth.Role(req.Role)})
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusCreated, NewUserDTO(u))
	})
	e.GET("/admin/users", func(c echo.Context) error {
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		f, err := userFilterOf(c)
		if err != nil {
			return err
		}
		l, err := ops.FindUsers(c.Request().Context(), f, commerce.Page{Limit: limit, Cursor: c.QueryParam("cursor")})
		if err != nil {
			return err
		}
		out := commerce.List[UserDTO]{NextCursor: l.NextCursor, Items: make([]UserDTO, 0, len(l.Items))}
		for _, u := range l.Items {
			out.Items = append(out.Items, NewUserDTO(u))
		}
		return c.JSON(stdhttp.StatusOK, out)
	})
	userOp := func(op func(ctx context.Context, ref string) (auth.User, error)) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := op(c.Request().Context(), c.Param("ref"))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, NewUserDTO(u))
		}
	}
	e.PUT("/admin/users/:ref/role", func(c echo.Context) error {
		var req setRoleRequest
		if err := bind(c, &req); err != nil {
			return err
		}
		return userOp(func(ctx context.Context, ref string) (auth.User, error) {
			return ops.SetUserRole(ctx, ref, auth.Role(req.Role))
		})(c)
	})
	e.POST("/admin/users/:ref/disable", userOp(ops.DisableUser))
	e.POST("/admin/users/:ref/enable", userOp(ops.EnableUser))
	e.DELETE("/admin/users/:ref/2fa", userOp(ops.ResetUserTwoFactor))
	e.POST("/admin/snapshots", func(c echo.Context) error {
		info, err := ops.CreateSnapshot(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusCreated, info)
	})
	e.GET("/admin/snapshots", func(c echo.Context) error {
		list, err := ops.ListSnapshots(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, list)
	})
	e.POST("/admin/snapshots/prune", func(c echo.Context) error {
		var req PruneRequest
		if err := bind(c, &req); err != nil {
			return err
		}
		removed, err := ops.PruneSnapshots(c.Request().Context(), req.Keep)
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, removed)
	})
	e.GET("/admin/backup", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "application/octet-stream")
		c.Response().WriteHeader(stdhttp.StatusOK)
		// Once streaming has begun a failure can only cut the stream short; the archive's
		// manifest lets the client detect a truncated backup.
		if err := ops.Backup(c.Request().Context(), c.Response()); err != nil {
			logger.Error("backup failed while streaming", "err", err)
			panic(stdhttp.ErrAbortHandler)
		}
		return nil
	})
	e.POST("/admin/index/rebuild", func(c echo.Context) error {
		return streamProgress(c, func(progress func(done, total int)) error {
			return ops.RebuildIndex(c.Request().Context(), progress)
		})
	})
	auditAdminRoutes(e, ops)
	importAdminRoutes(e, ops)
	ledgerAdminRoutes(e, ops)
	// Profiling for operators, only on the owner-only socket:
	// curl --unix-socket <data>/admin.sock http://admin/debug/pprof/heap > heap.pprof
	e.GET("/debug/pprof/", echo.WrapHandler(stdhttp.HandlerFunc(pprof.Index)))
	e.GET("/debug/pprof/cmdline", echo.WrapHandler(stdhttp.HandlerFunc(pprof.Cmdline)))
	e.GET("/debug/pprof/profile", echo.WrapHandler(stdhttp.HandlerFunc(pprof.Profile)))
	e.GET("/debug/pprof/symbol", echo.WrapHandler(stdhttp.HandlerFunc(pprof.Symbol)))
	e.GET("/debug/pprof/trace", echo.WrapHandler(stdhttp.HandlerFunc(pprof.Trace)))
	e.GET("/debug/pprof/:profile", func(c echo.Context) error {
		pprof.Handler(c.Param("profile")).ServeHTTP(c.Response(), c.Request())
		return nil
	})
	e.POST("/admin/media", func(c echo.Context) error {
		// The media store reads at most its upload limit and refuses anything larger.
		m, err := ops.PutMedia(c.Request().Context(), c.Request().Body, c.QueryParam("owner"))
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusCreated, m)
	})
	return e
}

// streamProgress runs op and streams its progress as NDJSON lines, ending with a final line
// that carries the outcome.
func streamProgress(c echo.Context, op func(progress func(done, total int)) error) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/x-ndjson")
	c.Response().WriteHeader(stdhttp.StatusOK)
	w := bufio.NewWriter(c.Response())
	enc := json.NewEncoder(w)
	last := time.Time{}
	err := op(func(done, total int) {
		if time.Since(last) < 100*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		_ = enc.Encode(Progress{Done: done, Total: total})
		_ = w.Flush()
		c.Response().Flush()
	})
	final := Progress{Final: true}
	if err != nil {
		final.Error = err.Error()
	}
	_ = enc.Encode(final)
	_ = w.Flush()
	c.Response().Flush()
	return nil
}
