package orders

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Note visibilities.
const (
	NoteInternal = "internal" // staff only
	NoteCustomer = "customer" // shown to the customer with the order
)

// Note is a staff note on an order.
type Note struct {
	ID         string    `json:"id"`
	Text       string    `json:"text"`
	Visibility string    `json:"visibility"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
}

// NoteInput is a note staff add.
type NoteInput struct {
	Text       string
	Visibility string // NoteInternal (default) or NoteCustomer
}

// AddNote adds a note to the order.
func (s *Service) AddNote(ctx context.Context, actor, id string, in NoteInput) (Order, Note, error) {
	in.Text, in.Visibility = strings.TrimSpace(in.Text), strings.TrimSpace(in.Visibility)
	if in.Visibility == "" {
		in.Visibility = NoteInternal
	}
	var v commerce.Validator
	v.Text("text", in.Text, 2000, true)
	v.Check(in.Visibility == NoteInternal || in.Visibility == NoteCustomer, "visibility", "must be internal or customer")
	if err := v.Err(); err != nil {
		return Order{}, Note{}, err
	}
	var n Note
	o, err := s.mutate(ctx, mutation{id: id, actor: actor}, func(c *change) (bool, error) {
		n = Note{ID: commerce.NewID(), Text: in.Text, Visibility: in.Visibility, Actor: c.actor, At: c.now}
		c.o.Notes = append(c.o.Notes, n)
		return true, c.emit(EventNoteAdded, map[string]any{"note_id": n.ID, "visibility": n.Visibility})
	})
	return o, n, err
}

// NotesFor returns the notes v may read: every note for staff, customer notes otherwise.
func (o Order) NotesFor(v Viewer) []Note {
	out := []Note{}
	for _, n := range o.Notes {
		if v.Staff || n.Visibility == NoteCustomer {
			out = append(out, n)
		}
	}
	return out
}

// Invoice is an order's invoice: its number is gap-free per calendar year (UTC) of issue.
type Invoice struct {
	Number   string    `json:"number"` // INV-<year>-<6-digit sequence>
	Year     int       `json:"year"`
	Seq      int64     `json:"seq"`
	IssuedAt time.Time `json:"issued_at"`
	IssuedBy string    `json:"issued_by"`
}

// InvoiceNumber formats an invoice number.
func InvoiceNumber(year int, seq int64) string { return fmt.Sprintf("INV-%04d-%06d", year, seq) }

// IssueInvoice gives the order its invoice number, taken from the year's counter in the same
// update; an order with an invoice keeps it (issued is false then). A cancelled order gets
// no invoice.
func (s *Service) IssueInvoice(ctx context.Context, actor, id string) (o Order, issued bool, err error) {
	o, err = s.mutate(ctx, mutation{id: id, actor: actor}, func(c *change) (bool, error) {
		if c.o.Invoice != nil {
			return false, nil
		}
		if c.o.Status == StatusCancelled {
			return false, &commerce.Error{Kind: commerce.EConflict, Code: "order_cancelled", Message: "orders: a cancelled order gets no invoice"}
		}
		year := c.now.UTC().Year()
		seq, err := c.tx.NextInvoiceNumber(year, c.o.ID)
		if err != nil {
			return false, err
		}
		c.o.Invoice = &Invoice{Number: InvoiceNumber(year, seq), Year: year, Seq: seq, IssuedAt: c.now, IssuedBy: c.actor}
		issued = true
		c.log(EventInvoiceIssued, c.o.Invoice.Number)
		return true, c.emit(EventInvoiceIssued, map[string]any{"invoice_number": c.o.Invoice.Number})
	})
	return o, issued, err
}

func itoa(i int) string     { return strconv.Itoa(i) }
func itoa64(i int64) string { return strconv.FormatInt(i, 10) }
