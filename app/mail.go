package app

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/mailer"
	"github.com/ultramarket/ultramarket/store"
)

// oneTimePurgeInterval is how often expired reset and verification tokens are deleted.
const oneTimePurgeInterval = time.Hour

// openMail gives the auth service its single-use tokens and mail queue, and (serving only)
// starts the SMTP sender of config [smtp] and the hourly purge of expired tokens. Offline
// admin commands queue mails too; the next server start sends them.
func (a *App) openMail(context.Context) error {
	cfg := a.Config
	queue := store.NewMailQueue(a.DB)
	rec := store.NewRecovery(a.DB, queue)
	a.Auth.UseRecovery(rec, auth.RecoveryConfig{
		BaseURL:   a.linkBase,
		ResetTTL:  cfg.Auth.ResetTokenTTL.Duration,
		VerifyTTL: cfg.Auth.VerifyTokenTTL.Duration,
	})
	if a.opts.Offline {
		return nil
	}
	sender, err := mailer.Open(mailer.Config{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password,
		From: cfg.SMTP.From, TLS: cfg.SMTP.TLS, Timeout: cfg.SMTP.Timeout.Duration,
		Logger: a.log.With("component", "mailer"),
	}, queue)
	if err != nil {
		return err
	}
	a.onClose("mail sender", func(context.Context) error { return sender.Close() })

	a.purgeEvery("token purge", oneTimePurgeInterval, "reset and verification tokens", rec.PurgeExpired)
	return nil
}

// linkBase is where links in mails point: server.public_url, or else the address the
// server listens on, over http (an unspecified host becomes localhost).
func (a *App) linkBase() string {
	if u := a.Config.Server.PublicURL; u != "" {
		return strings.TrimRight(u, "/")
	}
	addr := a.Config.Server.Listen
	if a.addr != nil {
		addr = a.addr.String()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
