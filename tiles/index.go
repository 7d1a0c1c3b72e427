package tiles

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"
)

// Index limits: a layer is held in memory for tiles when it has at most
// DefaultIndexMaxFeatures features and DefaultIndexMaxVertices vertices,
// its simplified levels included.
// 100,000 points with five properties take 35 MB, so the limit is a few
// hundred MB; a larger layer is cut from SQLite tile by tile, more slowly
// but in little memory.
const (
	DefaultIndexMaxFeatures = 500_000
	DefaultIndexMaxVertices = 5_000_000
)

// levelCount: lines and shapes are simplified in advance for each zoom
// below it, with the tile tolerance of that zoom, so that a tile of those
// zooms needs no simplification of its own. From z10 a tile unit is under
// 10 m, finer than the 1:10m borders; deeper tiles are simplified as they
// are cut. A level that simplification leaves whole is not kept.
const levelCount = 10

// Index holds layers in memory, ready to cut into tiles: geometry already
// in Web Mercator, simplified in advance for low zooms, properties already
// in their MVT form, and points of thinned layers in thinning order. It
// is what keeps a cold tile (one not in the tile cache) fast: a tile no
// longer waits on SQLite, decoding and projection.
//
// Each layer is loaded in the background on first use, from one read of
// the layer, and again when the layer's version (geo.Layer.Changed and
// Count) moves on, so an import is seen at once: until a load is done the
// layer's tiles are cut from the store. Safe for concurrent use.
type Index struct {
	source      Source
	maxFeatures int64
	maxVertices int

	mu     sync.Mutex
	layers map[string]*indexEntry
}

// NewIndex returns an empty index over source with the default limits.
func NewIndex(source Source) *Index {
	return &Index{source: source, maxFeatures: DefaultIndexMaxFeatures, maxVertices: DefaultIndexMaxVertices, layers: map[string]*indexEntry{}}
}

type indexEntry struct {
	version string
	done    chan struct{} // closed when loaded
	layer   *indexedLayer // nil when too large or failed
	err     error         // why it failed; it is not tried again until the layer changes
}

// indexedLayer is one layer version in memory.
type indexedLayer struct {
	// Features are numbered in layer order: for thinned layers, points
	// in thinning order (most severe first, then fid order); otherwise
	// fid order. Feature i has:
	//   - ids[i], its MVT id, or noID;
	//   - bounds[i], its bound in world units (Web Mercator scaled to
	//     0..1, y down), which for a point is the point;
	//   - shapes[i], its geometry (see shapeFor), unless every feature
	//     is a point (points), when shapes is nil.
	// The arrays of points hold no pointers, so the garbage collector
	// never reads them, and a tile's scan reads 32 bytes a feature.
	ids    []uint64
	bounds []orb.Bound
	shapes [][]shape
	grid   grid
	points bool
	// The layer's properties as orb's MVT encoder interns them, once for
	// the whole layer: keys; values, kept as the protobuf bytes of each
	// Tile_Value, value v being values[valueStart[v]:valueStart[v+1]];
	// and for each feature its tags (key and value index pairs, keys in
	// name order) in tags[tagStart[i]:tagStart[i+1]]. A tile renumbers
	// the ones it uses (see tag) and copies the values' bytes, which is
	// much faster than interning and encoding each tile's properties anew.
	keys       []string
	values     []byte
	valueStart []int32
	tags       []uint32
	tagStart   []int32
	// renumberings keeps *renumbering for tag.
	renumberings sync.Pool
}

// renumbering maps the layer's key and value numbers to a tile's: entry
// v is the stamp of the tile that used v in its upper 32 bits and v's
// number in that tile below, and counts only when the stamp is the
// renumbering's current one, so that a tile starts afresh without
// clearing it (and a lookup touches one word).
type renumbering struct {
	stamp  uint32
	keys   []uint64
	values []uint64
}

// number returns the tile's number for entry i of table, and whether it
// is new to the tile, when it takes the number next.
func (r *renumbering) number(table []uint64, i uint32, next int) (uint32, bool) {
	if e := table[i]; uint32(e>>32) == r.stamp {
		return uint32(e), false
	}
	table[i] = uint64(r.stamp)<<32 | uint64(next)
	return uint32(next), true
}

// Grid geometry: gridZoom's tiles are the cells (at z8 about 1.4 degrees,
// a few hundred of 100,000 points over the region each); a feature over
// more than wideCells cells is kept in a list every query reads.
const (
	gridZoom  = 8
	gridSize  = 1 << gridZoom
	wideCells = 64
)

