package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/ultramarket/ultramarket/commerce"
)

// cheapHasher skips NewHasher's minimums so tests that only need some hash stay fast.
func cheapHasher(maxConcurrent int) *Hasher {
	return &Hasher{p: params{time: 1, memory: 64, threads: 1, keyLen: keyLen}, sem: make(chan struct{}, maxConcurrent)}
}

func newHasher(t testing.TB, cfg HasherConfig) *Hasher {
	h, err := NewHasher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHashVerify uses the real minimum parameters: two hashes, a few verifications.
func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	const pw = "correct horse battery staple"
	enc, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoding %q", enc)
	}
	_, salt, key, err := parseHash(enc)
	if err != nil || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d key %d err %v", len(salt), len(key), err)
	}
	enc2, err := h.Hash(ctx, pw)
	if err != nil || enc2 == enc {
		t.Fatalf("second hash %q equals first or failed: %v", enc2, err)
	}

	stronger := newHasher(t, HasherConfig{Time: 3})
	scenarios := []struct {
		name       string
		h          *Hasher
		pw         string
		ok, rehash bool
	}{
		{"right password", h, pw, true, false},
		{"wrong password", h, pw + "!", false, false},
		{"case matters", h, strings.ToUpper(pw), false, false},
		{"stronger config asks for rehash", stronger, pw, true, true},
		{"over-long password", h, strings.Repeat("x", MaxPasswordBytes+1), false, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ok, rehash, err := sc.h.Verify(ctx, sc.pw, enc)
			if err != nil || ok != sc.ok || rehash != sc.rehash {
				t.Fatalf("got ok=%v rehash=%v err=%v, want ok=%v rehash=%v", ok, rehash, err, sc.ok, sc.rehash)
			}
		})
	}
}

