package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/mailer"
)

// MailQueue is the durable queue of outgoing e-mail: mail/queue/<id> holds one mail with its
// delivery state. Use cases queue a mail in the same update as its cause (see Recovery); the
// mailer takes them from here (it implements mailer.Queue) and deletes delivered ones. A mail
// given up after too many attempts stays, with its last error, for the operator to see.
type MailQueue struct {
	db     *DB
	notify chan struct{}
}

// NewMailQueue returns the mail queue on db. Use one per DB: its Notify channel is signalled
// only by writes made through it (and Recovery built on it).
func NewMailQueue(db *DB) *MailQueue {
	return &MailQueue{db: db, notify: make(chan struct{}, 1)}
}

var _ mailer.Queue = (*MailQueue)(nil)

// mailRow is a queued mail as stored. It may hold a single-use token in its text, so it is
// deleted as soon as it is delivered and never copied into an event.
type mailRow struct {
	ID          string    `json:"id"`
	To          string    `json:"to"`
	Subject     string    `json:"subject"`
	Text        string    `json:"text"`
	HTML        string    `json:"html,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	GaveUp      bool      `json:"gave_up,omitempty"`
}

func mailKey(id string) []byte { return Key(prefixMailQueue, id) }

// queueMail adds m to the queue inside tx, due at once.
func queueMail(tx *Tx, m auth.Mail, now time.Time) error {
	if m.To == "" {
		return commerce.Errorf(commerce.EInvalid, "mail_incomplete", "store: a mail needs a recipient")
	}
	r := mailRow{ID: commerce.NewID(), To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: now.UTC(), NextAttempt: now.UTC()}
	return putJSON(tx, mailKey(r.ID), r)
}

// signal wakes the sender after a committed write queued a mail.
func (q *MailQueue) signal() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// Notify is signalled after a mail is queued.
func (q *MailQueue) Notify() <-chan struct{} { return q.notify }

// Due returns up to limit mails due at now, oldest first, and the earliest later attempt.
func (q *MailQueue) Due(ctx context.Context, now time.Time, limit int) ([]mailer.Queued, time.Time, error) {
	var due []mailer.Queued
	var next time.Time
	err := q.db.View(ctx, func(r *Reader) error {
		due, next = due[:0], time.Time{}
		return r.Scan([]byte(prefixMailQueue), PrefixEnd([]byte(prefixMailQueue)), func(k, v []byte) error {
			var m mailRow
			if err := decode(v, &m); err != nil {
				return fmt.Errorf("store: %s: %w", keyString(k), err)
			}
			switch {
			case m.GaveUp:
			case !m.NextAttempt.After(now):
				if len(due) < limit {
					due = append(due, mailer.Queued{ID: m.ID, Attempts: m.Attempts, CreatedAt: m.CreatedAt,
						Message: mailer.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML}})
				}
			case next.IsZero() || m.NextAttempt.Before(next):
				next = m.NextAttempt
			}
			return nil
		})
	})
	return due, next, err
}

// Delivered deletes the mail; a mail already gone is fine.
func (q *MailQueue) Delivered(ctx context.Context, id string) error {
	return q.db.Update(ctx, func(tx *Tx) error {
		tx.Delete(mailKey(id))
		return nil
	})
}

// Failed records a failed attempt.
func (q *MailQueue) Failed(ctx context.Context, id string, attempts int, next time.Time, lastErr string, giveUp bool) error {
	return q.db.Update(ctx, func(tx *Tx) error {
		var m mailRow
		if err := getJSON(tx, mailKey(id), &m); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		m.Attempts, m.NextAttempt, m.LastError, m.GaveUp = attempts, next.UTC(), lastErr, giveUp
		return putJSON(tx, mailKey(id), m)
	})
}

// QueuedMail is a mail in the queue as the operator (and tests) see it.
type QueuedMail struct {
	ID        string
	To        string
	Subject   string
	Attempts  int
	LastError string
	GaveUp    bool
	CreatedAt time.Time
}

// Mails lists the queue, oldest first (without the bodies, which may hold tokens).
func (q *MailQueue) Mails(ctx context.Context) ([]QueuedMail, error) {
	var out []QueuedMail
	err := q.db.View(ctx, func(r *Reader) error {
		out = out[:0]
		return r.Scan([]byte(prefixMailQueue), PrefixEnd([]byte(prefixMailQueue)), func(k, v []byte) error {
			var m mailRow
			if err := decode(v, &m); err != nil {
				return fmt.Errorf("store: %s: %w", keyString(k), err)
			}
			out = append(out, QueuedMail{ID: m.ID, To: m.To, Subject: m.Subject, Attempts: m.Attempts,
				LastError: m.LastError, GaveUp: m.GaveUp, CreatedAt: m.CreatedAt})
			return nil
		})
	})
	return out, err
}
