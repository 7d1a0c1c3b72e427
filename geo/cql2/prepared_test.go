package cql2

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// randomGeometry draws a geometry on a coarse grid (so that vertices fall
// on each other's edges, lines run collinear and points sit on vertices:
// the cases where the boundary rules matter), sometimes off it.
func randomGeometry(rng *rand.Rand, depth int) orb.Geometry {
	pt := func() orb.Point {
		if rng.IntN(4) == 0 {
			return orb.Point{rng.Float64() * 10, rng.Float64() * 10}
		}
		return orb.Point{float64(rng.IntN(11)), float64(rng.IntN(11))}
	}
	line := func(n int) orb.LineString {
		l := make(orb.LineString, n)
		for i := range l {
			l[i] = pt()
		}
		return l
	}
	ring := func() orb.Ring {
		r := orb.Ring(line(3 + rng.IntN(30)))
		if rng.IntN(5) > 0 {
			r = append(r, r[0]) // mostly closed, as stored rings are
		}
		return r
	}
	poly := func() orb.Polygon {
		p := orb.Polygon{ring()}
		for range rng.IntN(3) {
			p = append(p, ring())
		}
		return p
	}
	switch k := rng.IntN(8); {
	case k == 0:
		return pt()
	case k == 1:
		mp := orb.MultiPoint{}
		for range 1 + rng.IntN(20) {
			mp = append(mp, pt())
		}
		return mp
	case k == 2:
		return line(1 + rng.IntN(20))
	case k == 3:
		return orb.MultiLineString{line(2 + rng.IntN(5)), line(1 + rng.IntN(5))}
	case k == 4:
		return poly()
	case k == 5:
		return orb.MultiPolygon{poly(), poly()}
	case k == 6 && depth < 2:
		return orb.Collection{randomGeometry(rng, depth+1), randomGeometry(rng, depth+1)}
	}
	a, b := pt(), pt()
	return orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
}

// TestPreparedIsIntersects: a prepared geometry answers exactly as
// Intersects, on the hand-made cases and on 60,000 random pairs.
func TestPreparedIsIntersects(t *testing.T) {
	square := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}}
	holed := orb.Polygon{square[0], {{1, 1}, {3, 1}, {3, 3}, {1, 3}, {1, 1}}}
	pairs := [][2]orb.Geometry{
		{orb.Point{4, 2}, square}, {orb.Point{4, 4}, square}, {orb.Point{2, 2}, holed}, {orb.Point{1, 2}, holed},
		{orb.LineString{{1.5, 1.5}, {2.5, 2.5}}, holed}, {orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, square},
		{orb.Polygon{{}}, orb.Point{0, 0}}, {orb.MultiLineString{{}, {{1, 1}}}, square}, {nil, square},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 30000 {
		pairs = append(pairs, [2]orb.Geometry{randomGeometry(rng, 0), randomGeometry(rng, 0)})
	}
	for _, pair := range pairs {
		for _, ab := range [][2]orb.Geometry{pair, {pair[1], pair[0]}} {
			want := Intersects(ab[0], ab[1])
			if got := Prepare(ab[1]).Intersects(ab[0]); got != want {
				t.Fatalf("Prepare(%v).Intersects(%v) = %v, Intersects says %v", ab[1], ab[0], got, want)
			}
		}
	}
}

// FuzzPrepared holds Prepare to Intersects on geometries drawn from the
// fuzzer's seed.
func FuzzPrepared(f *testing.F) {
	for i := range uint64(8) {
		f.Add(i, i*31+1)
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		rng := rand.New(rand.NewPCG(s1, s2))
		a, b := randomGeometry(rng, 0), randomGeometry(rng, 0)
		if got, want := Prepare(b).Intersects(a), Intersects(a, b); got != want {
			t.Fatalf("Prepare(%v).Intersects(%v) = %v, Intersects says %v", b, a, got, want)
		}
	})
}

// BenchmarkPointInPolygon: one point against a 3,000-vertex polygon, as
// a filter's literal meets each feature of a point layer.
func BenchmarkPointInPolygon(b *testing.B) {
	poly := circle(3000)
	pt := orb.Point{0.1, 0.2}
	b.Run("Intersects", func(b *testing.B) {
		for b.Loop() {
			Intersects(pt, poly)
		}
	})
	b.Run("Prepared", func(b *testing.B) {
		p := Prepare(poly)
		for b.Loop() {
			p.Intersects(pt)
		}
	})
}

func circle(n int) orb.Polygon {
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * 3.141592653589793 * float64(i) / float64(n)
		r = append(r, orb.Point{math.Cos(a), math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}
