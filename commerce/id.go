package commerce

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is the Crockford base32 alphabet used by ULIDs: sortable, no ambiguous letters.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idGen struct {
	sync.Mutex
	lastMS uint64
	hi     uint16 // top 16 bits of the 80-bit random part
	lo     uint64 // low 64 bits
}

// NewID returns a new ULID: 26 characters, time-ordered, so IDs created later sort after
// earlier ones bytewise (store keys rely on it). Within one millisecond the random part is
// incremented, keeping IDs strictly increasing in this process.
func NewID() string { return newIDAt(time.Now()) }

func newIDAt(t time.Time) string {
	ms := uint64(t.UnixMilli())
	idGen.Lock()
	if ms <= idGen.lastMS {
		ms = idGen.lastMS
		idGen.lo++
		if idGen.lo == 0 {
			idGen.hi++
		}
	} else {
		var r [10]byte
		if _, err := rand.Read(r[:]); err != nil {
			panic("commerce: no randomness: " + err.Error())
		}
		idGen.lastMS = ms
		idGen.hi = binary.BigEndian.Uint16(r[:2])
		idGen.lo = binary.BigEndian.Uint64(r[2:])
	}
	var raw [16]byte
	raw[0], raw[1], raw[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	raw[3], raw[4], raw[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(raw[6:], idGen.hi)
	binary.BigEndian.PutUint64(raw[8:], idGen.lo)
	idGen.Unlock()
	return encodeULID(raw)
}

func encodeULID(id [16]byte) string {
	// 128 bits as 26 base32 digits; the first digit carries the top 3 bits.
	var out [26]byte
	hi := binary.BigEndian.Uint64(id[:8])
	lo := binary.BigEndian.Uint64(id[8:])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s looks like an ID made by NewID.
func ValidID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return true
}

// IDTime returns the creation time encoded in an ID made by NewID.
func IDTime(id string) (time.Time, bool) {
	if !ValidID(id) {
		return time.Time{}, false
	}
	var ms uint64
	for i := 0; i < 10; i++ {
		ms = ms<<5 | uint64(indexCrockford(id[i]))
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

func indexCrockford(c byte) int {
	for i := 0; i < len(crockford); i++ {
		if crockford[i] == c {
			return i
		}
	}
	return 0
}

// NewSecret returns a URL-safe random token of n random bytes (n >= 16 gives >= 128 bits), for
// guest cart IDs, refresh tokens and other bearer secrets.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("commerce: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