// TestVerifyUsesEncodedParams checks that Verify computes with the parameters in the string,
// not the Hasher's, so hashes made under an older config keep working.
func TestVerifyUsesEncodedParams(t *testing.T) {
	ctx := context.Background()
	salt := []byte("0123456789ab")
	key := argon2.IDKey([]byte("old-password-1"), salt, 1, 64, 2, 24)
	enc := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=2$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(key))

	p, _, _, err := parseHash(enc)
	if err != nil || p != (params{time: 1, memory: 64, threads: 2, keyLen: 24}) {
		t.Fatalf("parsed %+v, %v", p, err)
	}
	h := newHasher(t, HasherConfig{})
	ok, rehash, err := h.Verify(ctx, "old-password-1", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	if ok, rehash, err := h.Verify(ctx, "old-password-2", enc); err != nil || ok || rehash {
		t.Fatalf("wrong password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}

	// A cheap hash with the Hasher's own parameters needs no rehash.
	c := cheapHasher(1)
	enc, err = c.Hash(ctx, "some password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := c.Verify(ctx, "some password", enc); err != nil || !ok || rehash {
		t.Fatalf("same params: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	salt := b64.EncodeToString([]byte("0123456789abcdef"))
	key := b64.EncodeToString(make([]byte, 32))
	good := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	h := cheapHasher(1)
	if _, _, err := h.Verify(context.Background(), "x", good); err != nil {
		t.Fatalf("control string rejected: %v", err)
	}
	// A valid shape with a changed key is a mismatch, not an error.
	i := len(good) - 10
	tampered := good[:i] + "Z" + good[i+1:]
	if ok, _, err := h.Verify(context.Background(), "x", tampered); ok || err != nil {
		t.Fatalf("tampered key: ok=%v err=%v", ok, err)
	}

	scenarios := []struct{ name, enc string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"only dollars", "$$$$$"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra part", good + "$x"},
		{"no leading dollar", good[1:]},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"params missing", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"param not a number", "$argon2id$v=19$m=sixty,t=1,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"overflow", "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"huge time", "$argon2id$v=19$m=64,t=100000,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"threads over 255", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"memory below 8 per thread", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"memory over 1 GiB", "$argon2id$v=19$m=2000000,t=1,p=1$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!!!!!!!!!$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString([]byte("abc")) + "$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64.EncodeToString([]byte("short"))},
		{"key too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 65))},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "x", sc.enc)
			if !errors.Is(err, ErrMalformedHash) || ok || rehash {
				t.Fatalf("ok=%v rehash=%v err=%v", ok, rehash, err)
			}
			if commerce.KindOf(err) != commerce.EInternal {
				t.Fatalf("kind %s", commerce.KindOf(err))
			}
		})
	}
}

func FuzzParseHash(f *testing.F) {
	salt := b64.EncodeToString([]byte("0123456789abcdef"))
	key := b64.EncodeToString(make([]byte, 32))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key)
	f.Add("$argon2id$v=19$m=64,t=1,p=2$" + salt + "$" + key)
	f.Add("$argon2id$$$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parseHash(s)
		if err != nil {
			return
		}
		// Whatever parses must be within the limits and encode back to an equivalent string.
		if p.time < 1 || p.time > maxTime || p.memory > maxMemoryKiB || p.threads < 1 ||
			len(salt) < minSaltLen || len(key) < minKeyLen || len(key) > maxKeyLen {
			t.Fatalf("out of limits: %+v salt %d key %d", p, len(salt), len(key))
		}
		p2, salt2, key2, err := parseHash(encodeHash(p, salt, key))
		if err != nil || p2 != p || string(salt2) != string(salt) || string(key2) != string(key) {
			t.Fatalf("round trip of %q: %+v %v", s, p2, err)
		}
	})
}

func TestHashRejectsBadInput(t *testing.T) {
	h := cheapHasher(1)
	for _, pw := range []string{"", strings.Repeat("x", MaxPasswordBytes+1)} {
		if _, err := h.Hash(context.Background(), pw); commerce.KindOf(err) != commerce.EInvalid {
			t.Errorf("len %d: err %v", len(pw), err)
		}
	}
}

// TestHasherWaitRespectsContext fills every hashing slot and checks that callers waiting for
// one give up when their context ends, then that a freed slot is usable again.
func TestHasherWaitRespectsContext(t *testing.T) {
	h := cheapHasher(2)
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	enc := "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString([]byte("0123456789abcdef")) + "$" + b64.EncodeToString(make([]byte, 32))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = h.Hash(ctx, "password-"+fmt.Sprint(i))
			} else {
				_, _, errs[i] = h.Verify(ctx, "password", enc)
			}
		}()
	}
	cancel()
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if len(h.sem) != 2 {
		t.Fatalf("cancelled callers changed the slots: %d held", len(h.sem))
	}
	h.release()
	if _, err := h.Hash(context.Background(), "password-after"); err != nil {
		t.Fatal(err)
	}
	if len(h.sem) != 1 {
		t.Fatalf("slot not released: %d held", len(h.sem))
	}
}

func TestNewHasherValidates(t *testing.T) {
	scenarios := []struct {
		name string
		cfg  HasherConfig
		bad  []string // fields reported
	}{
		{"defaults", HasherConfig{}, nil},
		{"stronger", HasherConfig{Time: 3, MemoryKiB: 64 * 1024, Threads: 2, MaxConcurrent: 8}, nil},
		{"time below minimum", HasherConfig{Time: 1}, []string{"time"}},
		{"memory below minimum", HasherConfig{MemoryKiB: 4096}, []string{"memory_kib"}},
		{"memory over limit", HasherConfig{MemoryKiB: 4 << 20}, []string{"memory_kib"}},
		{"negative concurrency and weak", HasherConfig{Time: 1, MemoryKiB: 1, MaxConcurrent: -1}, []string{"time", "memory_kib", "max_concurrent"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h, err := NewHasher(sc.cfg)
			if sc.bad == nil {
				if err != nil || h == nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid {
				t.Fatalf("err %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(sc.bad) {
				t.Fatalf("fields %v, want %v", got, sc.bad)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, HasherConfig{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashParallel(b *testing.B) {
	h := newHasher(b, HasherConfig{})
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	h := newHasher(b, HasherConfig{})
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
