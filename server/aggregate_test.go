package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"
)

// newAggregateServer serves the default data (every layer of
// data/layers.json) and a layer "synthetic" of made-up events (test
// input only: a deterministic scatter over the region and the sea around
// it, some without a geometry, a killed figure or a date), described as
// events by the dataset.
func newAggregateServer(t *testing.T) (*httptest.Server, *gpkg.Store) {
	t.Helper()
	ctx := context.Background()
	ds := defaultDataset(t)
	ds.Layers["synthetic"] = geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "killed"}
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "aggregate.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	raw, err := fs.ReadFile(data.FS, "layers.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ Name, Title, File string }
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		doc, err := fs.ReadFile(data.FS, m.File)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: m.Name, Title: m.Title}, doc); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteString(",")
		}
		geom := "null"
		if i%101 != 7 {
			geom = fmt.Sprintf(`{"type":"Point","coordinates":[%.5f,%.5f]}`, 44+float64(i*7919%10007)/10007*32, 23+float64(i*104729%10009)/10009*20)
		}
		killed, date := "null", "null"
		if i%11 != 0 {
			killed = fmt.Sprint(i * 31 % 47)
		}
		if i%29 != 0 {
			date = fmt.Sprintf(`"%d-%02d-%02d"`, 2015+i%10, 1+i*7%12, 1+i%28)
		}
		fmt.Fprintf(&b, `{"type":"Feature","id":"s%d","geometry":%s,"properties":{"date":%s,"killed":%s,"kind":%q}}`, i, geom, date, killed, []string{"a", "b", "c"}[i*13%3])
	}
	b.WriteString("]}")
	if _, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: "synthetic", Title: "Synthetic"}, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Dataset: ds, Static: fstest.MapFS{}}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, store
}

