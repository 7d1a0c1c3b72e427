package tiles

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// Source is what tiles need of a layer store; *gpkg.Store has it.
type Source interface {
	Layer(ctx context.Context, name string) (geo.Layer, error)
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
}

// Vector tile geometry constants, in tile units.
const (
	// Extent is the size of a vector tile's square: 4096 units, so 16
	// units to a pixel of a 256-pixel tile.
	Extent = 4096
	// Buffer is the margin kept around each tile, so that lines and
	// polygon outlines run on past the edge and renderers draw no seams.
	Buffer = 64
	// Tolerance is the Douglas-Peucker threshold applied after projection,
	// the same at every zoom: a quarter of a 256-pixel tile's pixel.
	Tolerance = 4.0
)

// Point thinning. A point layer's tile below MaxZoom keeps at most
// DefaultMaxPoints points (Encoder.MaxPoints): when the layer's profile
// names a numeric magnitude the greatest are kept (ties and unknowns in
// fid order), otherwise the first in fid order. At
// MaxZoom every point is kept. 1,000 markers of the smallest size (3 px
// radius) already cover half of a 256-pixel tile; more only hide each
// other, and cost the server and the browser in proportion.
const DefaultMaxPoints = 1000

// IDProperty holds a feature's string id in vector tiles of layers whose
// features carry their own ids (geo.Schema.HasID): MVT ids are unsigned
// integers, so such a feature's MVT id is FeatureID(id), a stable 53-bit
// hash (exact in JavaScript), the same in every tile. Layers identified by
// their fid use the fid itself as the MVT id and have no id property.
const IDProperty = "id"

// FeatureID is the MVT id of a feature with a string id: the FNV-1a hash
// of the id, cut to 53 bits.
func FeatureID(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64() & (1<<53 - 1)
}

// Encoder makes Mapbox Vector Tiles (version 2) of the layers of a Source.
type Encoder struct {
	Source Source
	// MaxPoints is the thinning limit; 0 means DefaultMaxPoints.
	MaxPoints int
	// Index, when set, holds layers in memory for faster tiles; layers
	// over its limits, and every layer when it is nil, are read from
	// Source tile by tile.
	Index *Index
}

