package aggregate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"
)

// synthetic is the name of the test's layer of made-up points: test
// input only, never data of the project.
const synthetic = "synthetic"

// newStore is a GeoPackage in a temporary directory with the default
// data's borders and attacks and a layer of n synthetic events (random
// points over the region and the sea around it, a few without a
// geometry, a killed count or a date), described as events by the
// dataset the store is given.
func newStore(t testing.TB, n int) *gpkg.Store {
	t.Helper()
	ctx := context.Background()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	ds.Layers[synthetic] = geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "killed"}
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "aggregate.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, name := range []string{"borders", "attacks"} {
		doc, err := fs.ReadFile(data.FS, name+".geojson")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: name, Title: name}, doc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: synthetic, Title: synthetic}, syntheticPoints(n)); err != nil {
		t.Fatal(err)
	}
	return store
}

// syntheticPoints is a FeatureCollection of n points from a fixed seed.
func syntheticPoints(n int) []byte {
	rng := rand.New(rand.NewPCG(14, 14))
	type feature struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   any            `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection"}
	for i := range n {
		f := feature{Type: "Feature", ID: "s" + strconv.Itoa(i), Properties: map[string]any{}}
		if i%97 != 5 {
			lon, lat := 44+32*rng.Float64(), 23+20*rng.Float64()
			f.Geometry = map[string]any{"type": "Point", "coordinates": []float64{math.Round(lon*1e5) / 1e5, math.Round(lat*1e5) / 1e5}}
		}
		if i%13 != 0 {
			f.Properties["killed"] = rng.IntN(50)
		} else {
			f.Properties["killed"] = nil
		}
		if i%31 != 0 {
			f.Properties["date"] = fmt.Sprintf("%04d-%02d-%02d", 2015+rng.IntN(10), 1+rng.IntN(12), 1+rng.IntN(28))
		} else {
			f.Properties["date"] = nil
		}
		f.Properties["kind"] = []string{"a", "b", "c"}[rng.IntN(3)]
		fc.Features = append(fc.Features, f)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		panic(err)
	}
	return b
}

// queries are the filters each grouping is checked under.
func queries(t testing.TB, layer string) map[string]geo.Query {
	t.Helper()
	parse := func(s string) cql2.Expr {
		e, err := cql2.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	qs := map[string]geo.Query{
		"no filter": {},
		"bbox":      {BBox: &orb.Bound{Min: orb.Point{60, 28}, Max: orb.Point{72, 37}}},
		"datetime":  {Filter: parse("date >= DATE('2021-01-01') AND date <= DATE('2023-12-31')")},
		"bbox and a filter": {BBox: &orb.Bound{Min: orb.Point{50, 25}, Max: orb.Point{75, 40}},
			Filter: parse("killed >= 10")},
		"matches nothing": {Filter: parse("killed < 0")},
	}
	if layer == "attacks" {
		qs["cql2"] = geo.Query{Filter: parse("attribution = 'claimed' AND killed >= 20")}
	} else {
		qs["cql2"] = geo.Query{Filter: parse("kind IN ('a', 'b') OR killed IS NULL")}
	}
	return qs
}

// counts is what brute force finds for one group.
type counts struct {
	count, summed int64
	sum           float64
}

func features(t testing.TB, store *gpkg.Store, layer string, q geo.Query) []geo.Feature {
	t.Helper()
	var fs []geo.Feature
	if err := store.Features(context.Background(), layer, q, func(f geo.Feature) error {
		fs = append(fs, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return fs
}

func add(m map[string]*counts, key string, f geo.Feature) {
	c := m[key]
	if c == nil {
		c = &counts{}
		m[key] = c
	}
	c.count++
	if k, ok := f.Properties["killed"].(int64); ok {
		c.summed++
		c.sum += float64(k)
	}
}

// check compares a result with brute force's groups, keyed by id ("" for
// the null group).
func check(t *testing.T, res *aggregate.Result, want map[string]*counts) {
	t.Helper()
	var total int64
	for _, c := range want {
		total += c.count
	}
	if res.Count != total {
		t.Errorf("count %d, brute force %d", res.Count, total)
	}
	if len(res.Groups) != len(want) {
		t.Errorf("%d groups, brute force %d", len(res.Groups), len(want))
	}
	for i, g := range res.Groups {
		w := want[g.ID]
		if w == nil {
			t.Errorf("group %q (%d features) is not in brute force's", g.ID, g.Count)
			continue
		}
		if g.Count != w.count || g.Summed != w.summed || g.Sum != w.sum {
			t.Errorf("group %q: count %d, %d with killed summing to %v; brute force %d, %d, %v", g.ID, g.Count, g.Summed, g.Sum, w.count, w.summed, w.sum)
		}
		if g.ID == "" && i != len(res.Groups)-1 {
			t.Errorf("the null group is at %d of %d, not last", i, len(res.Groups))
		}
	}
}

func layer(t testing.TB, store *gpkg.Store, name string) geo.Layer {
	t.Helper()
	l, err := store.Layer(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCountryEqualsBruteForce: the count and killed of each country are
// those of testing every feature against every borders polygon, with no
// envelope to skip any; a point on no country is in the null group.
func TestCountryEqualsBruteForce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, 3000)
	borders := layer(t, store, "borders")
	countries, err := aggregate.LoadCountries(ctx, store, borders)
	if err != nil {
		t.Fatal(err)
	}
	if countries.Len() != int(borders.Count) {
		t.Fatalf("%d countries of %d borders features", countries.Len(), borders.Count)
	}
	all := features(t, store, "borders", geo.Query{})
	// Each feature is tested once, for every query.
	found := map[string]string{}
	countryOf := func(f geo.Feature) string {
		if id, ok := found[f.ID]; ok {
			return id
		}
		id := bruteCountry(all, f)
		found[f.ID] = id
		return id
	}
	for _, name := range []string{"attacks", synthetic} {
		l := layer(t, store, name)
		for qname, q := range queries(t, name) {
			t.Run(name+"/"+qname, func(t *testing.T) {
				want := map[string]*counts{}
				for _, f := range features(t, store, name, q) {
					add(want, countryOf(f), f)
				}
				res, err := aggregate.Run(ctx, store, l, q, aggregate.Country(countries))
				if err != nil {
					t.Fatal(err)
				}
				if res.Magnitude != "killed" {
					t.Errorf("magnitude %q", res.Magnitude)
				}
				check(t, res, want)
				for i, g := range res.Groups {
					if i > 0 && g.ID != "" && g.Count > res.Groups[i-1].Count {
						t.Errorf("group %s (%d) after one of %d", g.ID, g.Count, res.Groups[i-1].Count)
					}
					if g.ID != "" && (g.Geometry == nil || g.Properties["name"] == nil) {
						t.Errorf("group %s has no geometry or name: %v", g.ID, g.Properties)
					}
					if g.ID == "" && (g.Geometry != nil || g.Properties["iso_a3"] != nil) {
						t.Errorf("the null group has a geometry or a country: %v", g.Properties)
					}
				}
			})
		}
	}
}

// bruteCountry is the id of the first borders feature whose polygons
// hold f's point, tested with no envelope to skip any; "" for none.
func bruteCountry(all []geo.Feature, f geo.Feature) string {
	p, ok := f.Geometry.(orb.Point)
	if !ok {
		return ""
	}
	for _, b := range all {
		switch g := b.Geometry.(type) {
		case orb.Polygon:
			if planar.PolygonContains(g, p) {
				return b.ID
			}
		case orb.MultiPolygon:
			if planar.MultiPolygonContains(g, p) {
				return b.ID
			}
		}
	}
	return ""
}

// TestCountryOfTheAttacks pins the default data: the countries the
// attacks' own iso3 names are those their points lie in, but for the
// attack whose point is off Natural Earth's 1:50m coast of Turkey.
func TestCountryOfTheAttacks(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, 0)
	countries, err := aggregate.LoadCountries(ctx, store, layer(t, store, "borders"))
	if err != nil {
		t.Fatal(err)
	}
	offshore := map[string]bool{"2024-01-28-istanbul-santa-maria-church": true}
	for _, f := range features(t, store, "attacks", geo.Query{}) {
		res, err := aggregate.Run(ctx, store, layer(t, store, "attacks"), geo.Query{Filter: cql2.Compare{Op: "=",
			Left: cql2.Property{Name: "id"}, Right: cql2.String(f.ID)}}, aggregate.Country(countries))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Groups) != 1 {
			t.Fatalf("%s: %d groups", f.ID, len(res.Groups))
		}
		got := res.Groups[0].Properties["iso_a3"]
		if offshore[f.ID] {
			if got != nil {
				t.Errorf("%s: in %v, expected off the coast", f.ID, got)
			}
			continue
		}
		if got != f.Properties["iso3"] {
			t.Errorf("%s: its point is in %v, its iso3 says %v", f.ID, got, f.Properties["iso3"])
		}
	}
}

// nearestCell is the cell whose centre is nearest m, searched among the
// cells around a first guess: the hexagons of a grid are the cells of
// the points nearest each centre.
func nearestCell(km float64, m orb.Point) (q, r int64) {
	R := km * 1000 / math.Sqrt(3)
	q0 := math.Round(m[0] / (1.5 * R))
	r0 := math.Round(m[1]/(math.Sqrt(3)*R) - q0/2)
	best := math.Inf(1)
	for dq := -2.0; dq <= 2; dq++ {
		for dr := -2.0; dr <= 2; dr++ {
			cq, cr := q0+dq, r0+dr
			x, y := 1.5*R*cq, math.Sqrt(3)*R*(cr+cq/2)
			if d := math.Hypot(m[0]-x, m[1]-y); d < best {
				best, q, r = d, int64(cq), int64(cr)
			}
		}
	}
	return q, r
}

// TestHexEqualsBruteForce: each cell counts the points nearest its
// centre, holds them in its outline (on the Web Mercator plane, where
// its sides are straight), and names itself size:q:r.
func TestHexEqualsBruteForce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, 3000)
	for _, name := range []string{"attacks", synthetic} {
		l := layer(t, store, name)
		for qname, q := range queries(t, name) {
			for _, km := range []float64{5, 37.5, 100, 1000} {
				t.Run(fmt.Sprintf("%s/%s/%vkm", name, qname, km), func(t *testing.T) {
					fs := features(t, store, name, q)
					want := map[string]*counts{}
					where := map[string][]orb.Point{}
					for _, f := range fs {
						p, ok := f.Geometry.(orb.Point)
						if !ok {
							add(want, "", f)
							continue
						}
						m := project.WGS84.ToMercator(p)
						cq, cr := nearestCell(km, m)
						id := strconv.FormatFloat(km, 'f', -1, 64) + ":" + strconv.FormatInt(cq, 10) + ":" + strconv.FormatInt(cr, 10)
						add(want, id, f)
						where[id] = append(where[id], m)
					}
					g, err := aggregate.Hex(km)
					if err != nil {
						t.Fatal(err)
					}
					res, err := aggregate.Run(ctx, store, l, q, g)
					if err != nil {
						t.Fatal(err)
					}
					check(t, res, want)
					for _, gr := range res.Groups {
						if gr.ID == "" {
							continue
						}
						poly, ok := gr.Geometry.(orb.Polygon)
						if !ok || len(poly) != 1 || len(poly[0]) != 7 || poly[0][0] != poly[0][6] {
							t.Fatalf("cell %s: outline %v", gr.ID, gr.Geometry)
						}
						if id := fmt.Sprintf("%v:%v:%v", km, gr.Properties["q"], gr.Properties["r"]); id != gr.ID {
							t.Errorf("cell %s has q, r of %s", gr.ID, id)
						}
						merc := project.Polygon(poly.Clone(), project.WGS84.ToMercator)
						for _, m := range where[gr.ID] {
							if !planar.PolygonContains(merc, m) {
								t.Errorf("cell %s: point %v is outside its outline", gr.ID, project.Mercator.ToWGS84(m))
							}
						}
					}
				})
			}
		}
	}
}

// TestHexGrid pins the grid, so that cell ids stay the same from one
// version to the next: where cells are, how big, and what they hold.
func TestHexGrid(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, 0)
	l := layer(t, store, "attacks")
	g, err := aggregate.Hex(50)
	if err != nil {
		t.Fatal(err)
	}
	res, err := aggregate.Run(ctx, store, l, geo.Query{Filter: cql2.Compare{Op: "=", Left: cql2.Property{Name: "id"},
		Right: cql2.String("2021-08-26-kabul-airport")}}, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].ID != "50:178:-7" {
		t.Fatalf("Kabul airport's 50 km cell: %+v", res.Groups)
	}
	// A cell is (√3/2)·50² km² on the Mercator plane, cos²(latitude) of
	// that on the ground.
	lat := 34.5586 * math.Pi / 180
	if a, want := res.Groups[0].Properties["area_km2"].(float64), math.Sqrt(3)/2*50*50*math.Cos(lat)*math.Cos(lat); math.Abs(a-want) > 0.02*want {
		t.Errorf("area %v km², want about %.0f", a, want)
	}
	for _, c := range []struct {
		name string
		km   float64
		ok   bool
	}{{"4.9 km is too small", 4.9, false}, {"5 km", 5, true}, {"1000 km", 1000, true}, {"1000.1 km is too large", 1000.1, false},
		{"NaN", math.NaN(), false}, {"infinity", math.Inf(1), false}, {"negative", -50, false}} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := aggregate.Hex(c.km); (err == nil) != c.ok {
				t.Errorf("Hex(%v): %v", c.km, err)
			}
		})
	}
}

// TestMonthEqualsBruteForce: each month counts the features whose date
// is in it, in time order, the undated last.
func TestMonthEqualsBruteForce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, 3000)
	for _, name := range []string{"attacks", synthetic} {
		l := layer(t, store, name)
		for qname, q := range queries(t, name) {
			t.Run(name+"/"+qname, func(t *testing.T) {
				want := map[string]*counts{}
				for _, f := range features(t, store, name, q) {
					d, _ := f.Properties["date"].(string)
					if len(d) >= 7 {
						d = d[:7]
					}
					add(want, d, f)
				}
				res, err := aggregate.Run(ctx, store, l, q, aggregate.Month(l.Profile.Time))
				if err != nil {
					t.Fatal(err)
				}
				check(t, res, want)
				for i, g := range res.Groups {
					if g.Geometry != nil {
						t.Errorf("month %s has a geometry", g.ID)
					}
					if i > 0 && g.ID != "" && g.ID <= res.Groups[i-1].ID {
						t.Errorf("month %s after %s", g.ID, res.Groups[i-1].ID)
					}
				}
			})
		}
	}
}

// TestTooManyGroups: past MaxGroups cells the count stops with an error
// that says so, instead of holding and sending them all.
func TestTooManyGroups(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, aggregate.MaxGroups*6/5) // some share a cell
	g, err := aggregate.Hex(aggregate.MinHexKM)
	if err != nil {
		t.Fatal(err)
	}
	_, err = aggregate.Run(ctx, store, layer(t, store, synthetic), geo.Query{}, g)
	var many *aggregate.TooManyGroupsError
	if !errors.As(err, &many) || !strings.Contains(err.Error(), strconv.Itoa(aggregate.MaxGroups)) {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkLocate is the cost of finding one point's country among the
// default borders.
func BenchmarkLocate(b *testing.B) {
	store := newStore(b, 1000)
	countries, err := aggregate.LoadCountries(context.Background(), store, layer(b, store, "borders"))
	if err != nil {
		b.Fatal(err)
	}
	var points []orb.Point
	for _, f := range features(b, store, synthetic, geo.Query{}) {
		if p, ok := f.Geometry.(orb.Point); ok {
			points = append(points, p)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		countries.Locate(points[i%len(points)])
	}
}

// BenchmarkRunCountry counts 10,000 features per country, reading them
// from the GeoPackage.
func BenchmarkRunCountry(b *testing.B) {
	ctx := context.Background()
	store := newStore(b, 10_000)
	countries, err := aggregate.LoadCountries(ctx, store, layer(b, store, "borders"))
	if err != nil {
		b.Fatal(err)
	}
	l := layer(b, store, synthetic)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aggregate.Run(ctx, store, l, geo.Query{}, aggregate.Country(countries)); err != nil {
			b.Fatal(err)
		}
	}
}
