package orders

import (
	"context"
	"math/bits"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// ReturnWindow is how long after an order's last delivery its customer may ask to return
// units. Staff may open a return at any time.
const ReturnWindow = 30 * 24 * time.Hour

// Return statuses: requested → approved → received → refunded; requested → rejected.
const (
	ReturnRequested = "requested"
	ReturnApproved  = "approved"
	ReturnRejected  = "rejected"
	ReturnReceived  = "received"
	ReturnRefunded  = "refunded"
)

// Refund destinations.
const (
	RefundOriginal    = "original"     // back to the payment's method
	RefundStoreCredit = "store_credit" // to the customer's wallet
)

// Return is a return request (RMA) for some delivered units.
type Return struct {
	ID           string        `json:"id"`
	Status       string        `json:"status"`
	Lines        []ReturnLine  `json:"lines"`
	Reason       string        `json:"reason"`
	RejectReason string        `json:"reject_reason,omitempty"`
	RequestedBy  string        `json:"requested_by"`
	RequestedAt  time.Time     `json:"requested_at"`
	DecidedBy    string        `json:"decided_by,omitempty"`
	DecidedAt    time.Time     `json:"decided_at,omitzero"`
	ReceivedAt   time.Time     `json:"received_at,omitzero"`
	Refund       *ReturnRefund `json:"refund,omitempty"`
}

// ReturnLine is the units of one variant a return brings back.
type ReturnLine struct {
	VariantID string `json:"variant_id"`
	SKU       string `json:"sku"`
	Title     string `json:"title"`
	Quantity  int64  `json:"quantity"`
	Restocked bool   `json:"restocked"` // set when received: the units went back to stock
}

// ReturnRefund is the money a return paid back (commerce/payments made the refund).
type ReturnRefund struct {
	Amount   commerce.Money `json:"amount"`
	To       string         `json:"to"`
	RefundID string         `json:"refund_id,omitempty"` // the payment's refund
	Actor    string         `json:"actor"`
	At       time.Time      `json:"at"`
}

// Errors of returns.
var (
	ErrReturnNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "return_not_found", Message: "orders: return not found"}
	ErrReturnState    = &commerce.Error{Kind: commerce.EConflict, Code: "illegal_return_transition", Message: "orders: the return is not in a state that allows this"}
	ErrWindowClosed   = &commerce.Error{Kind: commerce.EConflict, Code: "return_window_closed", Message: "orders: the return window has closed"}
	ErrNotPaid        = &commerce.Error{Kind: commerce.EConflict, Code: "order_not_paid", Message: "orders: the order has no captured payment to refund"}
)

// returnable returns the delivered units not already in a return (rejected ones aside),
// per variant, keeping variants with none left out.
func (o Order) returnable() map[string]int64 {
	m := o.Delivered()
	for _, r := range o.Returns {
		if r.Status == ReturnRejected {
			continue
		}
		for _, l := range r.Lines {
			m[l.VariantID] -= l.Quantity
		}
	}
	for k, n := range m {
		if n <= 0 {
			delete(m, k)
		}
	}
	return m
}

// AllReturned reports whether every unit of the order came back in received returns.
func (o Order) AllReturned() bool {
	back := map[string]int64{}
	for _, r := range o.Returns {
		if r.Status == ReturnReceived || r.Status == ReturnRefunded {
			for _, l := range r.Lines {
				back[l.VariantID] += l.Quantity
			}
		}
	}
	for v, n := range o.ordered() {
		if back[v] < n {
			return false
		}
	}
	return len(o.Lines) > 0
}

// lastDelivery is when the order's last shipment was delivered (zero when none was).
func (o Order) lastDelivery() time.Time {
	var t time.Time
	for _, f := range o.Fulfilments {
		if f.Status == FulfilmentDelivered && f.DeliveredAt.After(t) {
			t = f.DeliveredAt
		}
	}
	return t
}