// Encode returns the tile t with one MVT layer per given layer, in name
// order, so the same request always gives the same bytes. Layers with no
// feature in the tile are left out; a tile with none is empty (zero bytes,
// a valid MVT). A failing layer fails the whole tile.
func (e *Encoder) Encode(ctx context.Context, layers []geo.Layer, t maptile.Tile) ([]byte, error) {
	layers = slices.Clone(layers)
	slices.SortFunc(layers, func(a, b geo.Layer) int { return strings.Compare(a.Name, b.Name) })
	out := make(mvt.Layers, 0, len(layers))
	var cuts []cut // parallel to out
	for _, l := range layers {
		c, err := e.layer(ctx, l, t)
		if err != nil {
			return nil, err
		}
		if len(c.layer.Features) > 0 {
			out = append(out, c.layer)
			cuts = append(cuts, c)
		}
	}
	if len(out) == 0 {
		return []byte{}, nil
	}
	vt, err := mvt.MarshalToVectorTile(out)
	if err != nil {
		return nil, err
	}
	// A tile is its layers, one after the other (Tile.layers, field 3).
	var b []byte
	for i, c := range cuts {
		vl := vt.Layers[i]
		if c.index == nil {
			one, err := (&vectortile.Tile{Layers: []*vectortile.Tile_Layer{vl}}).Marshal()
			if err != nil {
				return nil, err
			}
			b = append(b, one...)
			continue
		}
		if b, err = c.index.marshal(b, vl, c.index.tag(vl, c.picked)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// cut is one layer of a tile. Features cut from the Index come without
// properties: picked[i] is the index's feature that the layer's feature i
// is, whose properties index.tag adds after encoding.
type cut struct {
	layer  *mvt.Layer
	index  *indexedLayer
	picked []int32
}

// Thins reports whether tiles of layer l are thinned below MaxZoom, and how.
func Thins(l geo.Layer) (bool, string) {
	if !isPointLayer(l) {
		return false, ""
	}
	if m, ok := severityColumn(l); ok {
		return true, "most " + m + " first"
	}
	return true, "first in fid order"
}

func isPointLayer(l geo.Layer) bool {
	return l.Schema.GeometryType == "POINT" || l.Schema.GeometryType == "MULTIPOINT"
}

// severityColumn is the layer's magnitude, when it is a numeric column.
func severityColumn(l geo.Layer) (string, bool) {
	m := l.Profile.Magnitude
	if m == "" {
		return "", false
	}
	c, ok := l.Schema.Column(m)
	return m, ok && (c.Type == geo.Integer || c.Type == geo.Real)
}

func (e *Encoder) layer(ctx context.Context, l geo.Layer, t maptile.Tile) (cut, error) {
	limit := e.MaxPoints
	if limit <= 0 {
		limit = DefaultMaxPoints
	}
	if !isPointLayer(l) || t.Z >= MaxZoom {
		limit = 0
	}
	c := cut{layer: &mvt.Layer{Name: l.Name, Version: 2, Extent: Extent}}
	if e.Index != nil {
		if il := e.Index.layer(ctx, l); il != nil {
			c.index = il
			c.picked = il.cut(c.layer, t, limit)
			return c, nil
		}
	}
	return c, e.cutFromSource(ctx, c.layer, l, t, limit)
}

// cut adds to ml the features of the tile t, at most limit (0: all) in
// the layer's order, without properties, and returns the index of each.
func (il *indexedLayer) cut(ml *mvt.Layer, t maptile.Tile, limit int) (picked []int32) {
	n := float64(uint64(1) << t.Z)
	b := float64(Buffer) / Extent
	query := orb.Bound{
		Min: orb.Point{(float64(t.X) - b) / n, (float64(t.Y) - b) / n},
		Max: orb.Point{(float64(t.X) + 1 + b) / n, (float64(t.Y) + 1 + b) / n},
	}
	scale, ox, oy := n*Extent, float64(t.X)*Extent, float64(t.Y)*Extent
	// Tile units, not yet snapped to the grid: fitToTile snaps.
	project := func(p orb.Point) orb.Point {
		return orb.Point{p[0]*scale - ox, p[1]*scale - oy}
	}
	// Features are allocated in batches: a thinned tile holds thousands.
	var batch []geojson.Feature
	add := func(i int32) bool {
		b := il.bounds[i]
		if !intersects(b, query) {
			return true
		}
		var g orb.Geometry
		if il.points {
			// A point is its bound, and in the tile when its bound is.
			p := floorPoint(project(b.Min))
			if !tileBox.Contains(p) {
				return true
			}
			g = p
		} else {
			// Cut to the buffered tile in world units first (a copy: the
			// index's geometry is shared), then project what is left;
			// fitToTile then trims rounding, and when the simplified
			// shape comes out invalid cuts the full one instead.
			sh, simplified := il.shapeFor(i, uint32(t.Z))
			if sh.grid {
				// Valid on the grid of this zoom already: cut, no more.
				if g = sh.gridTile(ox, oy); g == nil {
					return true
				}
			} else {
				if g = sh.clipTo(query); g == nil {
					return true
				}
				full := func() orb.Geometry { return ProjectGeometry(il.shapes[i][0].meeting(query), project) }
				if g = fitToTile(ProjectGeometry(g, project), !simplified, full); g == nil {
					return true
				}
			}
		}
		if len(batch) == 0 {
			batch = make([]geojson.Feature, 256)
		}
		mf := &batch[0]
		batch = batch[1:]
		mf.Type, mf.Geometry = "Feature", g
		if id := il.ids[i]; id != noID {
			mf.ID = id
		}
		ml.Features = append(ml.Features, mf)
		picked = append(picked, i)
		return limit == 0 || len(ml.Features) < limit
	}
	if found, ok := il.meeting(query, limit); ok {
		for _, i := range found {
			if !add(i) {
				break
			}
		}
		return picked
	}
	for i := range il.bounds {
		if !add(int32(i)) {
			break
		}
	}
	return picked
}

// cutFromSource adds to ml the features of the tile t read from the
// store, for layers too large for the Index.
func (e *Encoder) cutFromSource(ctx context.Context, ml *mvt.Layer, l geo.Layer, t maptile.Tile, limit int) error {
	bound := t.Bound(float64(Buffer) / Extent)
	q := geo.Query{BBox: &bound}
	if limit > 0 {
		q.Limit = limit
		if m, ok := severityColumn(l); ok {
			q.SortBy = []geo.SortKey{{Name: m, Desc: true}}
		}
	}
	ox, oy := float64(t.X)*Extent, float64(t.Y)*Extent
	// Tile units, not yet snapped to the grid: fitToTile snaps.
	project := func(p orb.Point) orb.Point {
		x, y := WorldPixel(p, uint32(t.Z), Extent)
		return orb.Point{x - ox, y - oy}
	}
	return e.Source.Features(ctx, l.Name, q, func(f geo.Feature) error {
		if f.Geometry == nil {
			return nil
		}
		// Features may be shared by the source (a cache): work on a copy.
		g := orb.Clone(f.Geometry)
		if g.Dimensions() > 0 {
			// Cut lines and shapes to the buffered tile in degrees first, so
			// that a country crossing many tiles is projected only where it
			// shows; fitToTile then trims rounding.
			if g = clip.Geometry(bound, g); g == nil {
				return nil
			}
		}
		full := func() orb.Geometry { return ProjectGeometry(mercatorCut(orb.Clone(f.Geometry)), project) }
		if g = fitToTile(ProjectGeometry(g, project), true, full); g == nil {
			return nil
		}
		mf := geojson.NewFeature(g)
		mf.ID, mf.Properties = mvtID(f, l.Schema.HasID), properties(f, l.Schema.HasID)
		ml.Features = append(ml.Features, mf)
		return nil
	})
}

// tileBox is a tile's square with its buffer, in tile units.
var tileBox = orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

// mvtID is a feature's MVT id: FeatureID of its string id, or its fid;
// nil when neither applies.
func mvtID(f geo.Feature, hasID bool) any {
	if hasID {
		return FeatureID(f.ID)
	}
	if fid, err := strconv.ParseUint(f.ID, 10, 64); err == nil {
		return fid
	}
	return nil
}

func properties(f geo.Feature, hasID bool) geojson.Properties {
	p := make(geojson.Properties, len(f.Properties)+1)
	for k, v := range f.Properties {
		switch v := v.(type) {
		case nil:
		case string, int64, float64, bool:
			p[k] = v
		default:
			// Structured TEXT values travel as their JSON text.
			b, err := json.Marshal(v)
			if err == nil {
				p[k] = string(b)
			}
		}
	}
	if hasID {
		p[IDProperty] = f.ID
	}
	return p
}

// ProjectGeometry moves every point of g (in place) through fn.
func ProjectGeometry(g orb.Geometry, fn func(orb.Point) orb.Point) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		for i := range g {
			g[i] = fn(g[i])
		}
	case orb.LineString:
		for i := range g {
			g[i] = fn(g[i])
		}
	case orb.MultiLineString:
		for _, ls := range g {
			ProjectGeometry(ls, fn)
		}
	case orb.Ring:
		for i := range g {
			g[i] = fn(g[i])
		}
	case orb.Polygon:
		for _, r := range g {
			ProjectGeometry(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			ProjectGeometry(p, fn)
		}
	case orb.Collection:
		for i := range g {
			g[i] = ProjectGeometry(g[i], fn)
		}
	case orb.Bound:
		return orb.Bound{Min: fn(g.Min), Max: fn(g.Max)}.ToPolygon()
	}
	return g
}

// SignedArea is the signed area of a ring by the surveyor's formula.
func SignedArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	if n := len(r); n > 0 && r[0] != r[n-1] {
		s += r[n-1][0]*r[0][1] - r[0][0]*r[n-1][1]
	}
	return s / 2
}