// featureCollection GETs a GeoJSON FeatureCollection.
func featureCollection(t *testing.T, url string) (*geojson.FeatureCollection, map[string]any) {
	t.Helper()
	res := get(t, url, nil)
	if res.status != 200 {
		t.Fatalf("GET %s: %d %s", url, res.status, res.body)
	}
	fc, err := geojson.UnmarshalFeatureCollection(res.body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return fc, decode(t, res.body)
}

// tally is brute force's count of one group.
type tally struct {
	count, summed int
	sum           float64
}

func (c *tally) add(f *geojson.Feature) {
	c.count++
	if k, ok := f.Properties["killed"].(float64); ok {
		c.summed++
		c.sum += k
	}
}

// compareGroups checks the aggregate's features against brute force's
// tallies by group id ("" for the null group).
func compareGroups(t *testing.T, agg *geojson.FeatureCollection, doc map[string]any, want map[string]*tally) {
	t.Helper()
	total := 0
	for _, c := range want {
		total += c.count
	}
	if doc["count"] != float64(total) || doc["numberReturned"] != float64(len(want)) || doc["magnitude"] != "killed" {
		t.Errorf("count %v, numberReturned %v, magnitude %v; brute force %d features in %d groups", doc["count"], doc["numberReturned"], doc["magnitude"], total, len(want))
	}
	if len(agg.Features) != len(want) {
		t.Errorf("%d groups, brute force %d", len(agg.Features), len(want))
	}
	for _, f := range agg.Features {
		id := ""
		if f.ID != nil {
			id = fmt.Sprint(f.ID)
		}
		w := want[id]
		if w == nil {
			t.Errorf("group %q (%v) is not one of brute force's", id, f.Properties)
			continue
		}
		p := f.Properties
		var sum any
		if w.summed > 0 {
			sum = w.sum
		}
		if p["count"] != float64(w.count) || p["magnitude_count"] != float64(w.summed) || p["magnitude_sum"] != sum {
			t.Errorf("group %q: count %v, magnitude_count %v, magnitude_sum %v; brute force %d, %d, %v", id, p["count"], p["magnitude_count"], p["magnitude_sum"], w.count, w.summed, sum)
		}
	}
}

// aggregateFilters are the items filters the aggregates are checked
// under, per layer.
var aggregateFilters = map[string][]string{
	"attacks": {"", "bbox=60,28,72,37", "datetime=2021-01-01/2023-12-31", "datetime=2024-01-01/..",
		"filter=" + url.QueryEscape("attribution='claimed' AND killed>=20"), "attribution=disputed", "filter=" + url.QueryEscape("killed<0")},
	"synthetic": {"", "bbox=50,25,75,40", "datetime=2019-01-01/2020-06-30",
		"filter=" + url.QueryEscape("kind IN ('a','b') OR killed IS NULL"), "kind=c&bbox=60,30,80,45"},
}

// TestAggregateEqualsBruteForce: per country, per hexagon cell and per
// month, each group's count and killed are those brute force finds in
// the items the same filters select: by testing each point against
// every country of the borders layer, against every cell's outline, and
// by reading its date.
func TestAggregateEqualsBruteForce(t *testing.T) {
	srv, _ := newAggregateServer(t)
	api := srv.URL + "/api/collections/"
	borders, _ := featureCollection(t, api+"borders/items?limit=10000")
	countryOf := func(f *geojson.Feature) string {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			return ""
		}
		for _, b := range borders.Features { // in the layer's order: the first wins
			if mp, ok := b.Geometry.(orb.MultiPolygon); ok && planar.MultiPolygonContains(mp, p) {
				return fmt.Sprint(b.ID)
			}
			if poly, ok := b.Geometry.(orb.Polygon); ok && planar.PolygonContains(poly, p) {
				return fmt.Sprint(b.ID)
			}
		}
		return ""
	}
	for layer, filters := range aggregateFilters {
		for _, filter := range filters {
			items, _ := featureCollection(t, api+layer+"/items?limit=10000&"+filter)
			t.Run(layer+"/country/"+filter, func(t *testing.T) {
				want := map[string]*tally{}
				for _, f := range items.Features {
					id := countryOf(f)
					if want[id] == nil {
						want[id] = &tally{}
					}
					want[id].add(f)
				}
				agg, doc := featureCollection(t, api+layer+"/aggregate?by=country&"+filter)
				compareGroups(t, agg, doc, want)
				for _, g := range agg.Features {
					if g.ID != nil && (g.Geometry == nil || g.Properties["name"] == nil) {
						t.Errorf("country %v has no outline or name", g.ID)
					}
				}
			})
			for _, size := range []string{"5", "50", "333.3", "1000"} {
				t.Run(layer+"/hex-"+size+"/"+filter, func(t *testing.T) {
					agg, doc := featureCollection(t, api+layer+"/aggregate?by=hex&size="+size+"&"+filter)
					if fmt.Sprint(doc["size"]) != size {
						t.Errorf("size %v, want %s", doc["size"], size)
					}
					// Cells are straight-sided on the Web Mercator plane.
					outlines := map[string]orb.Polygon{}
					for _, g := range agg.Features {
						if poly, ok := g.Geometry.(orb.Polygon); ok {
							if !strings.HasPrefix(fmt.Sprint(g.ID), size+":") {
								t.Errorf("cell id %v does not start with the size", g.ID)
							}
							outlines[fmt.Sprint(g.ID)] = project.Polygon(poly.Clone(), project.WGS84.ToMercator)
						}
					}
					want := map[string]*tally{}
					for _, f := range items.Features {
						id := ""
						if p, ok := f.Geometry.(orb.Point); ok {
							m := project.WGS84.ToMercator(p)
							var in []string
							for cid, o := range outlines {
								if planar.PolygonContains(o, m) {
									in = append(in, cid)
								}
							}
							if len(in) != 1 {
								t.Errorf("%v at %v is in the outlines of %v", f.ID, p, in)
								continue
							}
							id = in[0]
						}
						if want[id] == nil {
							want[id] = &tally{}
						}
						want[id].add(f)
					}
					compareGroups(t, agg, doc, want)
				})
			}
			t.Run(layer+"/month/"+filter, func(t *testing.T) {
				want := map[string]*tally{}
				for _, f := range items.Features {
					m, _ := f.Properties["date"].(string)
					if m != "" {
						m = m[:7]
					}
					if want[m] == nil {
						want[m] = &tally{}
					}
					want[m].add(f)
				}
				agg, doc := featureCollection(t, api+layer+"/aggregate?by=month&"+filter)
				compareGroups(t, agg, doc, want)
				for i, g := range agg.Features {
					if g.Geometry != nil || (g.ID != nil && g.Properties["month"] != g.ID) {
						t.Errorf("month %v: geometry %v, month %v", g.ID, g.Geometry, g.Properties["month"])
					}
					if i > 0 && g.ID != nil && fmt.Sprint(g.ID) <= fmt.Sprint(agg.Features[i-1].ID) {
						t.Errorf("month %v after %v", g.ID, agg.Features[i-1].ID)
					}
				}
			})
		}
	}
}

