package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
)

var (
	staffActor    = commerce.Actor{ID: "user:admin", UserID: "admin", Role: "ADMIN", Staff: true, IP: "10.0.0.9", RequestID: "req-staff"}
	customerActor = commerce.Actor{ID: "user:cust", UserID: "cust", Role: "CUSTOMER", IP: "10.0.0.7", RequestID: "req-cust"}
)

// emitAs runs one update for actor (none when nil) that emits an event of
// type typ about aggregate; fail makes the update return an error after emitting.
func emitAs(ctx context.Context, db *DB, actor *commerce.Actor, typ, aggregate string, fail bool) error {
	if actor != nil {
		ctx = commerce.WithActor(ctx, *actor)
	}
	return db.Update(ctx, func(tx *Tx) error {
		ev, err := commerce.NewEvent(typ, aggregate, time.Now(), map[string]string{"about": aggregate})
		if err != nil {
			return err
		}
		tx.Emit(ev)
		if fail {
			return errors.New("refused")
		}
		return nil
	})
}

// auditEntries lists every entry, oldest first.
func auditEntries(t *testing.T, db *DB) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	page := commerce.Page{Limit: commerce.MaxPageLimit}
	for {
		l, err := db.AuditEntries(context.Background(), audit.Filter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Items...)
		if l.NextCursor == "" {
			break
		}
		page.Cursor = l.NextCursor
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func mustVerify(t *testing.T, db *DB, entries uint64) audit.Report {
	t.Helper()
	r, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Entries != entries || r.HeadSeq != entries {
		t.Fatalf("VerifyAudit = %+v, want an intact chain of %d entries", r, entries)
	}
	return r
}

// TestAuditChainUnderConcurrentUpdates: many concurrent updates, committed in many groups,
// append exactly the entries of the audited events of the updates that succeeded, in one
// gap-free chain; events get the context's actor; failed updates leave no entry.
func TestAuditChainUnderConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: "db", FS: vfs.NewMem(), DiskGuardOff: true, Logger: quietLogger(), MaxGroup: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type kind struct {
		actor   *commerce.Actor
		typ     string
		audited bool
	}
	kinds := []kind{
		{&staffActor, "catalog.product_updated", true},       // staff write
		{&customerActor, "auth.login", true},                 // security event
		{nil, "auth.login_failed", true},                     // security event without an actor
		{&customerActor, "orders.placed", false},             // customer write: not audited
		{&customerActor, "vendors.registered", true},         // vendor events are security events
		{&commerce.Actor{ID: "anonymous"}, "carts.x", false}, // anonymous write
	}
	const n = 300
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := kinds[i%len(kinds)]
			fail := i%7 == 0
			err := emitAs(ctx, db, k.actor, k.typ, fmt.Sprintf("a%03d", i), fail)
			if fail != (err != nil) {
				t.Errorf("update %d: err %v", i, err)
			}
		}()
	}
	wg.Wait()

	want := map[string]kind{} // aggregate → kind of the audited, successful updates
	for i := range n {
		if k := kinds[i%len(kinds)]; k.audited && i%7 != 0 {
			want[fmt.Sprintf("a%03d", i)] = k
		}
	}
	entries := auditEntries(t, db)
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	events, err := db.Outbox(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]commerce.Event{}
	for _, ev := range events {
		byID[ev.ID] = ev
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		k, ok := want[e.Target]
		if !ok {
			t.Errorf("entry #%d is about %s, which is not an audited, successful update", e.Seq, e.Target)
			continue
		}
		delete(want, e.Target)
		ev, ok := byID[e.EventID]
		if !ok || ev.Type != e.Action || ev.Aggregate != e.Target || string(ev.Data) != string(e.Data) {
			t.Errorf("entry #%d does not match its event %+v: %+v", e.Seq, ev, e)
		}
		wantActor := "system"
		if k.actor != nil {
			wantActor = k.actor.ID
			if e.UserID != k.actor.UserID || e.Role != k.actor.Role || e.IP != k.actor.IP || e.RequestID != k.actor.RequestID {
				t.Errorf("entry #%d does not carry its actor %+v: %+v", e.Seq, *k.actor, e)
			}
			if ev.Actor != k.actor.ID {
				t.Errorf("event %s has actor %q, want the context's %q", ev.ID, ev.Actor, k.actor.ID)
			}
		}
		if e.ActorID != wantActor {
			t.Errorf("entry #%d has actor %q, want %q", e.Seq, e.ActorID, wantActor)
		}
	}
	r := mustVerify(t, db, uint64(len(entries)))
	if r.HeadHash != entries[len(entries)-1].Hash {
		t.Errorf("head hash %s, want the last entry's %s", r.HeadHash, entries[len(entries)-1].Hash)
	}
}

