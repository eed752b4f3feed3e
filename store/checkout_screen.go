package store

import (
	"encoding/binary"
	"errors"
)

// The checkout's fraud screening step (checkout.ScreenTx): velocity counters and the review
// queue row, in the checkout's batch. A counter row is the recent order times of one rule
// and value, 8 bytes each (unix ns, big-endian, oldest first): one read and one write per
// counter and order.

func velocityKey(rule, value string) []byte { return Key(prefixFraudVelocity, rule, value) }
func fraudHeldKey(orderID string) []byte    { return Key(prefixFraudHeld, orderID) }

// Velocity returns a counter's recent order times.
func (c checkoutTx) Velocity(rule, value string) ([]int64, error) {
	b, err := c.tx.Get(velocityKey(rule, value))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return decodeTimes(b), nil
}

// PutVelocity stores a counter's recent order times.
func (c checkoutTx) PutVelocity(rule, value string, times []int64) error {
	c.tx.Set(velocityKey(rule, value), encodeTimes(times))
	return nil
}

// HasOrders reports whether the user has an order already.
func (c checkoutTx) HasOrders(userID string) (bool, error) {
	prefix := Key(prefixOrderByUser, userID, "")
	found := false
	err := c.tx.Scan(prefix, PrefixEnd(prefix), func(_, _ []byte) error {
		found = true
		return ErrStop
	})
	return found, err
}

// HoldOrder puts the order on the fraud review queue.
func (c checkoutTx) HoldOrder(orderID string) error {
	c.tx.Set(fraudHeldKey(orderID), nil)
	return nil
}

func decodeTimes(b []byte) []int64 {
	out := make([]int64, len(b)/8, len(b)/8+1)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint64(b[i*8:]))
	}
	return out
}

func encodeTimes(times []int64) []byte {
	b := make([]byte, 0, len(times)*8)
	for _, t := range times {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	return b
}
