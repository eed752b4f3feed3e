package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
)

// TestPageRows pages both ways through a keyspace with a filter: every kept row once, in
// order, and a next cursor only while a kept row follows.
func TestPageRows(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	prefix := []byte("test/page/")
	if err := db.Update(ctx, func(tx *Tx) error {
		for i := range 9 { // 00..08: the last row of each direction is filtered out
			tx.Set(fmt.Appendf(append([]byte(nil), prefix...), "%02d", i), fmt.Appendf(nil, "%d", i))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("bad cursor")
	valid := func(last []byte) bool { return len(last) == 2 }
	odd := func(_ *Reader, k, v []byte) (string, bool, error) { return string(k), (v[0]-'0')%2 == 1, nil }
	scenarios := []struct {
		reverse bool
		want    []string // pages, items joined
	}{
		{false, []string{"01,03", "05,07"}},
		{true, []string{"07,05", "03,01"}},
	}
	for _, sc := range scenarios {
		var got []string
		cursor := ""
		for range 5 {
			l, err := pageRows(ctx, db, prefix, commerce.Page{Limit: 2, Cursor: cursor}, sc.reverse, bad, valid, odd)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join(l.Items, ","))
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		if strings.Join(got, " | ") != strings.Join(sc.want, " | ") {
			t.Errorf("reverse %v: pages %q, want %q", sc.reverse, got, sc.want)
		}
	}
	if _, err := pageRows(ctx, db, prefix, commerce.Page{Cursor: "!!"}, false, bad, valid, odd); !errors.Is(err, bad) {
		t.Errorf("undecodable cursor: %v", err)
	}
}
