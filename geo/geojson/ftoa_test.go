package geojson

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendShortestWritesWhatStrconvWrites holds the float writer to
// strconv.AppendFloat(…, 'f', -1, 64) over the kinds of numbers where a
// shortest-digits algorithm goes wrong (powers of two and of ten, ties,
// the range's ends, integers, trailing zeros) and over random ones of
// every exponent, and checks that it declines what it must.
func TestAppendShortestWritesWhatStrconvWrites(t *testing.T) {
	check := func(t *testing.T, f float64) {
		t.Helper()
		want := strconv.AppendFloat(nil, f, 'f', -1, 64)
		got, ok := appendShortest(nil, f)
		abs := math.Abs(f)
		inRange := abs >= 1e-6 && abs < 1e21 && abs >= 0x1p-1022 && !math.IsInf(f, 0) && !math.IsNaN(f)
		if ok != inRange {
			t.Fatalf("appendShortest(%v): ok %v, want %v", f, ok, inRange)
		}
		if ok && string(got) != string(want) {
			t.Fatalf("appendShortest(%b) = %s, strconv writes %s", f, got, want)
		}
	}
	cases := map[string][]float64{
		"ends of the range":  {1e-6, math.Nextafter(1e-6, 0), math.Nextafter(1e-6, 1), 1e21, math.Nextafter(1e21, 0), -1e-6, -math.Nextafter(1e21, 0)},
		"not numbers":        {0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, 0x1p-1022},
		"small integers":     {1, 2, 3, 7, 9, 10, 11, 99, 100, 101, 255, 1000, 65535, 1 << 53, 1<<53 + 2, 123456789012345678},
		"tenths and halves":  {0.1, 0.2, 0.3, 0.5, 1.5, 2.5, 0.05, 0.125, 1e-5, 3e-6, 9.999999e-7 * 1.0000002},
		"coordinates":        {102.32562325623257, -5.468744724170179, 44.5, 180, -180, 90, -90, 0.000001234, 63.123456789},
		"17 digits":          {0.30000000000000004, 1.0000000000000002, 9.007199254740993e15, 2.2250738585072014e-8},
		"largest in range":   {999999999999999999999.0, 1e20, 123456789012345678901.0, 1.7976931348623157e20},
		"trailing zeros big": {1e15, 1e16, 1e17, 1e18, 1e19, 1.5e20, 4.4e19},
	}
	for name, fs := range cases {
		t.Run(name, func(t *testing.T) {
			for _, f := range fs {
				check(t, f)
				check(t, -f)
			}
		})
	}
	t.Run("powers of two and ten, and their neighbours", func(t *testing.T) {
		for e := -30; e <= 75; e++ {
			for _, f := range []float64{math.Ldexp(1, e), math.Pow(10, float64(e)/3.5)} {
				check(t, f)
				check(t, math.Nextafter(f, 0))
				check(t, math.Nextafter(f, math.Inf(1)))
			}
		}
	})
	t.Run("random bits of every exponent in range", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for e := 1003; e <= 1093; e++ { // 2^-20 .. 2^70
			for range 3000 {
				check(t, math.Float64frombits(uint64(e)<<52|rng.Uint64()&(1<<52-1)))
			}
		}
	})
	t.Run("decimals of few digits", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for range 200_000 {
			digits := rng.Int64N(1_000_000_000)
			check(t, float64(digits)/math.Pow(10, float64(rng.IntN(15))))
		}
	})
}

func FuzzAppendShortest(f *testing.F) {
	for _, x := range []float64{1, 0.1, 102.32562325623257, 1e-6, 1e21, 5e-324} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, ok := appendShortest(nil, x)
		if want := strconv.AppendFloat(nil, x, 'f', -1, 64); ok && string(got) != string(want) {
			t.Fatalf("appendShortest(%b) = %s, strconv writes %s", x, got, want)
		}
	})
}

// BenchmarkFloat is one coordinate's text, by strconv and by
// appendShortest.
func BenchmarkFloat(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	fs := make([]float64, 4096)
	for i := range fs {
		fs[i] = -180 + 360*rng.Float64()
	}
	buf := make([]byte, 0, 32)
	b.Run("strconv", func(b *testing.B) {
		i := 0
		for b.Loop() {
			buf = strconv.AppendFloat(buf[:0], fs[i%len(fs)], 'f', -1, 64)
			i++
		}
	})
	b.Run("appendShortest", func(b *testing.B) {
		i := 0
		for b.Loop() {
			buf, _ = appendShortest(buf[:0], fs[i%len(fs)])
			i++
		}
	})
}
