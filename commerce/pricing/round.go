package pricing

import (
	"cmp"
	"math/bits"
	"slices"
)

// BasisPoints is a rate in hundredths of a percent: 10000 = 100%.
const BasisPoints = 10000

// mulDivHalfEven returns a*b/d rounded half-even. Callers guarantee a, b >= 0, d > 0 and
// b <= d, so the result is at most a and always fits.
func mulDivHalfEven(a, b, d int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(d))
	twice := 2 * r // r < d <= MaxInt64, so no overflow
	if twice > uint64(d) || (twice == uint64(d) && q%2 == 1) {
		q++
	}
	return int64(q)
}

// mulDivHalfEvenAny is mulDivHalfEven without the b <= d guarantee; it saturates instead of
// overflowing (used for inclusive tax, where b > d is impossible, and exclusive tax, where
// rates above 100% are allowed).
func mulDivHalfEvenAny(a, b, d int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(d) {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, uint64(d))
	twice := 2 * r
	if twice > uint64(d) || (twice == uint64(d) && q%2 == 1) {
		q++
	}
	if q > 1<<63-1 {
		return 0, false
	}
	return int64(q), true
}

// allocate splits total across weights in proportion by the largest-remainder method: each
// share is floor(total×w/W), and the units left over go one each to the largest remainders,
// ties to the lower index. Requires 0 <= total <= W = sum(weights), weights >= 0; every share
// is then <= its weight and the shares sum to total exactly.
func allocate(total int64, weights []int64) []int64 {
	return allocateInto(total, weights, make([]int64, len(weights)), nil)
}

// rem is a line's remainder in a largest-remainder allocation.
type rem struct {
	i int
	r uint64
}

// allocateInto is allocate writing into shares (len(weights), zeroed), using rems as scratch.
func allocateInto(total int64, weights, shares []int64, rems []rem) []int64 {
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if total <= 0 || sum <= 0 {
		return shares
	}
	rems = rems[:0]
	var given int64
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(sum))
		shares[i] = int64(q)
		given += int64(q)
		if w > 0 {
			rems = append(rems, rem{i, r})
		}
	}
	left := total - given
	if left > 0 {
		slices.SortFunc(rems, func(a, b rem) int {
			if c := cmp.Compare(b.r, a.r); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		for k := int64(0); k < left; k++ {
			shares[rems[k].i]++
		}
	}
	return shares
}
