package commerce

import (
	"encoding/json"
	"time"
)

// Event is the envelope of a domain event. A use case appends events to the outbox in the same
// atomic write as its change; the bus publishes them on subject "um." + Type with the ID as the
// de-duplication key. Seq is assigned by the store when the write commits and increases
// strictly, so consumers can keep a high-water mark.
type Event struct {
	ID        string          `json:"id"`
	Seq       uint64          `json:"seq"`
	Type      string          `json:"type"`      // "<domain>.<event>", e.g. "orders.placed"
	Aggregate string          `json:"aggregate"` // ID of the entity the event is about
	Actor     string          `json:"actor,omitempty"`
	Time      time.Time       `json:"time"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// Subject is the bus subject the event is published on.
func (e Event) Subject() string { return "um." + e.Type }

// NewEvent builds an event of the given type about aggregate with data encoded as JSON.
func NewEvent(typ, aggregate string, at time.Time, data any) (Event, error) {
	ev := Event{ID: NewID(), Type: typ, Aggregate: aggregate, Time: at.UTC()}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return Event{}, Errorf(EInternal, "event_encode", "encode %s event: %w", typ, err)
		}
		ev.Data = raw
	}
	return ev, nil
}
