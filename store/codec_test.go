package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

type codecSample struct {
	ID    string   `json:"id"`
	Qty   int      `json:"qty"`
	Price int64    `json:"price"`
	Tags  []string `json:"tags"`
	Gift  bool     `json:"gift,omitempty"`
}

// The stored bytes are a contract with every store written so far: changing them needs a
// new codec version, not an edit of these expectations.
func TestCodecGolden(t *testing.T) {
	scenarios := []struct {
		name string
		v    any
		want string
	}{
		{
			name: "struct",
			v:    codecSample{ID: "p-1", Qty: 3, Price: 1999, Tags: []string{"tea", "green"}},
			want: "\x01" + `{"id":"p-1","qty":3,"price":1999,"tags":["tea","green"]}`,
		},
		{
			name: "event",
			v: commerce.Event{
				ID: "01JD0000000000000000000000", Seq: 7, Type: "catalog.product_created", Aggregate: "p-1",
				Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(`{"a":1}`),
			},
			want: "\x01" + `{"id":"01JD0000000000000000000000","seq":7,"type":"catalog.product_created","aggregate":"p-1","time":"2026-01-02T03:04:05Z","data":{"a":1}}`,
		},
		{name: "string", v: "hi", want: "\x01\"hi\""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := encode(sc.v)
			must(t, err)
			if string(got) != sc.want {
				t.Fatalf("encode:\n got %q\nwant %q", got, sc.want)
			}
			back := reflect.New(reflect.TypeOf(sc.v))
			must(t, decode(got, back.Interface()))
			if !reflect.DeepEqual(back.Elem().Interface(), sc.v) {
				t.Fatalf("decode = %+v, want %+v", back.Elem().Interface(), sc.v)
			}
		})
	}
	if got := encodeUint64(0x0102030405060708); string(got) != "\x01\x01\x02\x03\x04\x05\x06\x07\x08" {
		t.Fatalf("encodeUint64 = %q", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	scenarios := []struct {
		name string
		in   []byte
	}{
		{name: "empty", in: nil},
		{name: "unknown version 0", in: []byte("\x00{}")},
		{name: "unknown version 2", in: []byte("\x02{\"id\":\"p-1\"}")},
		{name: "unknown version 255", in: []byte{0xff}},
		{name: "truncated json", in: []byte("\x01{\"id\":")},
		{name: "wrong json type", in: []byte("\x01{\"qty\":\"three\"}")},
		{name: "version byte only", in: []byte{1}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var v codecSample
			if err := decode(sc.in, &v); !errors.Is(err, ErrCodec) {
				t.Fatalf("decode(%q) = %v, want ErrCodec", sc.in, err)
			}
		})
	}
	for _, in := range [][]byte{nil, {1}, {2, 0, 0, 0, 0, 0, 0, 0, 1}, []byte("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")} {
		if _, err := decodeUint64(in); !errors.Is(err, ErrCodec) {
			t.Fatalf("decodeUint64(%q) = %v, want ErrCodec", in, err)
		}
	}
}

// FuzzDecode feeds arbitrary stored values to the decoders: they must return a value or
// ErrCodec, never panic, and what decodes must survive a round trip.
func FuzzDecode(f *testing.F) {
	for _, v := range []any{
		codecSample{ID: "p-1", Qty: 3, Tags: []string{"a"}},
		commerce.Event{ID: "x", Seq: 1, Type: "t.t", Data: json.RawMessage(`[1,2]`)},
		map[string]any{"k": []any{1.5, nil, "s"}},
	} {
		b, err := encode(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{2, '{', '}'})
	f.Add([]byte("\x01{\"tags\":null,\"qty\":-1}"))
	f.Add(encodeUint64(42))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s codecSample
		err := decode(b, &s)
		if err != nil && !errors.Is(err, ErrCodec) {
			t.Fatalf("decode error %v is not ErrCodec", err)
		}
		if err == nil {
			again, err := encode(s)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			var s2 codecSample
			if err := decode(again, &s2); err != nil || !reflect.DeepEqual(s, s2) {
				t.Fatalf("round trip: %+v -> %q -> %+v (%v)", s, again, s2, err)
			}
		}
		var ev commerce.Event
		if err := decode(b, &ev); err != nil && !errors.Is(err, ErrCodec) {
			t.Fatalf("decode event error %v is not ErrCodec", err)
		}
		var anyv any
		if err := decode(b, &anyv); err != nil && !errors.Is(err, ErrCodec) {
			t.Fatalf("decode any error %v is not ErrCodec", err)
		}
		if v, err := decodeUint64(b); err == nil && string(encodeUint64(v)) != string(b) {
			t.Fatalf("decodeUint64 round trip: %q -> %d", b, v)
		} else if err != nil && !errors.Is(err, ErrCodec) {
			t.Fatalf("decodeUint64 error %v is not ErrCodec", err)
		}
	})
}
