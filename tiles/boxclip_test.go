package tiles

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// starRing is a ring on the integer grid round (cx, cy) with m points
// whose radius walks between rmin and rmax: points in order of their
// angle round a centre inside, so simple; wound with a positive area.
func starRing(r *rand.Rand, cx, cy, rmin, rmax float64, m int) orb.Ring {
	type pt struct {
		a float64
		p orb.Point
	}
	var pts []pt
	v := r.Float64()
	for i := range m {
		v = min(1, max(0, v+(r.Float64()-0.5)*0.3))
		a := 2 * math.Pi * (float64(i) + r.Float64()*0.5) / float64(m)
		rr := rmin + (rmax-rmin)*v
		p := orb.Point{math.Round(cx + rr*math.Cos(a)), math.Round(cy + rr*math.Sin(a))}
		pts = append(pts, pt{math.Atan2(p[1]-cy, p[0]-cx), p})
	}
	slices.SortFunc(pts, func(x, y pt) int { return cmp.Compare(x.a, y.a) })
	pts = slices.CompactFunc(pts, func(x, y pt) bool { return x.a == y.a })
	ring := make([]orb.Point, len(pts))
	for i, q := range pts {
		ring[i] = q.p
	}
	return cleanRing(ring)
}

// randomGridPolygon is a valid polygon on the grid somewhere about the
// tile: a star-shaped exterior, sometimes far larger than the tile, and
// sometimes a hole; nil when the draw is not valid.
func randomGridPolygon(r *rand.Rand) orb.Polygon {
	size := []float64{300, 3000, 20000, 200000}[r.IntN(4)]
	cx, cy := Extent/2+(r.Float64()-0.5)*2*size, Extent/2+(r.Float64()-0.5)*2*size
	m := 8 + r.IntN(400)
	shell := starRing(r, cx, cy, size*0.3, size, m)
	if shell == nil {
		return nil
	}
	p := orb.Polygon{shell}
	if r.IntN(2) == 0 {
		if hole := starRing(r, cx, cy, size*0.05, size*0.28, 8+r.IntN(100)); hole != nil {
			hole.Reverse()
			p = append(p, hole)
		}
	}
	if toSF(p).Validate() != nil {
		return nil
	}
	return p
}

func clipBoxSF() sf.Geometry {
	return sf.NewEnvelope(sf.XY{X: clipLo, Y: clipLo}, sf.XY{X: clipHi, Y: clipHi}).AsGeometry()
}

// TestClipPolygonToBoxIsTheIntersection: over random valid polygons on
// the grid (inside the box, across it, around it, with a hole round the
// box or in it) the clip's pieces are valid, wound for MVT, and cover
// exactly what simplefeatures' overlay with the box covers.
func TestClipPolygonToBoxIsTheIntersection(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string]int{}
	for range 1500 {
		p := randomGridPolygon(r)
		if p == nil {
			continue
		}
		pieces, ok := clipPolygonToBox(p, 0, 0)
		if !ok {
			t.Fatalf("clip refused a valid polygon: %v", p)
		}
		want, err := sf.Intersection(toSF(p).AsGeometry(), clipBoxSF())
		if err != nil {
			t.Fatal(err)
		}
		wantArea := want.Area()
		var got float64
		for _, q := range pieces {
			if err := toSF(q).Validate(); err != nil {
				t.Fatalf("piece invalid: %v\nsource %v", err, p)
			}
			for i, ring := range q {
				if a := SignedArea(ring); (i == 0) != (a > 0) {
					t.Fatalf("ring %d wound with area %v", i, a)
				}
			}
			got += polygonsArea(orb.MultiPolygon{q})
		}
		if math.Abs(got-wantArea) > 1e-6*max(1, wantArea) {
			t.Fatalf("pieces' area %v, the overlay's %v\nsource %v", got, wantArea, p)
		}
		switch {
		case wantArea == 0:
			cases["disjoint"]++
		case len(pieces) == 1 && len(pieces[0][0]) == 5 && wantArea == clipW*clipW:
			cases["box inside"]++
		case len(pieces) > 1:
			cases["several pieces"]++
		default:
			cases["one piece"]++
		}
	}
	for _, c := range []string{"disjoint", "box inside", "several pieces", "one piece"} {
		if cases[c] == 0 {
			t.Errorf("no case of %s in %v", c, cases)
		}
	}
	t.Log(cases)
}

