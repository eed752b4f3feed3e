package config

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string with units: "30s", "15m", "6h",
// "1h30m". It is a struct rather than a named int64 so that a bare TOML integer such as
// `shutdown_grace = 15` is rejected instead of silently meaning 15 nanoseconds.
type Duration struct{ time.Duration }

// Dur returns d as a Duration; it keeps defaults and tests short.
func Dur(d time.Duration) Duration { return Duration{d} }

// UnmarshalText parses a Go duration string. Negative durations are rejected: no setting
// means anything sensible with one.
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "" {
		return errors.New("empty duration (write a number with a unit, e.g. \"30s\")")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (write a number with a unit, e.g. \"30s\", \"15m\", \"6h\")", s)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	d.Duration = v
	return nil
}

// MarshalText renders d in the shortest form time.ParseDuration reads back: "6h", not "6h0m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String is the compact form of d ("15s", "1h30m", "0s").
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ByteSize is a number of bytes written in TOML either as a plain integer or as a string with
// a unit. KB, MB, GB and TB are powers of 1000; KiB, MiB, GiB and TiB are powers of 1024; units
// are case-insensitive and fractions are allowed when the result is whole ("1.5KiB").
type ByteSize int64

// Common sizes, for defaults and callers.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// byteUnits is ordered so formatting picks the largest binary unit first.
var byteUnits = []struct {
	name string
	size int64
}{
	{"TiB", int64(TiB)}, {"GiB", int64(GiB)}, {"MiB", int64(MiB)}, {"KiB", int64(KiB)},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"B", 1},
}

// ParseByteSize parses "20MiB", "512KB", "1GiB", "1.5 GiB" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty size (write e.g. \"64MiB\" or a number of bytes)")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	end := 0
	for end < len(in) && (in[end] >= '0' && in[end] <= '9' || in[end] == '.') {
		end++
	}
	num, unit := in[:end], strings.TrimSpace(in[end:])
	if num == "" || num[0] == '.' || strings.Count(num, ".") > 1 || strings.HasSuffix(num, ".") {
		return 0, fmt.Errorf("invalid size %q (write e.g. \"64MiB\", \"512KB\" or a number of bytes)", s)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range byteUnits {
		if strings.EqualFold(unit, u.name) {
			mult = u.size
			break
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, unit)
	}
	// big.Rat keeps "1.5KiB" exact and makes overflow a comparison, not a wrap-around.
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(r.Num().Int64()), nil
}

// UnmarshalText parses a size string; see ParseByteSize.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalText renders b with the largest binary unit that divides it exactly ("64MiB"), or in
// bytes ("1000B").
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String is the form MarshalText writes.
func (b ByteSize) String() string {
	n := int64(b)
	if n != 0 {
		for _, u := range byteUnits[:4] {
			if n%u.size == 0 {
				return fmt.Sprintf("%d%s", n/u.size, u.name)
			}
		}
	}
	return fmt.Sprintf("%dB", n)
}

// Int64 returns b as a plain number of bytes.
func (b ByteSize) Int64() int64 { return int64(b) }
