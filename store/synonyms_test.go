package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/index"
)

func TestSearchSynonyms(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	groups, version, err := db.SearchSynonyms(ctx)
	if err != nil || groups != nil || version != 0 {
		t.Fatalf("fresh store: %v, %d, %v; want nothing at version 0", groups, version, err)
	}
	zero, one := int64(0), int64(1)
	scenarios := []struct {
		name      string
		groups    []string
		ifVersion *int64
		wantErr   error
		version   int64 // the version after
	}{
		{"first write at version 0", []string{"tv, television"}, &zero, nil, 1},
		{"stale version refused", []string{"sofa, couch"}, &zero, ErrSynonymsVersion, 1},
		{"current version", []string{"sofa, couch", "tv, television"}, &one, nil, 2},
		{"no precondition", []string{}, nil, nil, 3},
	}
	for _, s := range scenarios {
		before, _, _ := db.SearchSynonyms(ctx)
		v, err := db.SetSearchSynonyms(ctx, s.groups, s.ifVersion)
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		got, version, err := db.SearchSynonyms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := s.groups
		if s.wantErr != nil {
			want = before
		} else if v != s.version {
			t.Errorf("%s: returned version %d, want %d", s.name, v, s.version)
		}
		if version != s.version || !slices.Equal(got, want) {
			t.Errorf("%s: stored %v at %d, want %v at %d", s.name, got, version, want, s.version)
		}
	}
	// Each successful write emitted its event; the refused one none.
	evs, err := db.Outbox(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, ev := range evs {
		if ev.Type != index.EventSynonymsUpdated {
			continue
		}
		var d struct {
			Version int64 `json:"version"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, d.Version)
	}
	if !slices.Equal(versions, []int64{1, 2, 3}) {
		t.Errorf("synonym events carry versions %v, want [1 2 3]", versions)
	}
}