// TestClipPolygonToBoxCases: the cases without a crossing.
func TestClipPolygonToBoxCases(t *testing.T) {
	square := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	hole := func(x0, y0, x1, y1 float64) orb.Ring {
		r := square(x0, y0, x1, y1)
		r.Reverse()
		return r
	}
	cases := map[string]struct {
		p    orb.Polygon
		area float64
	}{
		"inside the box":              {orb.Polygon{square(10, 10, 100, 100)}, 90 * 90},
		"outside the box":             {orb.Polygon{square(5000, 10, 6000, 100)}, 0},
		"round the box":               {orb.Polygon{square(-1000, -1000, 9000, 9000)}, clipW * clipW},
		"round the box, a hole in it": {orb.Polygon{square(-1000, -1000, 9000, 9000), hole(10, 10, 20, 20)}, clipW*clipW - 100},
		"round the box, a hole round": {orb.Polygon{square(-1000, -1000, 9000, 9000), hole(-500, -500, 8000, 8000)}, 0},
		"a hole across a side":        {orb.Polygon{square(-1000, -1000, 9000, 9000), hole(-500, 10, 20, 20)}, clipW*clipW - 10*(20-clipLo)},
		"across the box":              {orb.Polygon{orb.Ring{{-100, 2000}, {5000, 2001}, {5000, 5000}, {-100, 5000}, {-100, 2000}}}, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			pieces, ok := clipPolygonToBox(c.p, 0, 0)
			if !ok {
				t.Fatal("refused")
			}
			if c.area == 0 && name == "across the box" {
				want, _ := sf.Intersection(toSF(c.p).AsGeometry(), clipBoxSF())
				c.area = want.Area()
			}
			if got := polygonsArea(pieces); math.Abs(got-c.area) > 1e-6*max(1, c.area) {
				t.Fatalf("area %v, want %v: %v", got, c.area, pieces)
			}
		})
	}
}

// TestGridToTileIsValid: random polygons cut to a tile and snapped come
// out valid, with the area of the overlay to within the unit the snap
// moves each point on the box's sides.
func TestGridToTileIsValid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tileBoxSF := sf.NewEnvelope(sf.XY{X: -Buffer, Y: -Buffer}, sf.XY{X: Extent + Buffer, Y: Extent + Buffer}).AsGeometry()
	for range 1000 {
		p := randomGridPolygon(r)
		if p == nil {
			continue
		}
		out := gridToTile(orb.MultiPolygon{p}, 0, 0)
		for _, q := range out {
			if !validPolygon(q) {
				t.Fatalf("invalid piece %v of %v", q, p)
			}
		}
		want, err := sf.Intersection(toSF(p).AsGeometry(), tileBoxSF)
		if err != nil {
			t.Fatal(err)
		}
		if got := polygonsArea(out); math.Abs(got-want.Area()) > 4*(Extent+2*Buffer)+64 {
			t.Fatalf("area %v, the overlay's %v", got, want.Area())
		}
	}
}

// TestRingsApartIsValidity: whatever ringsApart passes simplefeatures
// finds valid, over random polygons on the grid valid or not (random
// points, star shapes, holes where they fall), and it passes the valid
// star shapes whose rings are apart.
func TestRingsApartIsValidity(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	passed, valid := 0, 0
	for i := range 8000 {
		var p orb.Polygon
		switch i % 3 {
		case 0:
			p = randomGridPolygon(r)
		case 1:
			pts := make([]orb.Point, 4+r.IntN(8))
			for j := range pts {
				pts[j] = orb.Point{float64(r.IntN(20)), float64(r.IntN(20))}
			}
			if ring := cleanRing(pts); ring != nil {
				p = orb.Polygon{ring}
			}
		default:
			shell := starRing(r, 50, 50, 10, 50, 30)
			h := starRing(r, float64(20+r.IntN(60)), float64(20+r.IntN(60)), 2, 15, 10)
			if shell != nil && h != nil {
				p = orb.Polygon{shell, h}
			}
		}
		if p == nil {
			continue
		}
		isValid := toSF(p).Validate() == nil
		if isValid {
			valid++
		}
		if ringsApart(p) {
			passed++
			if !isValid {
				t.Fatalf("ringsApart passes an invalid polygon: %v (%v)", p, toSF(p).Validate())
			}
		}
	}
	if passed < valid/2 {
		t.Errorf("ringsApart passed %d of %d valid polygons", passed, valid)
	}
	t.Logf("%d valid, %d passed by ringsApart", valid, passed)
}

// TestLevelPolygonIsValid: heavy rings simplified on the grid at
// several scales come out valid, with about their source's area.
func TestLevelPolygonIsValid(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 40 {
		scale := []float64{0.01, 0.1, 1, 10}[i%4]
		shell := starRing(r, 1e5, 1e5, 3e4, 1e5, 5000)
		hole := starRing(r, 1e5, 1e5, 1e3, 2.9e4, 500)
		hole.Reverse()
		src := orb.Polygon{shell, hole}
		u := ProjectGeometry(orb.Clone(src), func(p orb.Point) orb.Point { return orb.Point{p[0] * scale, p[1] * scale} }).(orb.Polygon)
		q, kept, ok := levelPolygon(u, Tolerance*Tolerance, nil)
		if !ok {
			t.Fatalf("scale %v: not made valid", scale)
		}
		if q == nil {
			continue
		}
		if !validPolygon(q) {
			t.Fatalf("scale %v: invalid: %v", scale, toSF(q).Validate())
		}
		want := polygonsArea(orb.MultiPolygon{u})
		if got := polygonsArea(orb.MultiPolygon{q}); math.Abs(got-want) > 0.05*want+100 {
			t.Errorf("scale %v: area %v, the source's %v (%d points kept)", scale, got, want, kept)
		}
	}
}
