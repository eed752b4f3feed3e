package apptest

import (
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/mailer/smtptest"
)

// WithSMTP sends the instance's e-mail to the test SMTP server, unencrypted.
func WithSMTP(srv *smtptest.Server) Option {
	return func(c *config.Config) {
		c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS = srv.Host, srv.Port, "none"
		c.SMTP.From = "UltraMarket <shop@example.com>"
	}
}
