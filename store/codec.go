package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Value codec. Every stored value starts with one version byte. Version 1 is JSON. Decoders
// of old versions are never removed; a new version gets a new case in decode.
const codecJSONv1 byte = 1

// ErrCodec is returned for a value whose version byte is unknown or whose body is corrupt.
var ErrCodec = errors.New("store: cannot decode value")

// encode returns v's stored form.
func encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode %T: %w", v, err)
	}
	out := make([]byte, 1+len(body))
	out[0] = codecJSONv1
	copy(out[1:], body)
	return out, nil
}

// decode fills v from a stored value.
func decode(b []byte, v any) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty value", ErrCodec)
	}
	switch b[0] {
	case codecJSONv1:
		if err := json.Unmarshal(b[1:], v); err != nil {
			return fmt.Errorf("%w: %v", ErrCodec, err)
		}
		return nil
	default:
		return fmt.Errorf("%w: unknown codec version %d", ErrCodec, b[0])
	}
}

func encodeUint64(v uint64) []byte {
	b := make([]byte, 9)
	b[0] = codecJSONv1 // version byte kept for uniformity; the body is 8 big-endian bytes
	binary.BigEndian.PutUint64(b[1:], v)
	return b
}

func decodeUint64(b []byte) (uint64, error) {
	if len(b) != 9 || b[0] != codecJSONv1 {
		return 0, fmt.Errorf("%w: bad counter value", ErrCodec)
	}
	return binary.BigEndian.Uint64(b[1:]), nil
}