// grid lists, for each cell, the features whose bounds meet it, in
// feature order (compressed rows: the features of cell c are
// items[start[c]:start[c+1]]).
type grid struct {
	start []int32
	items []int32
	wide  []int32
}

// cellRange is the cells a world-unit bound meets, clamped to the world.
func cellRange(b orb.Bound) (x0, y0, x1, y1 int) {
	cell := func(v float64) int { return max(0, min(gridSize-1, int(math.Floor(v*gridSize)))) }
	return cell(b.Min[0]), cell(b.Min[1]), cell(b.Max[0]), cell(b.Max[1])
}

func isWide(b orb.Bound) bool {
	x0, y0, x1, y1 := cellRange(b)
	return (x1-x0+1)*(y1-y0+1) > wideCells
}

func newGrid(bounds []orb.Bound) grid {
	g := grid{start: make([]int32, gridSize*gridSize+1)}
	each := func(fn func(i, c int)) {
		for i, b := range bounds {
			if isWide(b) {
				continue
			}
			x0, y0, x1, y1 := cellRange(b)
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					fn(i, y*gridSize+x)
				}
			}
		}
	}
	each(func(_, c int) { g.start[c+1]++ })
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	g.items = make([]int32, g.start[len(g.start)-1])
	next := slices.Clone(g.start[:len(g.start)-1])
	each(func(i, c int) { g.items[next[c]] = int32(i); next[c]++ })
	for i, b := range bounds {
		if isWide(b) {
			g.wide = append(g.wide, int32(i))
		}
	}
	return g
}

