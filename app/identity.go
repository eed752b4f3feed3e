package app

import "context"

// openIdentity opens what identity and access need beyond accounts and tokens: the audit
// log, the mail queue and its sender, customers' data and vendors. Each part lives in its
// own file; this is only their order.
func (a *App) openIdentity(ctx context.Context) error {
	for _, open := range []func(context.Context) error{a.openAudit, a.openMail, a.openCustomers, a.openVendors} {
		if err := open(ctx); err != nil {
			return err
		}
	}
	return nil
}
