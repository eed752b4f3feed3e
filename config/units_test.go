package config

import (
	"strings"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	scenarios := []struct {
		in      string
		want    time.Duration
		wantErr string
		text    string // MarshalText of the parsed value
	}{
		{in: "30s", want: 30 * time.Second, text: "30s"},
		{in: "6h", want: 6 * time.Hour, text: "6h"},
		{in: "168h", want: 168 * time.Hour, text: "168h"},
		{in: "15m", want: 15 * time.Minute, text: "15m"},
		{in: "1h30m", want: 90 * time.Minute, text: "1h30m"},
		{in: "1h0m5s", want: time.Hour + 5*time.Second, text: "1h0m5s"},
		{in: "1.5s", want: 1500 * time.Millisecond, text: "1.5s"},
		{in: "250ms", want: 250 * time.Millisecond, text: "250ms"},
		{in: "0s", want: 0, text: "0s"},
		{in: "0", want: 0, text: "0s"},
		{in: " 2m ", want: 2 * time.Minute, text: "2m"},
		{in: "", wantErr: "empty duration"},
		{in: "15", wantErr: `invalid duration "15"`},
		{in: "abc", wantErr: `invalid duration "abc"`},
		{in: "5 s", wantErr: "invalid duration"},
		{in: "-5s", wantErr: `duration "-5s" is negative`},
		{in: "9999999999h", wantErr: "invalid duration"},
	}
	for _, sc := range scenarios {
		t.Run(sc.in, func(t *testing.T) {
			d := Dur(time.Minute)
			err := d.UnmarshalText([]byte(sc.in))
			if sc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, sc.wantErr)
				}
				if d.Duration != time.Minute {
					t.Fatalf("failed parse changed the value to %v", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Duration != sc.want {
				t.Fatalf("got %v, want %v", d.Duration, sc.want)
			}
			text, _ := d.MarshalText()
			if string(text) != sc.text {
				t.Fatalf("MarshalText = %q, want %q", text, sc.text)
			}
		})
	}
}

func TestByteSizeText(t *testing.T) {
	scenarios := []struct {
		in      string
		want    ByteSize
		wantErr string
		text    string
	}{
		{in: "0", want: 0, text: "0B"},
		{in: "1048576", want: MiB, text: "1MiB"},
		{in: "1000", want: 1000, text: "1000B"},
		{in: "20MiB", want: 20 * MiB, text: "20MiB"},
		{in: "512KB", want: 512_000, text: "500KiB"},
		{in: "1GiB", want: GiB, text: "1GiB"},
		{in: "2TiB", want: 2 * TiB, text: "2TiB"},
		{in: "1GB", want: 1_000_000_000, text: "1000000000B"},
		{in: "64mib", want: 64 * MiB, text: "64MiB"},
		{in: "1.5 KiB", want: 1536, text: "1536B"},
		{in: "0.5GiB", want: 512 * MiB, text: "512MiB"},
		{in: "10B", want: 10, text: "10B"},
		{in: "9223372036854775807", want: 1<<63 - 1, text: "9223372036854775807B"},
		{in: "", wantErr: "empty size"},
		{in: "abc", wantErr: `invalid size "abc"`},
		{in: "MiB", wantErr: "invalid size"},
		{in: "1..5MiB", wantErr: "invalid size"},
		{in: ".5MiB", wantErr: "invalid size"},
		{in: "5.MiB", wantErr: "invalid size"},
		{in: "1e3", wantErr: `unknown unit "e3"`},
		{in: "20 MegaBytes", wantErr: "unknown unit"},
		{in: "-1MiB", wantErr: `size "-1MiB" is negative`},
		{in: "-5", wantErr: "negative"},
		{in: "0.1B", wantErr: "not a whole number of bytes"},
		{in: "1.0000001KB", wantErr: "not a whole number of bytes"},
		{in: "9223372036854775808", wantErr: "too large"},
		{in: "8388608TiB", wantErr: "too large"},
		{in: "99999999999999999999999999999GiB", wantErr: "too large"},
	}
	for _, sc := range scenarios {
		t.Run(sc.in, func(t *testing.T) {
			b := ByteSize(7)
			err := b.UnmarshalText([]byte(sc.in))
			if sc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, sc.wantErr)
				}
				if b != 7 {
					t.Fatalf("failed parse changed the value to %d", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b != sc.want {
				t.Fatalf("got %d, want %d", b, sc.want)
			}
			text, _ := b.MarshalText()
			if string(text) != sc.text {
				t.Fatalf("MarshalText = %q, want %q", text, sc.text)
			}
		})
	}
}

// FuzzByteSize checks that whatever parses renders to text that parses back to the same size.
func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"0", "20MiB", "512KB", "1.5GiB", "-1", "1e3", "8388608TiB", " 7 b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("%q parsed to negative %d", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, b, b.String(), back, err)
		}
	})
}

// FuzzDuration checks the same round trip for durations.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"0", "6h", "1h30m", "-5s", "1.5s", "15"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Duration
		if d.UnmarshalText([]byte(s)) != nil {
			return
		}
		var back Duration
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, d.Duration, d.String(), back.Duration, err)
		}
	})
}
