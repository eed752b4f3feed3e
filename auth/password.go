package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/ultramarket/ultramarket/commerce"
)

// OWASP's minimum argon2id parameters, and the defaults. About 40 ms and 19 MiB per hash on a
// small server.
const (
	MinTime      = 2
	MinMemoryKiB = 19 * 1024
)

// Limits on parameters, in a config or parsed from a stored hash, so that a bad setting or a
// crafted hash cannot make one verification allocate gigabytes or run for minutes.
const (
	maxTime      = 100
	maxMemoryKiB = 1 << 20 // 1 GiB
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64

	saltLen = 16
	keyLen  = 32
)

// HasherConfig sets the argon2id cost. Stored hashes carry their own parameters, so changing
// the config does not lock anyone out: old hashes keep verifying and Verify reports that they
// need rehashing.
type HasherConfig struct {
	Time          uint32 // passes over memory; 0 means 2; at least 2
	MemoryKiB     uint32 // memory per hash in KiB; 0 means 19456 (19 MiB); at least 19456
	Threads       uint8  // parallel lanes; 0 means 1
	MaxConcurrent int    // hashes computed at once, bounding memory to MaxConcurrent*MemoryKiB; 0 means 4
}

func (c *HasherConfig) ensureDefaults() {
	if c.Time == 0 {
		c.Time = MinTime
	}
	if c.MemoryKiB == 0 {
		c.MemoryKiB = MinMemoryKiB
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 4
	}
}

// Validate reports every setting below the OWASP minimum or above the limits, after applying
// the defaults (so the zero config is valid).
func (c HasherConfig) Validate() error {
	c.ensureDefaults()
	var v commerce.Validator
	v.Check(c.Time >= MinTime && c.Time <= maxTime, "time", fmt.Sprintf("must be between %d and %d", MinTime, maxTime))
	v.Check(c.MemoryKiB >= MinMemoryKiB && c.MemoryKiB <= maxMemoryKiB, "memory_kib",
		fmt.Sprintf("must be between %d (19 MiB) and %d (1 GiB)", MinMemoryKiB, maxMemoryKiB))
	v.Check(c.MaxConcurrent >= 1, "max_concurrent", "must be at least 1")
	return v.Err()
}

// Hasher hashes and verifies passwords with argon2id. It is safe for concurrent use; at most
// MaxConcurrent hashes run at once and further callers wait (or give up when their context
// ends), so a burst of logins cannot exhaust memory.
type Hasher struct {
	p   params
	sem chan struct{}
}

// params are the argon2id parameters of one hash.
type params struct {
	time    uint32
	memory  uint32 // KiB
	threads uint8
	keyLen  uint32
}

// NewHasher validates cfg (after applying defaults) and returns a Hasher.
func NewHasher(cfg HasherConfig) (*Hasher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth: hasher config: %w", err)
	}
	cfg.ensureDefaults()
	return &Hasher{
		p:   params{time: cfg.Time, memory: cfg.MemoryKiB, threads: cfg.Threads, keyLen: keyLen},
		sem: make(chan struct{}, cfg.MaxConcurrent),
	}, nil
}

// ErrMalformedHash is returned by Verify for a stored hash it cannot parse. It is a data
// problem, not the caller's: the kind is EInternal.
var ErrMalformedHash = &commerce.Error{Kind: commerce.EInternal, Code: "password_hash_malformed", Message: "auth: malformed password hash"}

// MaxPasswordBytes is the longest password accepted. Longer inputs are refused before any
// hashing work.
const MaxPasswordBytes = 128

// Hash returns the PHC string of password with a fresh random salt:
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<key> (unpadded standard base64).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if password == "" || len(password) > MaxPasswordBytes {
		return "", commerce.Errorf(commerce.EInvalid, "password_length",
			"auth: password must be 1 to %d bytes", MaxPasswordBytes)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", commerce.Errorf(commerce.EInternal, "no_randomness", "auth: read salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.p.time, h.p.memory, h.p.threads, h.p.keyLen)
	h.release()
	return encodeHash(h.p, salt, key), nil
}

// Verify reports whether password matches the encoded hash, computed with the parameters
// stored in it. needsRehash is true when it matches but was made with parameters other than
// the Hasher's, so the caller can store a fresh Hash while it has the plain password. A hash
// that does not parse gives ErrMalformedHash; a wrong password gives ok == false and no error.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false, false, err
	}
	if len(password) > MaxPasswordBytes {
		return false, false, nil // no stored password can be this long
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.p || len(salt) < saltLen, nil
}

// acquire takes a hashing slot, or returns ctx's error if ctx ends first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auth: waiting to hash: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: waiting to hash: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

var b64 = base64.RawStdEncoding

func encodeHash(p params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash splits a PHC argon2id string into its parameters, salt and key, refusing
// anything outside the limits.
func parseHash(s string) (p params, salt, key []byte, err error) {
	bad := func(why string) (params, []byte, []byte, error) {
		return params{}, nil, nil, commerce.Errorf(commerce.EInternal, ErrMalformedHash.Code, "auth: malformed password hash: %s", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=..$m=..,t=..,p=..$salt$key")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if v, ok := strings.CutPrefix(parts[2], "v="); !ok || v != strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("want parameters m, t and p")
	}
	var nums [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return bad("want parameters m, t and p in that order")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter " + name[:1] + " is not a number")
		}
		nums[i] = n
	}
	m, t, threads := nums[0], nums[1], nums[2]
	if t < 1 || t > maxTime {
		return bad("t out of range")
	}
	if threads < 1 || threads > 255 {
		return bad("p out of range")
	}
	if m < 8*threads || m > maxMemoryKiB {
		return bad("m out of range")
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("bad salt")
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("bad key")
	}
	return params{time: uint32(t), memory: uint32(m), threads: uint8(threads), keyLen: uint32(len(key))}, salt, key, nil
}
