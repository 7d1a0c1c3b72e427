// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in Go's LICENSE file.

package geojson

import (
	"math"
	"math/bits"
)

// A page of country polygons is a million coordinates, and
// strconv.AppendFloat spent most of the page's time on them: a third in
// finding the shortest digits (Dragonbox), two thirds in writing them
// out a byte at a time through a generic layout. appendShortest finds
// the same digits with the same algorithm, copied from Go 1.26's
// internal/strconv (ftoadbox.go, float64 only, returning the digits as
// an integer), and writes them in two-digit steps: the same bytes as
// strconv.AppendFloat(buf, f, 'f', -1, 64), held to it by tests.

// appendShortest appends f as strconv.AppendFloat(buf, f, 'f', -1, 64)
// does, for a normal (not subnormal), finite f with 1e-6 <= |f| < 1e21,
// the range encoding/json writes without an exponent; ok is false for
// the rest, which the caller leaves to strconv.
func appendShortest(buf []byte, f float64) (out []byte, ok bool) {
	b := math.Float64bits(f)
	exp := int(b>>52) & 0x7ff
	if exp == 0 || exp == 0x7ff {
		return buf, false
	}
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		return buf, false
	}
	digits, exp10 := dbox64(b&(1<<52-1)|1<<52, exp-1023-52)
	var s [24]byte
	i := formatDecimal(&s, digits)
	nd := len(s) - i
	dp := nd + exp10 // digits before the point
	if b>>63 != 0 {
		buf = append(buf, '-')
	}
	switch {
	case dp <= 0:
		buf = append(buf, '0', '.')
		for ; dp < 0; dp++ {
			buf = append(buf, '0')
		}
		buf = append(buf, s[i:]...)
	case dp >= nd:
		buf = append(buf, s[i:]...)
		for ; nd < dp; nd++ {
			buf = append(buf, '0')
		}
	default:
		buf = append(buf, s[i:i+dp]...)
		buf = append(buf, '.')
		buf = append(buf, s[i+dp:]...)
	}
	return buf, true
}

const twoDigits = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// formatDecimal writes u in decimal at the end of s and returns where it
// begins; u < 10^20.
func formatDecimal(s *[24]byte, u uint64) int {
	i := len(s)
	for u >= 1e8 {
		i -= 8
		put8(s[i:i+8], uint32(u%1e8))
		u /= 1e8
	}
	lo := uint32(u)
	for lo >= 100 {
		d := lo % 100 * 2
		lo /= 100
		i -= 2
		s[i], s[i+1] = twoDigits[d], twoDigits[d+1]
	}
	if lo >= 10 {
		i -= 2
		s[i], s[i+1] = twoDigits[lo*2], twoDigits[lo*2+1]
		return i
	}
	i--
	s[i] = byte('0' + lo)
	return i
}

// put8 writes the eight digits of u < 10^8, zeros first, in halves and
// quarters that do not wait on each other.
func put8(s []byte, u uint32) {
	_ = s[7]
	hi, lo := u/10000, u%10000
	a, b := hi/100*2, hi%100*2
	c, d := lo/100*2, lo%100*2
	s[0], s[1] = twoDigits[a], twoDigits[a+1]
	s[2], s[3] = twoDigits[b], twoDigits[b+1]
	s[4], s[5] = twoDigits[c], twoDigits[c+1]
	s[6], s[7] = twoDigits[d], twoDigits[d+1]
}

// What follows is Go's, as it is there but for dbox64's results.

const float64MantBits = 52

type uint128 struct {
	Hi uint64
	Lo uint64
}

