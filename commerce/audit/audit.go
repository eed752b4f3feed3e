// Package audit owns the tamper-evident audit log: what an entry holds, which events are
// recorded (Records), how an entry's hash is computed (Seal, Hash), how entries are filtered
// (Filter), and how a chain of entries is proven intact (Verifier). The store appends the
// entries in the same batch as the audited action; this package knows nothing of storage.
//
// # The chain
//
// Entries are numbered 1, 2, 3, ... without gaps. Each carries the hash of the one before it
// (PrevHash; the first carries Genesis, 64 zeros) and its own hash:
//
//	Hash = hex(SHA-256(PrevHash || canonical(entry)))
//
// where PrevHash is its 64 lower-case hex characters and canonical(entry) is, in this order:
//
//	"ultramarket.audit.v1" as a length-prefixed string (below)
//	Seq                    8 bytes big-endian
//	Time                   Unix seconds, 8 bytes big-endian two's complement, then nanoseconds 4 bytes big-endian
//	ActorID, UserID, Role, IP, RequestID, Action, Target, EventID, Data
//	                       each as a uvarint byte length followed by the bytes
//
// Strings are hashed as stored in JSON (invalid UTF-8 becomes U+FFFD per byte) and Data as
// compact JSON with <, >, & escaped (what encoding/json writes), so an entry read back from its
// JSON form hashes the same. Seal applies both normalizations.
//
// Editing any field of an entry changes its hash; recomputing that hash breaks the next
// entry's PrevHash; deleting entries leaves a gap or a tail shorter than the stored head. An
// attacker who rewrites every later entry and the head as well is not detected: the chain
// proves the log was not changed by anything but a writer with full access to the store.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Genesis is the PrevHash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain separates this hash from any other SHA-256 use and versions the encoding.
const hashDomain = "ultramarket.audit.v1"

// Entry is one audited event.
type Entry struct {
	Seq       uint64          `json:"seq"`                  // position in the chain, from 1, gap-free
	Time      time.Time       `json:"time"`                 // when the event happened
	ActorID   string          `json:"actor_id"`             // "user:<id>", "anonymous", "cli" or "system"
	UserID    string          `json:"user_id,omitempty"`    // the signed-in user, if any
	Role      string          `json:"role,omitempty"`       // the actor's role at the time
	IP        string          `json:"ip,omitempty"`         // client IP
	RequestID string          `json:"request_id,omitempty"` // the HTTP request's X-Request-Id
	Action    string          `json:"action"`               // the event type, e.g. "auth.login_failed"
	Target    string          `json:"target,omitempty"`     // the event's aggregate: the entity acted on
	EventID   string          `json:"event_id"`             // the outbox event's ID
	Data      json.RawMessage `json:"data,omitempty"`       // the event's data
	PrevHash  string          `json:"prev_hash"`            // Hash of the previous entry (Genesis for #1)
	Hash      string          `json:"hash"`                 // see the package documentation
}

// Head is the last entry of the chain as the store records it separately from the entries,
// so that a truncated tail is detected. The zero Head (Seq 0) means an empty log; its Hash
// is then Genesis.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// HashOrGenesis returns h.Hash, or Genesis for an empty head.
func (h Head) HashOrGenesis() string {
	if h.Seq == 0 && h.Hash == "" {
		return Genesis
	}
	return h.Hash
}

// Records reports whether an event of this type, emitted for this actor, goes into the audit
// log: every security event (types "auth.*" and "vendors.*") and everything staff do.
func Records(eventType string, actor commerce.Actor, hasActor bool) bool {
	return strings.HasPrefix(eventType, "auth.") || strings.HasPrefix(eventType, "vendors.") || (hasActor && actor.Staff)
}

// FromEvent builds the unsealed entry of ev emitted for actor (hasActor false: none known).
// The entry's ActorID is the event's Actor when set, else the context actor's ID, else
// "system".
func FromEvent(ev commerce.Event, actor commerce.Actor, hasActor bool) Entry {
	e := Entry{Time: ev.Time, ActorID: ev.Actor, Action: ev.Type, Target: ev.Aggregate, EventID: ev.ID, Data: ev.Data}
	if hasActor {
		if e.ActorID == "" {
			e.ActorID = actor.ID
		}
		e.UserID, e.Role, e.IP, e.RequestID = actor.UserID, actor.Role, actor.IP, actor.RequestID
	}
	if e.ActorID == "" {
		e.ActorID = "system"
	}
	return e
}

