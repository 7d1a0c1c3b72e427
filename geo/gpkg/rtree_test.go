package gpkg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/storetest"
	"github.com/paulmach/orb"
)

func integrityCheck(t *testing.T, s *Store) {
	t.Helper()
	rows, err := s.writer.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		rows.Scan(&m)
		msgs = append(msgs, m)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		t.Fatalf("integrity_check: %q", msgs)
	}
}

// A bulk-loaded index answers like the triggers' index would, passes
// SQLite's integrity check (which checks R-trees), and stays right as
// the triggers edit it afterwards.
func TestBulkLoadedRTree(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 50, 51, 52, 2700, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, err := Create(ctx, filepath.Join(t.TempDir(), "x.gpkg"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			var fs []geo.Feature
			for i := range n {
				x, y := rng.Float64()*360-180, rng.Float64()*180-90
				var g orb.Geometry = orb.Point{x, y}
				if i%3 == 0 {
					d := rng.Float64()
					g = orb.LineString{{x, y}, {math.Min(x+d, 180), math.Min(y+d, 90)}}
				}
				fs = append(fs, geo.Feature{Geometry: g, Properties: map[string]any{"i": int64(i)}})
			}
			if i := n / 2; n > 10 {
				fs[i].Geometry = nil // no geometry, not indexed
			}
			schema, err := storetest.InferSchema(fs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "p"}, schema, seq(fs)); err != nil {
				t.Fatal(err)
			}
			integrityCheck(t, s)
			check := func() {
				t.Helper()
				for range 20 {
					x, y := rng.Float64()*300-150, rng.Float64()*150-75
					b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + rng.Float64()*40, y + rng.Float64()*20}}
					var got int
					if err := s.Features(ctx, "p", geo.Query{BBox: &b}, func(geo.Feature) error { got++; return nil }); err != nil {
						t.Fatal(err)
					}
					var want int
					s.Features(ctx, "p", geo.Query{}, func(f geo.Feature) error {
						if f.Geometry != nil && f.Geometry.Bound().Intersects(b) {
							want++
						}
						return nil
					})
					if got != want {
						t.Fatalf("bbox %v: %d features, brute force %d", b, got, want)
					}
				}
			}
			check()
			// The triggers take over: delete, move and add rows.
			for i := 0; i < n; i += 7 {
				if _, err := s.writer.Exec(`DELETE FROM p WHERE fid = ?`, i+1); err != nil {
					t.Fatal(err)
				}
			}
			for i := 3; i < n; i += 11 {
				blob, _ := encodeGeometry(orb.Point{rng.Float64()*10 + 60, rng.Float64()*10 + 30})
				if _, err := s.writer.Exec(`UPDATE p SET geom = ? WHERE fid = ?`, blob, i+1); err != nil {
					t.Fatal(err)
				}
			}
			for range 200 {
				blob, _ := encodeGeometry(orb.Point{rng.Float64()*10 + 60, rng.Float64()*10 + 30})
				if _, err := s.writer.Exec(`INSERT INTO p (geom, i) VALUES (?, 0)`, blob); err != nil {
					t.Fatal(err)
				}
			}
			integrityCheck(t, s)
			s.forget()
			check()
		})
	}
}

func TestRTreeRounding(t *testing.T) {
	for _, d := range []float64{0, 1, -1, 0.1, -0.1, 69.17233, -179.99999, 34.52813} { // (subnormals round as rtree.c rounds them: not outwards)
		if lo := roundDown(d); float64(lo) > d {
			t.Errorf("roundDown(%v) = %v", d, lo)
		}
		if hi := roundUp(d); float64(hi) < d {
			t.Errorf("roundUp(%v) = %v", d, hi)
		}
	}
}

// The count through byX is the count of the pass over every envelope,
// for points, for envelopes of every width, on edges and around them.
func TestBoxesCountIsThePassCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for name, maxW := range map[string]float64{"points": 0, "narrow": 0.5, "wide": 40, "one world-wide": 360} {
		t.Run(name, func(t *testing.T) {
			bx := &boxes{}
			for i := range 5000 {
				x, y := -180+360*rng.Float64(), -90+180*rng.Float64()
				if i%7 == 0 {
					x = math.Round(x) // on the query's edges
				}
				w, h := maxW*rng.Float64(), maxW*rng.Float64()/2
				if name == "one world-wide" && i != 0 {
					w = 1
				}
				bx.fids = append(bx.fids, int64(i))
				bx.env = append(bx.env, envelope{x, y, x + w, y + h})
			}
			bx.env = append(bx.env, envelope{math.NaN(), 0, 1, 1}, envelope{0, 0, math.NaN(), 1})
			bx.fids = append(bx.fids, 5000, 5001)
			bx.sortByX()
			for range 500 {
				x, y := math.Round(-180+360*rng.Float64()), -90+180*rng.Float64()
				b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 10*rng.Float64(), y + 5*rng.Float64()}}
				_, want := bx.page(b, 0, 0, nil, true)
				if got := bx.count(b); got != want {
					t.Fatalf("count(%v) = %d, the pass counts %d", b, got, want)
				}
			}
		})
	}
}
