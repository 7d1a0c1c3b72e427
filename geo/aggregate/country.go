package aggregate

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/rtree"
)

// Countries is a borders layer in memory, to find the country a point
// lies in: an R-tree over the countries' envelopes, and each country's
// polygons prepared (cql2.Prepared: their edges in R-trees), so a point
// costs the logarithm of the vertices of the few countries whose
// envelope holds it. Safe for concurrent use.
type Countries struct {
	columns []geo.Column
	shapes  []shape
	index   *rtree.RTree // record i: shapes[i] by its envelope
}

// shape is one borders feature.
type shape struct {
	id       string
	props    map[string]any
	geom     orb.Geometry
	prepared *cql2.Prepared
}

// CountriesCache keeps a borders layer's Countries, loaded again only
// when the layer changes (its name, last change or count). Safe for
// concurrent use; the zero value is empty.
type CountriesCache struct {
	mu      sync.Mutex
	loaded  *Countries
	version string
}

// Get is layer l's Countries, read from src when the cache holds none
// of l's version, and that version.
func (cc *CountriesCache) Get(ctx context.Context, src Source, l geo.Layer) (*Countries, string, error) {
	version := l.Name + "#" + l.Changed + "#" + strconv.FormatInt(l.Count, 10)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.loaded == nil || cc.version != version {
		c, err := LoadCountries(ctx, src, l)
		if err != nil {
			return nil, "", err
		}
		cc.loaded, cc.version = c, version
	}
	return cc.loaded, version, nil
}

// LoadCountries reads borders layer l whole. Its features that are not
// (multi)polygons are left out: they hold no point.
func LoadCountries(ctx context.Context, src Source, l geo.Layer) (*Countries, error) {
	c := &Countries{columns: l.Schema.Columns}
	var items []rtree.BulkItem
	err := src.Features(ctx, l.Name, geo.Query{}, func(f geo.Feature) error {
		if !hasArea(f.Geometry) {
			return nil
		}
		p := cql2.Prepare(f.Geometry)
		b := p.Bound()
		items = append(items, rtree.BulkItem{Box: rtree.Box{MinX: b.Min[0], MinY: b.Min[1], MaxX: b.Max[0], MaxY: b.Max[1]}, RecordID: len(c.shapes)})
		c.shapes = append(c.shapes, shape{id: f.ID, props: f.Properties, geom: f.Geometry, prepared: p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.index = rtree.BulkLoad(items)
	return c, nil
}

// hasArea says g has a polygon with a ring.
func hasArea(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return len(g) > 0 && len(g[0]) > 0
	case orb.MultiPolygon:
		return slices.ContainsFunc(g, func(p orb.Polygon) bool { return hasArea(p) })
	case orb.Collection:
		return slices.ContainsFunc(g, hasArea)
	}
	return false
}

// Len is the number of countries.
func (c *Countries) Len() int { return len(c.shapes) }

// Locate is the index of the first country, in the layer's order, whose
// polygons hold p (planar.PolygonContains: a point on an outline is in),
// or -1 for none.
func (c *Countries) Locate(p orb.Point) int {
	found := -1
	c.index.RangeSearch(rtree.Box{MinX: p[0], MinY: p[1], MaxX: p[0], MaxY: p[1]}, func(i int) error {
		if (found < 0 || i < found) && c.shapes[i].prepared.Intersects(p) {
			found = i
		}
		return nil
	})
	return found
}

// Country groups features by the country of c their point lies in; a
// point in none, or a feature without a geometry, is in the null group.
// A group's id, geometry and properties are the borders feature's.
func Country(c *Countries) Grouping { return countryGrouping{c} }

type countryGrouping struct{ c *Countries }

func (countryGrouping) By() string { return "country" }

func (g countryGrouping) key(f geo.Feature) (any, bool) {
	p, ok := pointOf(f)
	if !ok {
		return nil, false
	}
	i := g.c.Locate(p)
	return i, i >= 0
}

func (g countryGrouping) describe(k any) (string, orb.Geometry, map[string]any) {
	props := make(map[string]any, len(g.c.columns))
	i, ok := k.(int)
	for _, col := range g.c.columns {
		props[col.Name] = nil
		if ok {
			props[col.Name] = g.c.shapes[i].props[col.Name]
		}
	}
	if !ok {
		return "", nil, props
	}
	s := g.c.shapes[i]
	return s.id, s.geom, props
}

// less keeps the layer's order.
func (countryGrouping) less(a, b any) bool { return a.(int) < b.(int) }
