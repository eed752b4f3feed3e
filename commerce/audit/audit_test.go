package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

// chain seals n entries of type auth.login.
func chain(t *testing.T, n int) []Entry {
	t.Helper()
	out := make([]Entry, 0, n)
	prev := Genesis
	for i := range n {
		e, err := Seal(Entry{Time: t0.Add(time.Duration(i) * time.Second), ActorID: "user:u1", UserID: "u1", Role: "CUSTOMER",
			IP: "10.0.0.1", RequestID: "r" + string(rune('a'+i)), Action: "auth.login", Target: "u1", EventID: commerce.NewID(),
			Data: json.RawMessage(`{"ok": true}`)}, uint64(i+1), prev)
		if err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(entries []Entry, head Head) Report {
	v := NewVerifier()
	for _, e := range entries {
		v.Add(e)
	}
	return v.Finish(head)
}

func headOf(entries []Entry) Head {
	last := entries[len(entries)-1]
	return Head{Seq: last.Seq, Hash: last.Hash}
}

func TestVerifier(t *testing.T) {
	scenarios := []struct {
		name   string
		change func(es []Entry, head *Head) []Entry
		broken uint64 // 0: intact
		reason string
	}{
		{name: "intact", change: func(es []Entry, _ *Head) []Entry { return es }},
		{name: "empty log", change: func(_ []Entry, h *Head) []Entry { *h = Head{}; return nil }},
		{name: "edited data", broken: 3, reason: ReasonHash, change: func(es []Entry, _ *Head) []Entry {
			es[2].Data = json.RawMessage(`{"ok":false}`)
			return es
		}},
		{name: "edited actor", broken: 1, reason: ReasonHash, change: func(es []Entry, _ *Head) []Entry {
			es[0].ActorID = "user:someone-else"
			return es
		}},
		{name: "edited time", broken: 5, reason: ReasonHash, change: func(es []Entry, _ *Head) []Entry {
			es[4].Time = es[4].Time.Add(time.Nanosecond)
			return es
		}},
		{name: "edited and rehashed", broken: 4, reason: ReasonPrevHash, change: func(es []Entry, _ *Head) []Entry {
			es[2].Action = "auth.logout"
			es[2].Hash = Hash(es[2])
			return es
		}},
		{name: "deleted middle entry", broken: 3, reason: ReasonGap, change: func(es []Entry, _ *Head) []Entry {
			return append(es[:2:2], es[3:]...)
		}},
		{name: "deleted first entry", broken: 1, reason: ReasonGap, change: func(es []Entry, _ *Head) []Entry { return es[1:] }},
		{name: "swapped entries", broken: 2, reason: ReasonGap, change: func(es []Entry, _ *Head) []Entry {
			es[1], es[2] = es[2], es[1]
			return es
		}},
		{name: "truncated tail", broken: 4, reason: ReasonHead, change: func(es []Entry, _ *Head) []Entry { return es[:3] }},
		{name: "everything deleted", broken: 1, reason: ReasonHead, change: func(_ []Entry, _ *Head) []Entry { return nil }},
		{name: "head missing", broken: 1, reason: ReasonHead, change: func(es []Entry, h *Head) []Entry { *h = Head{}; return es }},
		{name: "head with another hash", broken: 5, reason: ReasonHead, change: func(es []Entry, h *Head) []Entry {
			h.Hash = Genesis
			return es
		}},
		{name: "tail truncated and head moved back", change: func(es []Entry, h *Head) []Entry {
			// Undetectable by design: indistinguishable from a shorter log (see package doc).
			*h = headOf(es[:3])
			return es[:3]
		}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			es := chain(t, 5)
			head := headOf(es)
			es = s.change(es, &head)
			r := verify(es, head)
			if s.broken == 0 {
				if !r.OK || r.BrokenSeq != 0 || r.Reason != "" {
					t.Fatalf("want intact, got %+v", r)
				}
				if r.Entries != uint64(len(es)) {
					t.Errorf("checked %d entries, want %d", r.Entries, len(es))
				}
				return
			}
			if r.OK || r.BrokenSeq != s.broken || !strings.HasPrefix(r.Reason, s.reason) {
				t.Fatalf("want broken at #%d (%s), got %+v", s.broken, s.reason, r)
			}
		})
	}
}

// TestSealSurvivesJSON: an entry read back from its JSON form hashes the same, whatever its
// data's spacing and its strings' bytes.
func TestSealSurvivesJSON(t *testing.T) {
	scenarios := []struct {
		name string
		e    Entry
	}{
		{"plain", Entry{Action: "auth.login", ActorID: "anonymous", Data: json.RawMessage(`{"a":1}`)}},
		{"spaced data", Entry{Action: "auth.login", Data: json.RawMessage("{ \"a\" :\n [1, 2] }")}},
		{"html in data", Entry{Action: "auth.login", Data: json.RawMessage(`{"name":"<b>&amp;</b>","sep":"\u2028"}`)}},
		{"invalid utf-8", Entry{Action: "auth.\xffx", ActorID: "a\xc3", Target: "\xe2\x82"}},
		{"no data", Entry{Action: "vendors.approved"}},
		{"zero time", Entry{Action: "auth.login", Time: time.Time{}}},
		{"local time", Entry{Action: "auth.login", Time: time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e, err := Seal(s.e, 7, Genesis)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Entry
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if Hash(back) != e.Hash || back.Hash != e.Hash {
				t.Fatalf("hash changed through JSON: sealed %s, read back %s (hash field %s)\n%s", e.Hash, Hash(back), back.Hash, b)
			}
		})
	}
	if _, err := Seal(Entry{Data: json.RawMessage(`{`)}, 1, Genesis); err == nil {
		t.Error("Seal accepted data that is not JSON")
	}
}

// TestHashCoversEveryField: changing any one field changes the hash; the hash is stable
// (a golden value guards the documented encoding).
func TestHashCoversEveryField(t *testing.T) {
	base := Entry{Seq: 1, Time: t0, ActorID: "a", UserID: "u", Role: "r", IP: "i", RequestID: "q", Action: "x", Target: "t",
		EventID: "e", Data: json.RawMessage(`{}`), PrevHash: Genesis}
	h := Hash(base)
	// The documented encoding, written out by hand: every string here is shorter than 128
	// bytes, so each uvarint length is one byte.
	var doc []byte
	doc = append(doc, Genesis...)
	for i, s := range []string{"ultramarket.audit.v1", "", "a", "u", "r", "i", "q", "x", "t", "e", "{}"} {
		if i == 1 { // after the domain: seq, then time
			doc = binary.BigEndian.AppendUint64(doc, 1)
			doc = binary.BigEndian.AppendUint64(doc, uint64(t0.Unix()))
			doc = binary.BigEndian.AppendUint32(doc, uint32(t0.Nanosecond()))
			continue
		}
		doc = append(doc, byte(len(s)))
		doc = append(doc, s...)
	}
	sum := sha256.Sum256(doc)
	if want := hex.EncodeToString(sum[:]); h != want {
		t.Errorf("Hash(base) = %s, the documented encoding gives %s", h, want)
	}
	const golden = "7aa525a51e7ec14de25e204737001251bee85b9c17ffd75a5a796d4486b34f65"
	if h != golden {
		t.Logf("golden hash: %s", h) // printed so a deliberate encoding change can update it
		t.Errorf("Hash(base) = %s, want %s: the documented encoding changed", h, golden)
	}
	changes := map[string]func(*Entry){
		"seq":        func(e *Entry) { e.Seq++ },
		"time":       func(e *Entry) { e.Time = e.Time.Add(time.Nanosecond) },
		"actor":      func(e *Entry) { e.ActorID += "x" },
		"user":       func(e *Entry) { e.UserID += "x" },
		"role":       func(e *Entry) { e.Role += "x" },
		"ip":         func(e *Entry) { e.IP += "x" },
		"request":    func(e *Entry) { e.RequestID += "x" },
		"action":     func(e *Entry) { e.Action += "x" },
		"target":     func(e *Entry) { e.Target += "x" },
		"event":      func(e *Entry) { e.EventID += "x" },
		"data":       func(e *Entry) { e.Data = json.RawMessage(`{"a":1}`) },
		"prev":       func(e *Entry) { e.PrevHash = strings.Repeat("1", 64) },
		"boundaries": func(e *Entry) { e.ActorID, e.UserID = "au", "" }, // length prefixes keep fields apart
	}
	for name, change := range changes {
		e := base
		change(&e)
		if Hash(e) == h {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestRecords(t *testing.T) {
	staff := commerce.Actor{ID: "user:a", Staff: true}
	customer := commerce.Actor{ID: "user:c"}
	scenarios := []struct {
		typ      string
		actor    commerce.Actor
		hasActor bool
		want     bool
	}{
		{"auth.login_failed", commerce.Actor{ID: "anonymous"}, true, true},
		{"auth.login", commerce.Actor{}, false, true},
		{"vendors.approved", customer, true, true},
		{"orders.placed", customer, true, false},
		{"orders.placed", commerce.Actor{}, false, false},
		{"catalog.product_updated", staff, true, true},
		{"catalog.product_updated", commerce.Actor{Staff: true}, false, false}, // no actor: hasActor rules
		{"authx.thing", customer, true, false},
		{"vendor.thing", customer, true, false},
	}
	for _, s := range scenarios {
		if got := Records(s.typ, s.actor, s.hasActor); got != s.want {
			t.Errorf("Records(%q, %+v, %v) = %v, want %v", s.typ, s.actor, s.hasActor, got, s.want)
		}
	}
}

func TestFromEvent(t *testing.T) {
	ev := commerce.Event{ID: "ev1", Type: "auth.login", Aggregate: "u1", Time: t0, Data: json.RawMessage(`{}`)}
	a := commerce.Actor{ID: "user:u1", UserID: "u1", Role: "ADMIN", Staff: true, IP: "1.2.3.4", RequestID: "req"}
	e := FromEvent(ev, a, true)
	want := Entry{Time: t0, ActorID: "user:u1", UserID: "u1", Role: "ADMIN", IP: "1.2.3.4", RequestID: "req", Action: "auth.login",
		Target: "u1", EventID: "ev1", Data: ev.Data}
	if e.ActorID != want.ActorID || e.UserID != want.UserID || e.Role != want.Role || e.IP != want.IP || e.RequestID != want.RequestID ||
		e.Action != want.Action || e.Target != want.Target || e.EventID != want.EventID || !e.Time.Equal(t0) {
		t.Errorf("FromEvent = %+v, want %+v", e, want)
	}
	ev.Actor = "cli"
	if e := FromEvent(ev, a, true); e.ActorID != "cli" {
		t.Errorf("the event's own actor %q is not kept: %q", ev.Actor, e.ActorID)
	}
	ev.Actor = ""
	if e := FromEvent(ev, commerce.Actor{}, false); e.ActorID != "system" || e.UserID != "" {
		t.Errorf("without an actor: %+v, want actor system", e)
	}
}

func TestFilter(t *testing.T) {
	e := Entry{Time: t0, ActorID: "user:u1", UserID: "u1", Action: "auth.login_failed", Target: "u1"}
	scenarios := []struct {
		name string
		f    Filter
		want bool
	}{
		{"empty", Filter{}, true},
		{"actor", Filter{ActorID: "user:u1"}, true},
		{"other actor", Filter{ActorID: "user:u2"}, false},
		{"user", Filter{UserID: "u1"}, true},
		{"other user", Filter{UserID: "u2"}, false},
		{"exact action", Filter{Action: "auth.login_failed"}, true},
		{"exact action is not a prefix", Filter{Action: "auth.login"}, false},
		{"action prefix", Filter{Action: "auth.*"}, true},
		{"other prefix", Filter{Action: "vendors.*"}, false},
		{"star", Filter{Action: "*"}, true},
		{"target", Filter{Target: "u1"}, true},
		{"other target", Filter{Target: "u2"}, false},
		{"from inclusive", Filter{From: t0}, true},
		{"from after", Filter{From: t0.Add(time.Nanosecond)}, false},
		{"to exclusive", Filter{To: t0}, false},
		{"to after", Filter{To: t0.Add(time.Second)}, true},
		{"all fields", Filter{ActorID: "user:u1", UserID: "u1", Action: "auth.*", Target: "u1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, true},
	}
	for _, s := range scenarios {
		if got := s.f.Match(e); got != s.want {
			t.Errorf("%s: Match = %v, want %v", s.name, got, s.want)
		}
	}
}

func TestFilterValidate(t *testing.T) {
	scenarios := []struct {
		name  string
		f     Filter
		field string // "" means valid
	}{
		{"empty", Filter{}, ""},
		{"prefix", Filter{Action: "auth.*"}, ""},
		{"star inside", Filter{Action: "auth.*.x"}, "action"},
		{"to before from", Filter{From: t0, To: t0.Add(-time.Second)}, "to"},
		{"to equals from", Filter{From: t0, To: t0}, "to"},
		{"long actor", Filter{ActorID: strings.Repeat("a", 201)}, "actor"},
		{"bad utf-8 target", Filter{Target: "\xff"}, "target"},
	}
	for _, s := range scenarios {
		err := s.f.Validate()
		if s.field == "" {
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
			continue
		}
		ce := commerce.AsError(err)
		if ce == nil || len(ce.Fields) != 1 || ce.Fields[0].Field != s.field {
			t.Errorf("%s: want an error naming %s, got %v", s.name, s.field, err)
		}
	}
}