// meeting returns, in feature order, the features whose bounds meet the
// world-unit bound q, read from the cells q covers. ok is false when
// scanning every bound in order is cheaper: for a low-zoom tile of a
// thinned layer, whose first limit features in order come soon.
func (il *indexedLayer) meeting(q orb.Bound, limit int) (_ []int32, ok bool) {
	g := &il.grid
	x0, y0, x1, y1 := cellRange(q)
	n := len(g.wide)
	for y := y0; y <= y1; y++ {
		n += int(g.start[y*gridSize+x1+1] - g.start[y*gridSize+x0])
	}
	scan := len(il.bounds)
	if limit > 0 && n > 0 {
		scan = min(scan, limit*len(il.bounds)/n)
	}
	// Reading a cell's item, checking it and sorting the survivors costs
	// a few times a plain scan's step.
	if 4*n > scan {
		return nil, false
	}
	var out []int32
	keep := func(items []int32) {
		for _, i := range items {
			if intersects(il.bounds[i], q) {
				out = append(out, i)
			}
		}
	}
	keep(g.wide)
	for y := y0; y <= y1; y++ {
		keep(g.items[g.start[y*gridSize+x0]:g.start[y*gridSize+x1+1]])
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// intersects is orb.Bound.Intersects, written out for the scan's loop.
func intersects(b, q orb.Bound) bool {
	return b.Max[0] >= q.Min[0] && b.Min[0] <= q.Max[0] && b.Max[1] >= q.Min[1] && b.Min[1] <= q.Max[1]
}

// noID marks a feature without an MVT id.
const noID = math.MaxUint64

// shapeFor returns feature i's geometry for tiles at zoom z, and whether
// it is simplified for z already. shapes[i][0] is the full geometry and
// shapes[i][1+z] the one simplified for zoom z (z < levelCount); a
// feature's levels stop where simplification leaves it whole.
func (il *indexedLayer) shapeFor(i int32, z uint32) (_ *shape, simplified bool) {
	s := il.shapes[i]
	if z >= levelCount {
		return &s[0], false
	}
	if int(z)+1 < len(s) {
		return &s[z+1], true
	}
	return &s[0], true
}

// shape is a geometry in world units with the bounds of its parts (the
// polygons of a MultiPolygon, the lines of a MultiLineString), so that a
// tile copies and clips only the parts it meets: a country with many
// islands, or a long coast, is mostly outside any one tile.
type shape struct {
	geometry orb.Geometry
	parts    []orb.Bound
	// gone: simplification left nothing to draw at this level.
	gone bool
	// grid: the geometry is valid polygons on the grid of its level's
	// zoom (gridPolygons), not in world units; parts are on that grid too.
	grid bool
}

func newShape(g orb.Geometry) shape {
	s := shape{geometry: g}
	switch g := g.(type) {
	case orb.MultiPolygon:
		for _, p := range g {
			s.parts = append(s.parts, p.Bound())
		}
	case orb.MultiLineString:
		for _, ls := range g {
			s.parts = append(s.parts, ls.Bound())
		}
	}
	return s
}

// gridShape is the shape of pl simplified for zoom z on its grid
// (polygonLevels.grid); ok is false when pl is nil or its polygons
// cannot be made valid on the grid, whole true when simplification keeps
// every point.
func gridShape(pl *polygonLevels, z int) (_ shape, whole, ok bool) {
	if pl == nil {
		return shape{}, false, false
	}
	grid, whole, ok := pl.grid(z)
	if !ok {
		return shape{}, false, false
	}
	if len(grid) == 0 {
		return shape{gone: true}, whole, true
	}
	s := newShape(grid)
	s.grid = true
	return s, whole, true
}

// gridTile cuts a shape on the grid to the buffered tile whose corner is
// at (ox, oy) on its grid, in tile units; nil when nothing is left.
func (s *shape) gridTile(ox, oy float64) orb.Geometry {
	q := orb.Bound{Min: orb.Point{ox - Buffer, oy - Buffer}, Max: orb.Point{ox + Extent + Buffer, oy + Extent + Buffer}}
	var meeting orb.MultiPolygon
	for i, p := range s.geometry.(orb.MultiPolygon) {
		if intersects(s.parts[i], q) {
			meeting = append(meeting, p)
		}
	}
	out := gridToTile(meeting, ox, oy)
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// clipTo returns a copy of the shape cut to the bound q (with the same
// bounds test as the scan's), nil when nothing is left.
func (s *shape) clipTo(q orb.Bound) orb.Geometry {
	if s.gone {
		return nil
	}
	switch g := s.geometry.(type) {
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for i, p := range g {
			if intersects(s.parts[i], q) {
				if c := clip.Polygon(q, orb.Clone(p).(orb.Polygon)); c != nil {
					out = append(out, c)
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.MultiLineString:
		var in orb.MultiLineString
		for i, ls := range g {
			if intersects(s.parts[i], q) {
				in = append(in, slices.Clone(ls))
			}
		}
		if len(in) == 0 {
			return nil
		}
		if c := clip.MultiLineString(q, in); len(c) > 0 {
			return c
		}
		return nil
	}
	return clip.Geometry(q, orb.Clone(s.geometry))
}

// meeting returns a copy of the parts of the shape whose bounds meet q,
// unclipped: the source of an exact cut (see fitToTile).
func (s *shape) meeting(q orb.Bound) orb.Geometry {
	switch g := s.geometry.(type) {
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for i, p := range g {
			if intersects(s.parts[i], q) {
				out = append(out, orb.Clone(p).(orb.Polygon))
			}
		}
		return out
	case orb.MultiLineString:
		var out orb.MultiLineString
		for i, ls := range g {
			if intersects(s.parts[i], q) {
				out = append(out, slices.Clone(ls))
			}
		}
		return out
	}
	return orb.Clone(s.geometry)
}

func versionOf(l geo.Layer) string {
	return l.Changed + "#" + strconv.FormatInt(l.Count, 10)
}

// layer returns layer l in memory; nil while it is being
// loaded, and when it is over the limits or failed to load: the caller
// then reads the store. A layer is loaded in the background, on its first
// tile and after each change, so that no request waits a second for a
// large layer to load; the store serves its tiles meanwhile.
func (x *Index) layer(ctx context.Context, l geo.Layer) *indexedLayer {
	e, _ := x.start(ctx, l)
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		return e.layer
	default:
		return nil
	}
}

// start returns the entry of l's current version, starting to load it if
// needed. One load runs per layer at a time: while an older version is
// still loading, start returns no entry and that older one as busy, and a
// later call loads the current version. No entry and no busy one: l is
// over the limits.
func (x *Index) start(ctx context.Context, l geo.Layer) (e, busy *indexEntry) {
	if l.Count > x.maxFeatures {
		return nil, nil
	}
	version := versionOf(l)
	x.mu.Lock()
	defer x.mu.Unlock()
	old, ok := x.layers[l.Name]
	if ok && old.version == version {
		return old, nil
	}
	if ok {
		select {
		case <-old.done:
		default:
			return nil, old
		}
	}
	e = &indexEntry{version: version, done: make(chan struct{})}
	x.layers[l.Name] = e
	go func() {
		// The load outlives the request that started it.
		e.layer, e.err = x.build(context.WithoutCancel(ctx), l)
		close(e.done)
	}()
	return e, nil
}

// Held returns, for each layer in memory, its number of features. Layers
// not yet loaded, being loaded, or over the limits are not in it.
func (x *Index) Held() map[string]int {
	x.mu.Lock()
	entries := maps.Clone(x.layers)
	x.mu.Unlock()
	out := map[string]int{}
	for name, e := range entries {
		select {
		case <-e.done:
			if e.layer != nil {
				out[name] = len(e.layer.ids)
			}
		default:
		}
	}
	return out
}

// Warm loads every given layer that is not in memory yet and waits for
// them, so that the first tiles after start are as fast as the rest.
func (x *Index) Warm(ctx context.Context, layers []geo.Layer) error {
	for _, l := range layers {
		for {
			e, busy := x.start(ctx, l)
			wait := e
			if wait == nil {
				wait = busy
			}
			if wait == nil {
				break // over the limits
			}
			select {
			case <-wait.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if e != nil {
				if e.err != nil {
					return fmt.Errorf("layer %s: %w", l.Name, e.err)
				}
				break
			}
		}
	}
	return nil
}

// errTooLarge stops a build that passed the vertex limit.
var errTooLarge = fmt.Errorf("layer too large to hold in memory")

func (x *Index) build(ctx context.Context, l geo.Layer) (*indexedLayer, error) {
	out := &indexedLayer{ids: make([]uint64, 0, l.Count), shapes: make([][]shape, 0, l.Count), points: true}
	magnitude, bySeverity := severityColumn(l)
	thin := isPointLayer(l)
	var severity []float64 // by feature when bySeverity
	var props []geojson.Properties
	vertices := 0
	err := x.source.Features(ctx, l.Name, geo.Query{}, func(f geo.Feature) error {
		if f.Geometry == nil {
			return nil
		}
		if vertices += geo.CountPositions(f.Geometry); vertices > x.maxVertices {
			return errTooLarge
		}
		full := ProjectGeometry(orb.Clone(f.Geometry), toWorld)
		shapes := []shape{newShape(full)}
		if _, ok := full.(orb.Point); !ok {
			out.points = false
		}
		if full.Dimensions() > 0 {
			n := geo.CountPositions(full)
			var pl *polygonLevels
			if mp, ok := asPolygons(full); ok {
				pl = newPolygonLevels(mp)
			}
			for z := range levelCount {
				level, whole, ok := gridShape(pl, z)
				if !ok {
					g := simplify.DouglasPeucker(Tolerance / (Extent * float64(uint64(1)<<z))).Simplify(orb.Clone(full))
					if g == nil {
						shapes = append(shapes, shape{gone: true})
						continue
					}
					level, whole = newShape(g), geo.CountPositions(g) == n
				}
				if whole {
					// Simplification removes nothing from here on: the
					// full geometry serves.
					break
				}
				if !level.gone {
					if vertices += geo.CountPositions(level.geometry); vertices > x.maxVertices {
						return errTooLarge
					}
				}
				shapes = append(shapes, level)
			}
		}
		id := uint64(noID)
		if v, ok := mvtID(f, l.Schema.HasID).(uint64); ok {
			id = v
		}
		out.ids = append(out.ids, id)
		out.shapes = append(out.shapes, shapes)
		props = append(props, properties(f, l.Schema.HasID))
		if thin && bySeverity {
			severity = append(severity, severityOf(f.Properties[magnitude]))
		}
		return nil
	})
	if err == errTooLarge {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if thin && bySeverity {
		// Most severe first, unknowns last, ties in fid order: the order
		// the SQL path's ORDER BY killed DESC, fid gives.
		order := make([]int, len(out.ids))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(severity[b], severity[a]) })
		out.ids = permute(out.ids, order)
		out.shapes = permute(out.shapes, order)
		props = permute(props, order)
	}
	if err := out.intern(props); err != nil {
		return nil, err
	}
	out.bounds = make([]orb.Bound, len(out.ids))
	for i, s := range out.shapes {
		out.bounds[i] = s[0].geometry.Bound()
	}
	if out.points {
		out.shapes = nil
	}
	out.grid = newGrid(out.bounds)
	return out, nil
}

// intern has orb's encoder intern the properties of every feature, in
// one layer with a stand-in geometry, and keeps its tables.
func (il *indexedLayer) intern(props []geojson.Properties) error {
	layer := &mvt.Layer{Name: "intern", Features: make([]*geojson.Feature, len(props))}
	for i, p := range props {
		layer.Features[i] = &geojson.Feature{Type: "Feature", Geometry: orb.Point{}, Properties: p}
	}
	vt, err := mvt.MarshalToVectorTile(mvt.Layers{layer})
	if err != nil {
		return err
	}
	vl := vt.Layers[0]
	il.keys = vl.Keys
	il.valueStart = make([]int32, len(vl.Values)+1)
	for i, v := range vl.Values {
		b, err := v.Marshal()
		if err != nil {
			return err
		}
		il.values = append(il.values, b...)
		il.valueStart[i+1] = int32(len(il.values))
	}
	il.tagStart = make([]int32, len(vl.Features)+1)
	for i, f := range vl.Features {
		il.tags = append(il.tags, f.Tags...)
		il.tagStart[i+1] = int32(len(il.tags))
	}
	return nil
}

// tag gives the tile layer vl the properties of the index's features
// picked[i] for its features i: its key table, and the tags numbered as
// orb's encoder would have numbered them from the properties. It returns
// the layer's value table, as the numbers of the index's values in the
// tile's order, for marshal to write.
func (il *indexedLayer) tag(vl *vectortile.Tile_Layer, picked []int32) (values []uint32) {
	r, _ := il.renumberings.Get().(*renumbering)
	if r == nil {
		r = &renumbering{keys: make([]uint64, len(il.keys)), values: make([]uint64, len(il.valueStart)-1)}
	}
	defer il.renumberings.Put(r)
	if r.stamp++; r.stamp == 0 {
		// After 2^32 tiles, begin again from clean tables.
		clear(r.keys)
		clear(r.values)
		r.stamp = 1
	}
	var keys []string
	values = make([]uint32, 0, 2*len(picked))
	tags := make([]uint32, 0, len(picked)*8)
	for i, f := range vl.Features {
		start := len(tags)
		global := il.tags[il.tagStart[picked[i]]:il.tagStart[picked[i]+1]]
		for j := 0; j+1 < len(global); j += 2 {
			k, isNew := r.number(r.keys, global[j], len(keys))
			if isNew {
				keys = append(keys, il.keys[global[j]])
			}
			v, isNew := r.number(r.values, global[j+1], len(values))
			if isNew {
				values = append(values, global[j+1])
			}
			tags = append(tags, k, v)
		}
		f.Tags = tags[start:len(tags):len(tags)]
	}
	vl.Keys = keys
	return values
}

// marshal appends to b the protobuf of the tile layer vl (whose Values
// are left empty) with the index's values in the given order spliced in
// where the encoder writes values: after the keys (field 3), before the
// extent (5) and version (15), so the bytes are those orb's encoder
// writes for the same layer.
func (il *indexedLayer) marshal(b []byte, vl *vectortile.Tile_Layer, values []uint32) ([]byte, error) {
	head, err := vl.Marshal()
	if err != nil {
		return nil, err
	}
	tail := (&vectortile.Tile_Layer{Extent: vl.Extent, Version: vl.Version}).Size()
	size := len(head)
	for _, v := range values {
		n := int(il.valueStart[v+1] - il.valueStart[v])
		size += 1 + varintSize(n) + n
	}
	b = slices.Grow(b, 1+varintSize(size)+size)
	b = appendField(b, tileLayersField, size)
	b = append(b, head[:len(head)-tail]...)
	for _, v := range values {
		value := il.values[il.valueStart[v]:il.valueStart[v+1]]
		b = appendField(b, layerValuesField, len(value))
		b = append(b, value...)
	}
	return append(b, head[len(head)-tail:]...), nil
}

// Protobuf field keys (field number << 3 | wire type 2, length-delimited)
// of the vector tile schema: Tile.layers is 3, Layer.values 4.
const (
	tileLayersField  = 3<<3 | 2
	layerValuesField = 4<<3 | 2
)

// appendField appends a length-delimited field's key and length.
func appendField(b []byte, key byte, n int) []byte {
	return binary.AppendUvarint(append(b, key), uint64(n))
}

func varintSize(n int) int {
	size := 1
	for n >= 0x80 {
		n >>= 7
		size++
	}
	return size
}

// permute returns s in the given order: element i is s[order[i]].
func permute[T any](s []T, order []int) []T {
	out := make([]T, len(order))
	for i, j := range order {
		out[i] = s[j]
	}
	return out
}

// severityOf maps a severity value to a number that sorts unknowns last.
func severityOf(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return math.Inf(-1)
}

// toWorld is Web Mercator scaled to the unit square, y down.
func toWorld(p orb.Point) orb.Point {
	x, y := WorldPixel(p, 0, 1)
	return orb.Point{x, y}
}