func (o Order) returnIndex(id string) int {
	for i, r := range o.Returns {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// ReturnInput asks to return units. No lines means every unit still returnable.
type ReturnInput struct {
	Lines  []Qty
	Reason string
}

// RequestReturn opens a return of delivered units by the order's owner (or the holder of
// its key) within ReturnWindow of the last delivery, or by staff at any time.
func (s *Service) RequestReturn(ctx context.Context, v Viewer, actor, id string, in ReturnInput) (Order, Return, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var val commerce.Validator
	validQtys(&val, in.Lines)
	val.Text("reason", in.Reason, 1000, true)
	if err := val.Err(); err != nil {
		return Order{}, Return{}, err
	}
	var made Return
	o, err := s.mutate(ctx, mutation{id: id, actor: actor, viewer: &v}, func(c *change) (bool, error) {
		if c.o.Status == StatusCancelled || c.o.Status == StatusReturned {
			return false, ErrReturnState.WithDetails(map[string]any{"order_status": c.o.Status})
		}
		avail := c.o.returnable()
		if len(c.o.Delivered()) == 0 {
			return false, &commerce.Error{Kind: commerce.EConflict, Code: "nothing_delivered", Message: "orders: nothing of the order has been delivered yet"}
		}
		if !v.Staff && c.now.After(c.o.lastDelivery().Add(ReturnWindow)) {
			return false, ErrWindowClosed.WithDetails(map[string]any{"closed_at": c.o.lastDelivery().Add(ReturnWindow)})
		}
		lines := in.Lines
		if len(lines) == 0 {
			for _, l := range c.o.Lines {
				if n := avail[l.VariantID]; n > 0 {
					lines = append(lines, Qty{VariantID: l.VariantID, Quantity: n})
					avail[l.VariantID] = 0
				}
			}
			if len(lines) == 0 {
				return false, &commerce.Error{Kind: commerce.EConflict, Code: "nothing_to_return", Message: "orders: every delivered unit is already in a return"}
			}
		} else {
			var val commerce.Validator
			checkAgainst(&val, lines, avail, "delivered and not yet returned")
			if err := val.Err(); err != nil {
				return false, err
			}
		}
		r := Return{ID: commerce.NewID(), Status: ReturnRequested, Reason: in.Reason, RequestedBy: c.actor, RequestedAt: c.now}
		for _, q := range lines {
			l := c.o.line(q.VariantID)
			r.Lines = append(r.Lines, ReturnLine{VariantID: q.VariantID, SKU: l.SKU, Title: l.Title, Quantity: q.Quantity})
		}
		c.o.Returns = append(c.o.Returns, r)
		made = r
		c.log(EventReturnRequested, in.Reason)
		return true, c.emit(EventReturnRequested, map[string]any{"return_id": r.ID, "lines": r.Lines, "reason": r.Reason})
	})
	return o, made, err
}

func (o Order) line(variantID string) Line {
	for _, l := range o.Lines {
		if l.VariantID == variantID {
			return l
		}
	}
	return Line{VariantID: variantID}
}

// returnStep runs fn on return rid of order id when it is in status from.
func (s *Service) returnStep(ctx context.Context, actor, id, rid string, from string, fn func(c *change, r *Return) error) (Order, error) {
	return s.mutate(ctx, mutation{id: id, actor: actor}, func(c *change) (bool, error) {
		i := c.o.returnIndex(rid)
		if i < 0 {
			return false, ErrReturnNotFound
		}
		r := &c.o.Returns[i]
		if r.Status != from {
			return false, ErrReturnState.WithDetails(map[string]any{"status": r.Status, "expected": from})
		}
		return true, fn(c, r)
	})
}

// ApproveReturn accepts a requested return: the customer may send the units.
func (s *Service) ApproveReturn(ctx context.Context, actor, id, rid string) (Order, error) {
	return s.returnStep(ctx, actor, id, rid, ReturnRequested, func(c *change, r *Return) error {
		r.Status, r.DecidedBy, r.DecidedAt = ReturnApproved, c.actor, c.now
		c.log(EventReturnApproved, "return "+r.ID)
		return c.emit(EventReturnApproved, map[string]any{"return_id": r.ID})
	})
}

// RejectReturn refuses a requested return with a reason; its units may be asked for again.
func (s *Service) RejectReturn(ctx context.Context, actor, id, rid, reason string) (Order, error) {
	reason = strings.TrimSpace(reason)
	var v commerce.Validator
	v.Text("reason", reason, 1000, true)
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.returnStep(ctx, actor, id, rid, ReturnRequested, func(c *change, r *Return) error {
		r.Status, r.RejectReason, r.DecidedBy, r.DecidedAt = ReturnRejected, reason, c.actor, c.now
		c.log(EventReturnRejected, reason)
		return c.emit(EventReturnRejected, map[string]any{"return_id": r.ID, "reason": reason})
	})
}

// ReceiveReturn records that an approved return's units arrived; restock says, per
// variant, whether its units go back to stock (a variant not named is restocked). The
// order is RETURNED when it was DELIVERED and every unit has now come back.
func (s *Service) ReceiveReturn(ctx context.Context, actor, id, rid string, restock map[string]bool) (Order, error) {
	return s.returnStep(ctx, actor, id, rid, ReturnApproved, func(c *change, r *Return) error {
		var v commerce.Validator
		for variant := range restock {
			found := false
			for _, l := range r.Lines {
				found = found || l.VariantID == variant
			}
			v.Check(found, "lines", "variant "+variant+" is not in this return")
		}
		if err := v.Err(); err != nil {
			return err
		}
		r.Status, r.ReceivedAt = ReturnReceived, c.now
		for i := range r.Lines {
			l := &r.Lines[i]
			if put, named := restock[l.VariantID]; named && !put {
				continue
			}
			if err := c.tx.Restock(c.o, l.VariantID, l.Quantity, "return "+r.ID); err != nil {
				return err
			}
			l.Restocked = true
		}
		c.log(EventReturnReceived, "return "+r.ID)
		if err := c.emit(EventReturnReceived, map[string]any{"return_id": r.ID, "lines": r.Lines}); err != nil {
			return err
		}
		if c.o.Status == StatusDelivered && c.o.AllReturned() {
			if err := c.move(StatusReturned, "every unit returned"); err != nil {
				return err
			}
			return c.emit(EventReturned, map[string]any{"return_id": r.ID})
		}
		return nil
	})
}

// RefundPlan is what a return's refund will pay back: checked, not yet made.
type RefundPlan struct {
	Order  Order
	Return Return
	Amount commerce.Money
	To     string
	Done   bool // the return is refunded already: nothing to do
}

// RefundInput asks to refund a received return. A nil Amount means the lines' paid value
// (their price less their discount share, plus their tax when it was added on top).
type RefundInput struct {
	Amount *commerce.Money
	To     string // RefundOriginal (default) or RefundStoreCredit
}

// PlanRefund checks a refund of return rid before the payment is refunded: the return is
// received, the order paid, the amount positive, in the order's currency and not more
// than what was paid less what returns refunded already.
func (s *Service) PlanRefund(ctx context.Context, id, rid string, in RefundInput) (RefundPlan, error) {
	in.To = strings.TrimSpace(in.To)
	if in.To == "" {
		in.To = RefundOriginal
	}
	var v commerce.Validator
	v.Check(in.To == RefundOriginal || in.To == RefundStoreCredit, "to", "must be original or store_credit")
	if err := v.Err(); err != nil {
		return RefundPlan{}, err
	}
	o, err := s.Get(ctx, Viewer{Staff: true}, id)
	if err != nil {
		return RefundPlan{}, err
	}
	i := o.returnIndex(rid)
	if i < 0 {
		return RefundPlan{}, ErrReturnNotFound
	}
	r := o.Returns[i]
	plan := RefundPlan{Order: o, Return: r, To: in.To}
	if r.Status == ReturnRefunded {
		plan.Done = true
		return plan, nil
	}
	if r.Status != ReturnReceived {
		return RefundPlan{}, ErrReturnState.WithDetails(map[string]any{"status": r.Status, "expected": ReturnReceived})
	}
	if o.PaymentID == "" || (o.PaymentStatus != PaymentPaid && o.PaymentStatus != PaymentPartiallyRefunded) {
		return RefundPlan{}, ErrNotPaid.WithDetails(map[string]any{"payment_status": o.PaymentStatus})
	}
	if in.To == RefundStoreCredit && o.UserID == "" {
		return RefundPlan{}, commerce.Invalid(commerce.FieldError{Field: "to", Message: "store_credit needs an order of a signed-in customer"})
	}
	plan.Amount = o.ReturnValue(i)
	if in.Amount != nil {
		plan.Amount = *in.Amount
	}
	left := o.Total.Amount
	for _, x := range o.Returns {
		if x.Refund != nil {
			left -= x.Refund.Amount.Amount
		}
	}
	switch {
	case plan.Amount.Currency != o.Total.Currency:
		v.Add("amount.currency", "must be "+o.Total.Currency)
	case plan.Amount.Amount <= 0:
		v.Add("amount.amount", "must be positive")
	case plan.Amount.Amount > left:
		return RefundPlan{}, &commerce.Error{Kind: commerce.EInvalid, Code: "refund_exceeds_paid", Message: "orders: the refund is more than what was paid and not yet refunded",
			Fields:  []commerce.FieldError{{Field: "amount.amount", Message: "must be at most " + itoa64(left)}},
			Details: map[string]any{"refundable": commerce.Money{Amount: left, Currency: o.Total.Currency}}}
	}
	if err := v.Err(); err != nil {
		return RefundPlan{}, err
	}
	return plan, nil
}

// ReturnValue is what the units of return i paid: per line, its price less its discount
// share, plus its tax when the tax was added on top, for the returned share of its units.
// Successive returns of one line take f(p+q)−f(p) with f(n) = value×n/quantity rounded
// down, so the returns of every unit add up to the line's value exactly.
func (o Order) ReturnValue(i int) commerce.Money {
	out := commerce.Money{Currency: o.Total.Currency}
	before := map[string]int64{}
	for j := 0; j < i; j++ {
		if o.Returns[j].Status != ReturnRejected {
			for _, l := range o.Returns[j].Lines {
				before[l.VariantID] += l.Quantity
			}
		}
	}
	for _, rl := range o.Returns[i].Lines {
		l := o.line(rl.VariantID)
		if l.Quantity <= 0 {
			continue
		}
		value := l.LineTotal.Amount - l.Discount.Amount
		if !o.TaxInclusive {
			value += l.Tax.Amount
		}
		p := before[rl.VariantID]
		out.Amount += share(value, min(p+rl.Quantity, l.Quantity), l.Quantity) - share(value, min(p, l.Quantity), l.Quantity)
	}
	return out
}

// share is value×n/d rounded down (0 <= n <= d, value >= 0), without overflow.
func share(value, n, d int64) int64 {
	if value <= 0 || d <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(value), uint64(n))
	q, _ := bits.Div64(hi, lo, uint64(d))
	return int64(q)
}

// RefundRecord is a refund the payment service made for a return.
type RefundRecord struct {
	Amount   commerce.Money
	To       string
	RefundID string
}

// MarkRefunded records that return rid was refunded. Marking a refunded return again
// changes nothing, so a retry after a crash between the refund and this update is safe.
func (s *Service) MarkRefunded(ctx context.Context, actor, id, rid string, rec RefundRecord) (Order, error) {
	return s.mutate(ctx, mutation{id: id, actor: actor}, func(c *change) (bool, error) {
		i := c.o.returnIndex(rid)
		if i < 0 {
			return false, ErrReturnNotFound
		}
		r := &c.o.Returns[i]
		if r.Status == ReturnRefunded {
			return false, nil
		}
		if r.Status != ReturnReceived {
			return false, ErrReturnState.WithDetails(map[string]any{"status": r.Status, "expected": ReturnReceived})
		}
		r.Status = ReturnRefunded
		r.Refund = &ReturnRefund{Amount: rec.Amount, To: rec.To, RefundID: rec.RefundID, Actor: c.actor, At: c.now}
		c.log(EventReturnRefunded, "return "+r.ID+": "+rec.Amount.String())
		return true, c.emit(EventReturnRefunded, map[string]any{"return_id": r.ID, "amount": rec.Amount, "to": rec.To, "refund_id": rec.RefundID})
	})
}