// TestAggregateOfTheAttacks pins the default data's answer: the
// countries of the layer's description (Afghanistan 68, Pakistan 20,
// Iran 3, Uzbekistan 2, Russia 1, Tajikistan 1), but for Turkey's one
// attack, whose point in Istanbul is off Natural Earth's 1:50m coast
// and so in no country; the largest group first, the null group last.
func TestAggregateOfTheAttacks(t *testing.T) {
	srv, _ := newAggregateServer(t)
	agg, doc := featureCollection(t, srv.URL+"/api/collections/attacks/aggregate?by=country")
	var got []string
	for _, f := range agg.Features {
		got = append(got, fmt.Sprintf("%v %v", f.Properties["iso_a3"], f.Properties["count"]))
	}
	want := "AFG 68, PAK 20, IRN 3, UZB 2, RUS 1, TJK 1, <nil> 1"
	if strings.Join(got, ", ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, ", "), want)
	}
	if doc["count"] != 96.0 || doc["by"] != "country" || doc["layer"] != "attacks" {
		t.Errorf("doc: count %v by %v layer %v", doc["count"], doc["by"], doc["layer"])
	}
	links := string(mustJSON(doc["links"]))
	if !strings.Contains(links, `"rel":"self"`) || !strings.Contains(links, "/api/collections/attacks/items?f=json") {
		t.Errorf("links: %s", links)
	}
}

// TestAggregateBadInput: each mistake is a 400 problem that names the
// parameter, before any work.
func TestAggregateBadInput(t *testing.T) {
	srv, _ := newAggregateServer(t)
	api := srv.URL + "/api/collections/"
	for _, c := range []struct{ name, path, param string }{
		{"by is required", "attacks/aggregate", "by"},
		{"an unknown by", "attacks/aggregate?by=province", "by"},
		{"an empty by", "attacks/aggregate?by=", "by"},
		{"by given twice", "attacks/aggregate?by=hex&by=country&size=50", "by"},
		{"hex needs a size", "attacks/aggregate?by=hex", "size"},
		{"a size under 5 km", "attacks/aggregate?by=hex&size=4.9", "size"},
		{"a size over 1000 km", "attacks/aggregate?by=hex&size=1001", "size"},
		{"a size of zero", "attacks/aggregate?by=hex&size=0", "size"},
		{"a negative size", "attacks/aggregate?by=hex&size=-50", "size"},
		{"a size that is not a number", "attacks/aggregate?by=hex&size=big", "size"},
		{"a size of NaN", "attacks/aggregate?by=hex&size=NaN", "size"},
		{"a size of infinity", "attacks/aggregate?by=hex&size=Inf", "size"},
		{"a size with units", "attacks/aggregate?by=hex&size=50km", "size"},
		{"a size for countries", "attacks/aggregate?by=country&size=50", "size"},
		{"month of a layer with no time", "cities/aggregate?by=month", "by"},
		{"month of the borders", "borders/aggregate?by=month", "by"},
		{"an items parameter that does not apply", "attacks/aggregate?by=country&limit=10", "limit"},
		{"sortby does not apply", "attacks/aggregate?by=country&sortby=killed", "sortby"},
		{"an unknown parameter", "attacks/aggregate?by=country&nope=1", "nope"},
		{"a bad bbox", "attacks/aggregate?by=country&bbox=1,2,3", "bbox"},
		{"a bbox past 180", "attacks/aggregate?by=hex&size=50&bbox=170,0,190,10", "bbox"},
		{"a bad bbox-crs", "attacks/aggregate?by=country&bbox-crs=EPSG:4326", "bbox-crs"},
		{"a bad datetime", "attacks/aggregate?by=month&datetime=yesterday", "datetime"},
		{"a datetime ending before it starts", "attacks/aggregate?by=month&datetime=2021-01-01/2020-01-01", "datetime"},
		{"a bad filter", "attacks/aggregate?by=country&filter=" + url.QueryEscape("(killed>1"), "filter"},
		{"a bad filter-lang", "attacks/aggregate?by=country&filter-lang=cql2-json", "filter-lang"},
		{"a property filter of the wrong type", "attacks/aggregate?by=country&killed=many", "killed"},
		{"HTML is not offered", "attacks/aggregate?by=country&f=html", "f"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, api+c.path, nil)
			if res.status != 400 || res.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s: %s", res.status, res.header.Get("Content-Type"), res.body)
			}
			p := decode(t, res.body)
			ip, _ := p["invalid-params"].([]any)
			if len(ip) != 1 || ip[0].(map[string]any)["name"] != c.param {
				t.Errorf("invalid-params %v, want %s", p["invalid-params"], c.param)
			}
		})
	}
	t.Run("a filter on a property the layer lacks", func(t *testing.T) {
		res := get(t, api+"attacks/aggregate?by=country&filter="+url.QueryEscape("nope = 1"), nil)
		if res.status != 400 || !strings.Contains(string(res.body), "nope") {
			t.Errorf("got %d: %s", res.status, res.body)
		}
	})
	t.Run("a layer that does not exist", func(t *testing.T) {
		if res := get(t, api+"nope/aggregate?by=country", nil); res.status != 404 {
			t.Errorf("got %d: %s", res.status, res.body)
		}
	})
	t.Run("countries without a borders layer", func(t *testing.T) {
		s, _ := newTestHandler(t) // the default dataset's borders layer is not in its store
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/collections/attacks/aggregate?by=country", nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"name":"by"`) || !strings.Contains(rec.Body.String(), "borders") {
			t.Errorf("got %d: %s", rec.Code, rec.Body)
		}
	})
}

