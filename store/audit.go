package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
)

// The audit log (commerce/audit) is written by the writer itself: Tx.applyTo appends an
// entry for every event audit.Records selects, in the same batch as the event, chained to
// the head the writer keeps in memory (DB.audit, loaded at Open); commitGroup stores the head
// at audit/head with each group that appended entries. One writer makes the chain serial.

func auditEntryKey(seq uint64) []byte { return Uint64Key(prefixAuditEntry, seq) }

func auditSeqOf(key []byte) (uint64, bool) {
	if len(key) != len(prefixAuditEntry)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(prefixAuditEntry):]), true
}

// auditRow seals ev's entry after *head and advances *head: one SHA-256 and one encode.
func auditRow(ev commerce.Event, actor commerce.Actor, hasActor bool, head *audit.Head) (kv, error) {
	e, err := audit.Seal(audit.FromEvent(ev, actor, hasActor), head.Seq+1, head.HashOrGenesis())
	if err != nil {
		return kv{}, err
	}
	v, err := encode(e)
	if err != nil {
		return kv{}, err
	}
	*head = audit.Head{Seq: e.Seq, Hash: e.Hash}
	return kv{auditEntryKey(e.Seq), v}, nil
}

func encodeAuditHead(h audit.Head) []byte {
	v, err := encode(h)
	if err != nil {
		panic(err) // two plain fields always encode
	}
	return v
}

// readAuditHead reads the stored head; an empty log has the zero Head.
func (db *DB) readAuditHead() (audit.Head, error) {
	var h audit.Head
	err := getJSON(&Reader{r: db.pdb}, []byte(keyAuditHead), &h)
	if errors.Is(err, ErrNotFound) {
		return audit.Head{}, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: %s: %w", keyAuditHead, err)
	}
	return h, nil
}

// maxAuditScan bounds the entries one AuditEntries call reads, so a filter that matches
// little costs a bounded amount per page: the page then holds fewer items than asked, and
// next_cursor continues the scan.
const maxAuditScan = 10000

// errAuditCursor is returned for an audit list cursor this store did not make.
var errAuditCursor = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "store: invalid cursor"}

// AuditEntries returns one page of the audit entries f matches, newest first. The cursor is
// the seq where the previous page stopped, base64url-encoded so clients treat it as opaque.
// A page reads at most maxAuditScan entries: it may hold fewer than page.Limit items and a
// NextCursor; an empty NextCursor means the log is exhausted.
func (db *DB) AuditEntries(ctx context.Context, f audit.Filter, page commerce.Page) (commerce.List[audit.Entry], error) {
	page = page.Normalize()
	upper := PrefixEnd([]byte(prefixAuditEntry))
	if page.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		if err != nil || len(b) != 8 {
			return commerce.List[audit.Entry]{}, errAuditCursor
		}
		upper = auditEntryKey(binary.BigEndian.Uint64(b)) // exclusive: entries before the cursor's
	}
	list := commerce.List[audit.Entry]{Items: []audit.Entry{}}
	var last uint64 // the last entry read
	more, scanned := false, 0
	err := db.View(ctx, func(r *Reader) error {
		return r.ScanReverse([]byte(prefixAuditEntry), upper, func(k, v []byte) error {
			seq, ok := auditSeqOf(k)
			if !ok {
				return fmt.Errorf("store: audit entry key %q: %w", k, ErrCodec)
			}
			if len(list.Items) == page.Limit || scanned == maxAuditScan {
				more = true
				return ErrStop
			}
			if scanned++; scanned%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			last = seq
			var e audit.Entry
			if err := decode(v, &e); err != nil {
				return fmt.Errorf("store: audit entry %d: %w", seq, err)
			}
			if f.Match(e) {
				list.Items = append(list.Items, e)
			}
			return nil
		})
	})
	if err != nil {
		return commerce.List[audit.Entry]{}, err
	}
	if more {
		list.NextCursor = base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, last))
	}
	return list, nil
}

// VerifyAudit reads the whole audit log from entry #1 in one snapshot and checks the chain
// and the recorded head (audit.Verifier). A broken chain is a Report with OK false, not an
// error; errors are failures to read.
func (db *DB) VerifyAudit(ctx context.Context) (audit.Report, error) {
	var rep audit.Report
	err := db.View(ctx, func(r *Reader) error {
		v := audit.NewVerifier()
		var last uint64
		n := 0
		err := r.Scan([]byte(prefixAuditEntry), PrefixEnd([]byte(prefixAuditEntry)), func(k, val []byte) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			seq, ok := auditSeqOf(k)
			if !ok {
				v.Break(last+1, fmt.Sprintf("%s: key %q after entry #%d is not an 8-byte seq", audit.ReasonDecode, k, last))
				return ErrStop
			}
			last = seq
			var e audit.Entry
			if err := decode(val, &e); err != nil {
				v.Break(seq, fmt.Sprintf("%s: %v", audit.ReasonDecode, err))
				return ErrStop
			}
			if e.Seq != seq {
				v.Break(seq, fmt.Sprintf("%s: the entry stored at #%d says it is #%d", audit.ReasonHash, seq, e.Seq))
				return ErrStop
			}
			if !v.Add(e) {
				return ErrStop
			}
			return nil
		})
		if err != nil {
			return err
		}
		var head audit.Head
		if err := getJSON(r, []byte(keyAuditHead), &head); err != nil && !errors.Is(err, ErrNotFound) {
			if !errors.Is(err, ErrCodec) {
				return err
			}
			v.Break(last+1, fmt.Sprintf("%s: the recorded head does not decode: %v", audit.ReasonHead, err))
		}
		rep = v.Finish(head)
		return nil
	})
	return rep, err
}