// TestAuditEventActorKept: an event that names its actor keeps it; the entry too.
func TestAuditEventActorKept(t *testing.T) {
	ctx := commerce.WithActor(context.Background(), staffActor)
	db := openMem(t, vfs.NewMem())
	err := db.Update(ctx, func(tx *Tx) error {
		ev, _ := commerce.NewEvent("auth.role_changed", "u1", time.Now(), nil)
		ev.Actor = "cli"
		tx.Emit(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	es := auditEntries(t, db)
	if len(es) != 1 || es[0].ActorID != "cli" || es[0].UserID != "admin" {
		t.Fatalf("entries %+v, want one by cli carrying the context's user", es)
	}
}

// TestAuditFailedCommitKeepsTheHead: a group Pebble refuses appends nothing and leaves the
// writer's head where it was, so the next group chains from the last stored entry.
func TestAuditFailedCommitKeepsTheHead(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	if err := emitAs(ctx, db, nil, "auth.login", "first", false); err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("disk said no")
	db.commitFault = func() error { return errDisk }
	if err := emitAs(ctx, db, nil, "auth.login", "lost", false); !errors.Is(err, errDisk) {
		t.Fatalf("update in a refused group: err %v, want %v", err, errDisk)
	}
	db.commitFault = nil
	if err := emitAs(ctx, db, nil, "auth.login", "second", false); err != nil {
		t.Fatal(err)
	}
	es := auditEntries(t, db)
	if len(es) != 2 || es[0].Target != "first" || es[1].Target != "second" {
		t.Fatalf("entries %+v, want first and second", es)
	}
	mustVerify(t, db, 2)
}

// TestAuditTamperingDetected: an entry edited directly in the store, a deleted middle entry,
// a truncated tail, a rehashed edit and a deleted head are each reported at the right entry.
func TestAuditTamperingDetected(t *testing.T) {
	scenarios := []struct {
		name   string
		tamper func(t *testing.T, tx *Tx)
		broken uint64
		reason string
	}{
		{name: "edited data", broken: 4, reason: audit.ReasonHash, tamper: func(t *testing.T, tx *Tx) {
			editEntry(t, tx, 4, func(e *audit.Entry) { e.Data = json.RawMessage(`{"about":"someone else"}`) })
		}},
		{name: "edited raw bytes", broken: 2, reason: audit.ReasonHash, tamper: func(t *testing.T, tx *Tx) {
			v, err := tx.Get(auditEntryKey(2))
			if err != nil {
				t.Fatal(err)
			}
			tx.Set(auditEntryKey(2), []byte(strings.Replace(string(v), "auth.login", "auth.logout", 1)))
		}},
		{name: "edited and rehashed", broken: 6, reason: audit.ReasonPrevHash, tamper: func(t *testing.T, tx *Tx) {
			editEntry(t, tx, 5, func(e *audit.Entry) { e.IP = "1.1.1.1"; e.Hash = audit.Hash(*e) })
		}},
		{name: "deleted middle entry", broken: 5, reason: audit.ReasonGap, tamper: func(_ *testing.T, tx *Tx) {
			tx.Delete(auditEntryKey(5))
		}},
		{name: "truncated tail", broken: 8, reason: audit.ReasonHead, tamper: func(_ *testing.T, tx *Tx) {
			for seq := uint64(8); seq <= 10; seq++ {
				tx.Delete(auditEntryKey(seq))
			}
		}},
		{name: "head deleted", broken: 1, reason: audit.ReasonHead, tamper: func(_ *testing.T, tx *Tx) {
			tx.Delete([]byte(keyAuditHead))
		}},
		{name: "undecodable entry", broken: 3, reason: audit.ReasonDecode, tamper: func(_ *testing.T, tx *Tx) {
			tx.Set(auditEntryKey(3), []byte{1, '{'})
		}},
		{name: "entry moved", broken: 7, reason: audit.ReasonHash, tamper: func(t *testing.T, tx *Tx) {
			v, err := tx.Get(auditEntryKey(9))
			if err != nil {
				t.Fatal(err)
			}
			tx.Set(auditEntryKey(7), v)
		}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			db := openMem(t, vfs.NewMem())
			for i := range 10 {
				if err := emitAs(ctx, db, &customerActor, "auth.login", fmt.Sprint(i), false); err != nil {
					t.Fatal(err)
				}
			}
			mustVerify(t, db, 10)
			// Raw writes emit no event: nothing is audited, the head stays.
			if err := db.Update(ctx, func(tx *Tx) error { s.tamper(t, tx); return nil }); err != nil {
				t.Fatal(err)
			}
			r, err := db.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.BrokenSeq != s.broken || !strings.HasPrefix(r.Reason, s.reason) {
				t.Fatalf("VerifyAudit = %+v, want broken at #%d (%s)", r, s.broken, s.reason)
			}
		})
	}
}

func editEntry(t *testing.T, tx *Tx, seq uint64, change func(*audit.Entry)) {
	t.Helper()
	var e audit.Entry
	if err := getJSON(tx, auditEntryKey(seq), &e); err != nil {
		t.Fatal(err)
	}
	change(&e)
	if err := putJSON(tx, auditEntryKey(seq), e); err != nil {
		t.Fatal(err)
	}
}

// TestAuditReopenKeepsTheChain: the head is stored, so entries appended after a reopen extend
// the same chain; the store's own Verify knows the audit keyspaces.
func TestAuditReopenKeepsTheChain(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kv")
	for round := range 3 {
		db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			if err := emitAs(ctx, db, &staffActor, "catalog.product_updated", fmt.Sprintf("r%d-%d", round, i), false); err != nil {
				t.Fatal(err)
			}
		}
		mustVerify(t, db, uint64(4*(round+1)))
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Keyspaces[prefixAuditEntry] != 12 || rep.Keyspaces[keyAuditHead] != 1 {
		t.Errorf("Verify counted %d audit entries and %d heads, want 12 and 1", rep.Keyspaces[prefixAuditEntry], rep.Keyspaces[keyAuditHead])
	}
	db, err := Open(ctx, Config{Dir: dir, ReadOnly: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustVerify(t, db, 12)
}

// TestAuditEntriesPages: newest first, filtered, paged by cursor; a bad cursor is invalid.
func TestAuditEntriesPages(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	for i := range 30 {
		typ, actor := "auth.login", &customerActor
		if i%3 == 0 {
			typ, actor = "catalog.product_updated", &staffActor
		}
		if err := emitAs(ctx, db, actor, typ, fmt.Sprintf("a%02d", i), false); err != nil {
			t.Fatal(err)
		}
	}
	scenarios := []struct {
		name  string
		f     audit.Filter
		limit int
		want  []string // targets, in order
	}{
		{"newest first", audit.Filter{}, 3, []string{"a29", "a28", "a27"}},
		{"staff actor", audit.Filter{ActorID: staffActor.ID}, 4, []string{"a27", "a24", "a21", "a18", "a15", "a12", "a09", "a06", "a03", "a00"}},
		{"action prefix", audit.Filter{Action: "catalog.*"}, 100, []string{"a27", "a24", "a21", "a18", "a15", "a12", "a09", "a06", "a03", "a00"}},
		{"exact action and user", audit.Filter{Action: "auth.login", UserID: "cust", Target: "a01"}, 5, []string{"a01"}},
		{"nothing", audit.Filter{Target: "nope"}, 5, nil},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			var got []string
			page := commerce.Page{Limit: s.limit}
			for range 20 {
				l, err := db.AuditEntries(ctx, s.f, page)
				if err != nil {
					t.Fatal(err)
				}
				if len(l.Items) > s.limit {
					t.Fatalf("page of %d items, limit %d", len(l.Items), s.limit)
				}
				for _, e := range l.Items {
					got = append(got, e.Target)
				}
				if l.NextCursor == "" || s.name == "newest first" {
					break
				}
				page.Cursor = l.NextCursor
			}
			if fmt.Sprint(got) != fmt.Sprint(s.want) {
				t.Errorf("got %v, want %v", got, s.want)
			}
		})
	}
	if _, err := db.AuditEntries(ctx, audit.Filter{}, commerce.Page{Cursor: "!!"}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("bad cursor: err %v, want invalid", err)
	}
}

// TestAuditEntriesScanBudget: a filter matching little reads at most maxAuditScan entries
// per page and hands back a cursor that continues the scan.
func TestAuditEntriesScanBudget(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	n := maxAuditScan + 50
	err := db.Update(ctx, func(tx *Tx) error {
		for i := range n {
			ev, _ := commerce.NewEvent("auth.login", fmt.Sprint(i), time.Now(), nil)
			tx.Emit(ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.AuditEntries(ctx, audit.Filter{Target: "0"}, commerce.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 || l.NextCursor == "" {
		t.Fatalf("first page: %d items, cursor %q; want none and a cursor", len(l.Items), l.NextCursor)
	}
	l, err = db.AuditEntries(ctx, audit.Filter{Target: "0"}, commerce.Page{Limit: 10, Cursor: l.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Seq != 1 || l.NextCursor != "" {
		t.Fatalf("second page: %+v, want entry #1 and no cursor", l)
	}
	mustVerify(t, db, uint64(n))
}