// Seal makes e entry number seq following prev (the previous entry's Hash, or Genesis):
// it normalizes the fields as the package documentation says and sets Seq, PrevHash and Hash.
// It fails only when Data is not valid JSON.
func Seal(e Entry, seq uint64, prev string) (Entry, error) {
	e.Seq, e.PrevHash = seq, prev
	for _, s := range []*string{&e.ActorID, &e.UserID, &e.Role, &e.IP, &e.RequestID, &e.Action, &e.Target, &e.EventID} {
		*s = validUTF8(*s)
	}
	if len(e.Data) > 0 {
		var buf bytes.Buffer
		buf.Grow(len(e.Data))
		if err := json.Compact(&buf, e.Data); err != nil {
			return Entry{}, commerce.Errorf(commerce.EInternal, "audit_data", "audit: event %s (%s) data is not JSON: %w", e.EventID, e.Action, err)
		}
		if bytes.ContainsAny(buf.Bytes(), "<>&\u2028\u2029") {
			var esc bytes.Buffer
			json.HTMLEscape(&esc, buf.Bytes())
			buf = esc
		}
		e.Data = buf.Bytes()
	}
	e.Hash = Hash(e)
	return e, nil
}

// validUTF8 replaces every byte of s that is not part of valid UTF-8 with U+FFFD, as
// encoding/json does when it writes a string.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// Hash computes e's hash from e.PrevHash and every field but Hash (see the package
// documentation). It does not normalize: hash a sealed entry or one read back from JSON.
func Hash(e Entry) string {
	n := len(e.PrevHash) + 1 + len(hashDomain) + 8 + 12 + 9*binary.MaxVarintLen64 +
		len(e.ActorID) + len(e.UserID) + len(e.Role) + len(e.IP) + len(e.RequestID) + len(e.Action) + len(e.Target) + len(e.EventID) + len(e.Data)
	b := make([]byte, 0, n)
	b = append(b, e.PrevHash...)
	b = appendString(b, hashDomain)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(e.Time.Nanosecond()))
	for _, s := range []string{e.ActorID, e.UserID, e.Role, e.IP, e.RequestID, e.Action, e.Target, e.EventID} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Data)))
	b = append(b, e.Data...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Filter selects entries. Zero fields select everything.
type Filter struct {
	ActorID string    // exact
	UserID  string    // exact
	Action  string    // exact event type, or a prefix ending in "*" such as "auth.*"
	Target  string    // exact
	From    time.Time // entries at or after From
	To      time.Time // entries before To
}

// Validate reports the filter's bad fields by their query names (actor, user_id, action,
// target, from, to).
func (f Filter) Validate() error {
	var v commerce.Validator
	for _, c := range []struct{ name, val string }{{"actor", f.ActorID}, {"user_id", f.UserID}, {"action", f.Action}, {"target", f.Target}} {
		v.Check(len(c.val) <= 200, c.name, "must be at most 200 characters")
		v.Check(utf8.ValidString(c.val), c.name, "must be valid UTF-8")
	}
	if i := strings.IndexByte(f.Action, '*'); i >= 0 {
		v.Check(i == len(f.Action)-1, "action", `may hold "*" only at its end (a prefix such as "auth.*")`)
	}
	if !f.From.IsZero() && !f.To.IsZero() {
		v.Check(f.From.Before(f.To), "to", "must be after from")
	}
	return v.Err()
}

// Match reports whether e passes the filter.
func (f Filter) Match(e Entry) bool {
	switch {
	case f.ActorID != "" && e.ActorID != f.ActorID,
		f.UserID != "" && e.UserID != f.UserID,
		f.Target != "" && e.Target != f.Target,
		!f.From.IsZero() && e.Time.Before(f.From),
		!f.To.IsZero() && !e.Time.Before(f.To):
		return false
	}
	if f.Action == "" {
		return true
	}
	if p, ok := strings.CutSuffix(f.Action, "*"); ok {
		return strings.HasPrefix(e.Action, p)
	}
	return e.Action == f.Action
}

// Reasons a chain is broken, as Report.Reason begins.
const (
	ReasonHash     = "hash mismatch"      // the entry's content does not match its Hash: it was edited
	ReasonPrevHash = "prev-hash mismatch" // the entry does not follow the previous one: it or its predecessor was replaced
	ReasonGap      = "gap in seq"         // entries are missing (or out of order)
	ReasonHead     = "head mismatch"      // the last entry is not the recorded head: the tail was cut, or entries added without it
	ReasonDecode   = "unreadable entry"   // the stored entry does not decode (reported by the store)
)

// Report is the outcome of a verification.
type Report struct {
	Entries   uint64 `json:"entries"`              // entries checked
	HeadSeq   uint64 `json:"head_seq"`             // the recorded head
	HeadHash  string `json:"head_hash"`            // the recorded head's hash
	OK        bool   `json:"ok"`                   // the chain is intact
	BrokenSeq uint64 `json:"broken_seq,omitempty"` // the first broken entry
	Reason    string `json:"reason,omitempty"`     // why, beginning with one of the Reason constants
}

// Verifier checks a chain fed entry by entry in seq order, keeping only the previous hash.
// After the first break it ignores further entries.
type Verifier struct {
	n      uint64 // entries checked
	next   uint64 // expected seq
	prev   string // expected PrevHash
	broken uint64
	reason string
}

// NewVerifier returns a verifier expecting entry #1.
func NewVerifier() *Verifier { return &Verifier{next: 1, prev: Genesis} }

// Add checks e, the next entry. It returns false once the chain is broken.
func (v *Verifier) Add(e Entry) bool {
	if v.broken != 0 {
		return false
	}
	v.n++
	switch {
	case e.Seq > v.next:
		v.Break(v.next, fmt.Sprintf("%s: entry #%d is missing (the next entry is #%d)", ReasonGap, v.next, e.Seq))
	case e.Seq < v.next:
		v.Break(v.next, fmt.Sprintf("%s: entry #%d found where #%d was expected", ReasonGap, e.Seq, v.next))
	case Hash(e) != e.Hash:
		v.Break(e.Seq, fmt.Sprintf("%s: the entry's content does not match its hash %s", ReasonHash, short(e.Hash)))
	case e.PrevHash != v.prev:
		v.Break(e.Seq, fmt.Sprintf("%s: prev_hash %s, but entry #%d has hash %s", ReasonPrevHash, short(e.PrevHash), e.Seq-1, short(v.prev)))
	default:
		v.next, v.prev = e.Seq+1, e.Hash
		return true
	}
	return false
}

// Break records a break found outside Add (an entry that does not decode) unless an earlier
// one was recorded.
func (v *Verifier) Break(seq uint64, reason string) {
	if v.broken == 0 {
		v.broken, v.reason = seq, reason
	}
}

// Finish checks that the last entry added is the recorded head and returns the report.
func (v *Verifier) Finish(head Head) Report {
	if v.broken == 0 {
		last := v.next - 1
		switch {
		case head.Seq > last:
			v.Break(last+1, fmt.Sprintf("%s: the head is entry #%d but the log ends at #%d (entries were cut from its end)", ReasonHead, head.Seq, last))
		case head.Seq < last:
			v.Break(head.Seq+1, fmt.Sprintf("%s: the head is entry #%d but the log runs to #%d", ReasonHead, head.Seq, last))
		case head.HashOrGenesis() != v.prev:
			v.Break(max(last, 1), fmt.Sprintf("%s: the head's hash %s differs from entry #%d's %s", ReasonHead, short(head.HashOrGenesis()), last, short(v.prev)))
		}
	}
	return Report{Entries: v.n, HeadSeq: head.Seq, HeadHash: head.HashOrGenesis(), OK: v.broken == 0, BrokenSeq: v.broken, Reason: v.reason}
}

// short abbreviates a hash for a message.
func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}