// dbox64 is the shortest decimal digits of the float64 mant×2^exp (mant
// with its implicit bit, not subnormal) and the exponent of the last
// digit: dboxFtoa64, returning what it gave dboxDigits.
func dbox64(mant uint64, exp int) (digits uint64, exp10 int) {
	if mant == 1<<float64MantBits {
		// Algorithm 5.6 (page 24).
		k0 := -mulLog10_2MinusLog10_4Over3(exp)
		φ, β := dboxPow64(k0, exp)
		xi, zi := dboxRange64(φ, β)
		if exp != 2 && exp != 3 {
			xi++
		}
		q := zi / 10
		if xi <= q*10 {
			q, zeros := trimZeros(q)
			return q, -k0 + 1 + zeros
		}
		yru := dboxRoundUp64(φ, β)
		if exp == -77 && yru%2 != 0 {
			yru--
		} else if yru < xi {
			yru++
		}
		return yru, -k0
	}

	// κ = 2 for float64 (section 5.1.3)
	const (
		κ     = 2
		p10κ  = 100       // 10**κ
		p10κ1 = p10κ * 10 // 10**(κ+1)
	)

	// Algorithm 5.2 (page 15).
	k0 := -mulLog10_2(exp)
	φ, β := dboxPow64(κ+k0, exp)
	zi, exact := dboxMulPow64(uint64(mant*2+1)<<β, φ)
	s, r := zi/p10κ1, uint32(zi%p10κ1)
	δi := dboxDelta64(φ, β)

	if r < δi {
		if r != 0 || !exact || mant%2 == 0 {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
		s--
		r = p10κ * 10
	} else if r == δi {
		parity, exact := dboxParity64(uint64(mant*2-1), φ, β)
		if parity || (exact && mant%2 == 0) {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
	}

	// Algorithm 5.4 (page 18).
	D := r + p10κ/2 - δi/2
	t, ρ := D/p10κ, D%p10κ
	yru := 10*s + uint64(t)
	if ρ == 0 {
		parity, exact := dboxParity64(mant*2, φ, β)
		if parity != ((D-p10κ/2)%2 != 0) || exact && yru%2 != 0 {
			yru--
		}
	}
	return yru, -k0
}

// uadd128 returns the full 128 bits of u + n.
func uadd128(u uint128, n uint64) uint128 {
	sum := uint64(u.Lo + n)
	// Check if lo is wrapped around.
	if sum < u.Lo {
		u.Hi++
	}
	u.Lo = sum
	return u
}

// umul128 returns the 128-bit product x*y.
func umul128(x, y uint64) uint128 {
	hi, lo := bits.Mul64(x, y)
	return uint128{hi, lo}
}

// umul128Upper64 returns the upper 64 bits (out of 128 bits) of x * y.
func umul128Upper64(x, y uint64) uint64 {
	hi, _ := bits.Mul64(x, y)
	return hi
}

// umul192Upper128 returns the upper 128 bits (out of 192 bits) of x * y.
func umul192Upper128(x uint64, y uint128) uint128 {
	r := umul128(x, y.Hi)
	t := umul128Upper64(x, y.Lo)
	return uadd128(r, t)
}

// umul192Lower128 returns the lower 128 bits (out of 192 bits) of x * y.
func umul192Lower128(x uint64, y uint128) uint128 {
	high := x * y.Hi
	highLow := umul128(x, y.Lo)
	return uint128{uint64(high + highLow.Hi), highLow.Lo}
}

// dboxMulPow64 computes x^(i), y^(i), z^(i)
// from the precomputed value of φ̃k for float64
// and also checks if x^(f), y^(f), z^(f) == 0 (section 5.2.1).
func dboxMulPow64(u uint64, phi uint128) (intPart uint64, isInt bool) {
	r := umul192Upper128(u, phi)
	intPart = r.Hi
	isInt = r.Lo == 0
	return
}

// dboxParity64 computes only the parity of x^(i), y^(i), z^(i)
// from the precomputed value of φ̃k for float64
// and also checks if x^(f), y^(f), z^(f) = 0 (section 5.2.1).
func dboxParity64(mant2 uint64, phi uint128, beta int) (parity bool, isInt bool) {
	r := umul192Lower128(mant2, phi)
	parity = ((r.Hi >> (64 - beta)) & 1) != 0
	isInt = ((uint64(r.Hi << beta)) | (r.Lo >> (64 - beta))) == 0
	return
}

// dboxDelta64 returns δ^(i) from the precomputed value of φ̃k for float64.
func dboxDelta64(φ uint128, β int) uint32 {
	return uint32(φ.Hi >> (64 - 1 - β))
}

// mulLog10_2MinusLog10_4Over3 computes
// ⌊e*log10(2)-log10(4/3)⌋ = ⌊log10(2^e)-log10(4/3)⌋ (section 6.3).
func mulLog10_2MinusLog10_4Over3(e int) int {
	// e should be in the range [-2985, 2936].
	return (e*631305 - 261663) >> 21
}

// dboxRange64 returns the left and right float64 endpoints.
func dboxRange64(φ uint128, β int) (left, right uint64) {
	left = (φ.Hi - (φ.Hi >> (float64MantBits + 2))) >> (64 - float64MantBits - 1 - β)
	right = (φ.Hi + (φ.Hi >> (float64MantBits + 1))) >> (64 - float64MantBits - 1 - β)
	return left, right
}

// dboxRoundUp64 computes the round up of y (i.e., y^(ru)).
func dboxRoundUp64(phi uint128, beta int) uint64 {
	return (phi.Hi>>(128/2-float64MantBits-2-beta) + 1) / 2
}

// dboxPow64 gets the precomputed value of φ̃̃k for float64.
func dboxPow64(k, e int) (φ uint128, β int) {
	φ, e1, _ := pow10(k)
	if k < 0 || k > 55 {
		φ.Lo++
	}
	β = e + e1 - 1
	return φ, β
}

// pow10 returns the 128-bit mantissa and binary exponent of 10**e.
// That is, 10^e = mant/2^128 * 2**exp.
// If e is out of range, pow10 returns ok=false.
func pow10(e int) (mant uint128, exp int, ok bool) {
	if e < pow10Min || e > pow10Max {
		return
	}
	return pow10Tab[e-pow10Min], 1 + mulLog2_10(e), true
}

// mulLog10_2 returns math.Floor(x * log(2)/log(10)) for an integer x in
// the range -1600 <= x && x <= +1600.
func mulLog10_2(x int) int {
	// log(2)/log(10) ≈ 0.30102999566 ≈ 78913 / 2^18
	return (x * 78913) >> 18
}

// mulLog2_10 returns math.Floor(x * log(10)/log(2)) for an integer x in
// the range -500 <= x && x <= +500.
func mulLog2_10(x int) int {
	// log(10)/log(2) ≈ 3.32192809489 ≈ 108853 / 2^15
	return (x * 108853) >> 15
}

// trimZeros trims trailing zeros from x.
// It finds the largest p such that x % 10^p == 0
// and then returns x / 10^p, p.
func trimZeros(x uint64) (uint64, int) {
	const (
		maxUint64 = 1<<64 - 1

		div1e8m  = 0xc767074b22e90e21
		div1e8le = maxUint64 / 100000000

		div1e4m  = 0xd288ce703afb7e91
		div1e4le = maxUint64 / 10000

		div1e2m  = 0x8f5c28f5c28f5c29
		div1e2le = maxUint64 / 100

		div1e1m  = 0xcccccccccccccccd
		div1e1le = maxUint64 / 10
	)

	// _ = assert[x - y] asserts at compile time that x == y.
	// Assert that the multiplicative inverses are correct
	// by checking that (div1eNm * 5^N) % 1<<64 == 1.
	var assert [1]struct{}
	_ = assert[(div1e8m*5*5*5*5*5*5*5*5)%(1<<64)-1]
	_ = assert[(div1e4m*5*5*5*5)%(1<<64)-1]
	_ = assert[(div1e2m*5*5)%(1<<64)-1]
	_ = assert[(div1e1m*5)%(1<<64)-1]

	// Cut 8 zeros, then 4, then 2, then 1.
	p := 0
	for d := bits.RotateLeft64(x*div1e8m, -8); d <= div1e8le; d = bits.RotateLeft64(x*div1e8m, -8) {
		x = d
		p += 8
	}
	if d := bits.RotateLeft64(x*div1e4m, -4); d <= div1e4le {
		x = d
		p += 4
	}
	if d := bits.RotateLeft64(x*div1e2m, -2); d <= div1e2le {
		x = d
		p += 2
	}
	if d := bits.RotateLeft64(x*div1e1m, -1); d <= div1e1le {
		x = d
		p += 1
	}
	return x, p
}