// TestAggregateFollowsTheLayer: an answer is kept (its ETag answers
// If-None-Match with 304) until the layer changes, and then counts the
// change.
func TestAggregateFollowsTheLayer(t *testing.T) {
	srv, store := newAggregateServer(t)
	u := srv.URL + "/api/collections/attacks/aggregate?by=hex&size=100"
	first := get(t, u, nil)
	etag := first.header.Get("ETag")
	if first.status != 200 || etag == "" || first.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("got %d, ETag %q, %s", first.status, etag, first.header.Get("Content-Type"))
	}
	if res := get(t, u, map[string]string{"If-None-Match": etag}); res.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.status)
	}
	ctx := context.Background()
	var f geo.Feature
	if err := store.Features(ctx, "attacks", geo.Query{Limit: 1}, func(g geo.Feature) error { f = g; return nil }); err != nil {
		t.Fatal(err)
	}
	f.ID = "copy-for-the-test"
	if _, _, err := store.CreateFeature(ctx, "attacks", f, "test"); err != nil {
		t.Fatal(err)
	}
	_, doc := featureCollection(t, u)
	if doc["count"] != 97.0 {
		t.Errorf("after adding a feature: count %v", doc["count"])
	}
}

// TestAggregateOfALargeLayerIsHeavy: on a layer past heavyRows the work
// takes a slot of the heavy pool, and a full pool is a 503.
func TestAggregateOfALargeLayerIsHeavy(t *testing.T) {
	store := pointsStore(t, heavyRows+1000, 0)
	s := quietServer(Config{HeavySlots: 1, Dataset: defaultDataset(t)}, store)
	s.heavy.wait = 20 * time.Millisecond
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	u := "/api/collections/points/aggregate?by=hex&size=100"
	_, release, err := s.heavy.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(u); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("behind a full pool: %d %s", rec.Code, rec.Body)
	}
	release()
	rec := get(u)
	if rec.Code != 200 {
		t.Fatalf("with the slot free: %d %s", rec.Code, rec.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["count"] != float64(heavyRows+1000) {
		t.Errorf("count %v (%v)", doc["count"], err)
	}
}

// fuzzEvents is fuzzLayer with an events profile, so that by=month and
// the magnitude apply.
var fuzzEvents = func() geo.Layer {
	l := fuzzLayer
	l.Profile = geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "killed"}
	return l
}()

func FuzzAggregateQuery(f *testing.F) {
	for _, s := range []string{"by=country", "by=hex&size=50", "by=month", "by=hex", "by=hex&size=4", "by=hex&size=1e3", "by=hex&size=NaN",
		"by=country&size=5", "by=month&datetime=2021-01-01/..", "by=country&bbox=60,30,70,40&killed=5", "by=hex&size=5&filter=killed>5",
		"by=x", "size=50", "by=country&limit=5", "by=hex&size=%20100%20", "by=hex&size=0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := parseAggregate(q, fuzzEvents)
		if err != nil {
			return
		}
		switch req.by {
		case "hex":
			if !(req.size >= 5 && req.size <= 1000) {
				t.Fatalf("accepted hex size %v", req.size)
			}
		case "country", "month":
			if req.size != 0 {
				t.Fatalf("accepted size %v for by=%s", req.size, req.by)
			}
		default:
			t.Fatalf("accepted by=%q", req.by)
		}
		if b := req.query.BBox; b != nil && (b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[0] < -180 || b.Max[1] > 90) {
			t.Fatalf("accepted bbox %v", b)
		}
	})
}
