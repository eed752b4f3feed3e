package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
)

// openAudit has nothing to open: the store appends the audit log in the writer (store/audit.go)
// from the moment it opens, and serving reads it through a.DB.
func (a *App) openAudit(context.Context) error { return nil }

// VerifyAudit reads the whole audit log and checks its hash chain and recorded head.
func (a *App) VerifyAudit(ctx context.Context) (audit.Report, error) { return a.DB.VerifyAudit(ctx) }

// ListAudit returns one page of audit entries f matches, newest first.
func (a *App) ListAudit(ctx context.Context, f audit.Filter, page commerce.Page) (commerce.List[audit.Entry], error) {
	if err := f.Validate(); err != nil {
		return commerce.List[audit.Entry]{}, err
	}
	return a.DB.AuditEntries(ctx, f, page)
}
