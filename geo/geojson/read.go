// Package geojson reads GeoJSON (RFC 7946) as a stream of features and writes
// features as GeoJSON; it imports geo.
package geojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// maxCollectionDepth caps GeometryCollections inside each other.
const maxCollectionDepth = 4

// Reader decodes a GeoJSON document (RFC 7946) from a stream: the
// features of a FeatureCollection come one at a time, so a file of any
// length costs the memory of one feature. It is its own JSON scanner, so
// it knows the line of every feature and stops at the limits above at
// once rather than after reading a value whole.
type Reader struct {
	src  io.Reader
	buf  []byte
	pos  int
	end  int
	eof  bool
	rerr error

	line      int   // current line, 1-based
	lineStart int64 // offset of the current line's first byte
	offset    int64 // offset of buf[0]

	state    int
	topType  string
	sawFeats bool
	// streamed counts the features read from a "features" array met
	// before "type": they were handed out before the type was known.
	streamed int
	index    int
	top      *rawFeature // members of a top-level Feature or geometry
	order    []string
	seen     map[string]bool
	// firstMember is true between an object's { and its first key.
	firstMember bool
	numBuf      []byte
	strBuf      []byte
}

const (
	gjStart = iota
	gjMembers
	gjFeatures
	gjEnd
	gjDone
)

func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 64<<10), line: 1, seen: map[string]bool{}}
}

func (g *Reader) Properties() []string { return g.order }

// rawFeature holds the members of one Feature object as they are read;
// the geometry needs its "type", which may come after its coordinates.
type rawFeature struct {
	typ      string
	id       string
	idErr    error
	geometry *rawGeometry
	geomNull bool
	props    map[string]any
	propsBad bool
	order    []string
}

type rawGeometry struct {
	typ        string
	coords     *coordTree
	geometries []*rawGeometry
	hasGeoms   bool
	line, col  int
}

// coordTree is a coordinates array of any depth, flattened: the positions
// in document order, and for each nesting level (0 = the outer array) the
// number of children of each array at that level, in document order. A
// geometry's type then says how deep the positions must be.
type coordTree struct {
	pts      []orb.Point
	posLevel int      // level of the positions; -1 when there are none
	counts   [4][]int // counts[L]: children of each array at level L
	bad      string   // why the shape is wrong; "" when it is fine
}

// Read returns the next feature. It runs the document's states: its
// start, its members, the features of its "features" array and its end.
func (g *Reader) Read() (geo.Record, error) {
	for {
		var rec geo.Record
		var done bool
		var err error
		switch g.state {
		case gjStart:
			err = g.start()
		case gjMembers:
			rec, done, err = g.topMember()
		case gjFeatures:
			rec, done, err = g.afterFeature()
		case gjEnd:
			return g.docEnd()
		case gjDone:
			return geo.Record{}, io.EOF
		}
		if done || err != nil {
			return rec, err
		}
	}
}

// start reads the document's { (after a byte order mark, if any).
func (g *Reader) start() error {
	c, err := g.peek()
	if err == io.EOF {
		return &geo.InvalidError{Msg: "not valid JSON: the input is empty"}
	}
	if err != nil {
		return err
	}
	if c == 0xEF && g.lookAhead("\xEF\xBB\xBF") {
		g.pos += 3 // a UTF-8 byte order mark
		return nil
	}
	if c != '{' {
		if c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n' {
			return g.errHere("not GeoJSON: a GeoJSON document is a JSON object, found %s", describeByte(c))
		}
		return g.errHere("not valid JSON: unexpected %s", describeByte(c))
	}
	g.pos++
	g.top = &rawFeature{}
	g.state = gjMembers
	return g.expectFirstMember()
}

// topMember reads the document's next member; done when it is a
// "features" array whose first feature it returns.
func (g *Reader) topMember() (rec geo.Record, done bool, err error) {
	key, ok, err := g.nextMember()
	if err != nil {
		return geo.Record{}, false, err
	}
	if !ok {
		g.state = gjEnd
		return geo.Record{}, false, nil
	}
	switch key {
	case "type":
		return geo.Record{}, false, g.topTypeMember()
	case "features":
		return g.featuresMember()
	case "geometry", "properties", "id", "coordinates", "geometries":
		return geo.Record{}, false, g.featureMember(g.top, key, 0)
	default:
		return geo.Record{}, false, g.skipValue(0)
	}
}

// topTypeMember reads the document's "type".
func (g *Reader) topTypeMember() error {
	c, err := g.nonSpace()
	if err != nil {
		return err
	}
	if c != '"' {
		return g.errHere(`not GeoJSON: "type" must be a string`)
	}
	s, err := g.readString()
	if err != nil {
		return err
	}
	g.topType = s
	return nil
}

// featuresMember reads the start of a "features" array and returns its
// first feature (done); null and [] hold none.
func (g *Reader) featuresMember() (rec geo.Record, done bool, err error) {
	if g.topType != "" && g.topType != "FeatureCollection" {
		// RFC 7946 §6.1: a foreign member of a Feature or a
		// geometry, not features of the document.
		return geo.Record{}, false, g.skipValue(0)
	}
	c, err := g.nonSpace()
	if err != nil {
		return geo.Record{}, false, err
	}
	g.sawFeats = true
	if c == 'n' {
		return geo.Record{}, false, g.literal("null")
	}
	if c != '[' {
		return geo.Record{}, false, g.errHere(`"features" must be an array`)
	}
	g.pos++
	c, err = g.nonSpace()
	if err != nil {
		return geo.Record{}, false, err
	}
	if c == ']' {
		g.pos++
		return geo.Record{}, false, nil
	}
	g.state = gjFeatures
	rec, err = g.readFeature()
	return rec, true, err
}

// afterFeature reads what follows a feature of the array: a , and the
// next feature (done), or the array's ].
func (g *Reader) afterFeature() (rec geo.Record, done bool, err error) {
	c, err := g.nonSpace()
	if err != nil {
		return geo.Record{}, false, err
	}
	switch c {
	case ',':
		g.pos++
		rec, err = g.readFeature()
		return rec, true, err
	case ']':
		g.pos++
		g.state = gjMembers
		return geo.Record{}, false, nil
	}
	return geo.Record{}, false, g.errHere("not valid JSON: want , or ] after a feature, found %s", describeByte(c))
}

// docEnd checks that nothing follows the document, then finishes it.
func (g *Reader) docEnd() (geo.Record, error) {
	g.state = gjDone
	c, err := g.peek()
	if err == nil {
		return geo.Record{}, g.errHere("not valid JSON: %s after the end of the document", describeByte(c))
	}
	if err != io.EOF {
		return geo.Record{}, err
	}
	return g.finish()
}

// finish checks the document's type once all of it is read, and returns a
// top-level Feature or geometry as the one record.
func (g *Reader) finish() (geo.Record, error) {
	switch g.topType {
	case "FeatureCollection":
		if !g.sawFeats {
			return geo.Record{}, &geo.InvalidError{Msg: `FeatureCollection has no "features" array`}
		}
		return geo.Record{}, io.EOF
	case "Feature", "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		if g.streamed > 0 {
			// Features already handed out cannot be taken back, and a
			// stream is read once: refuse rather than import a foreign
			// member as data.
			return geo.Record{}, &geo.InvalidError{Msg: fmt.Sprintf(`not GeoJSON: a %s has a "features" member before its "type"; put "type" first, or remove "features" (it is not part of a %s)`, g.topType, g.topType)}
		}
	}
	switch g.topType {
	case "Feature":
		g.top.typ = "Feature"
		rec := g.makeRecord(g.top, 1)
		g.index++
		if rec.Err != nil {
			where := "feature 1 at line 1, column 1"
			if g.top.id != "" {
				where = fmt.Sprintf("feature 1 (id %q) at line 1, column 1", g.top.id)
			}
			rec.Err.(*geo.InvalidError).Where = where
		}
		return rec, nil
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		rg := &rawGeometry{typ: g.topType, coords: g.top.geometry.coordsOrNil(), line: 1, col: 1}
		if g.top.geometry != nil {
			rg.geometries, rg.hasGeoms = g.top.geometry.geometries, g.top.geometry.hasGeoms
		}
		geom, err := rg.build(0)
		if err == nil {
			err = geo.ValidateGeometry(geom)
		}
		g.index++
		if err != nil {
			return geo.Record{Line: 1, Err: &geo.InvalidError{Where: "geometry", Msg: err.Error()}}, nil
		}
		return geo.Record{Line: 1, Feature: geo.Feature{Geometry: geom, Properties: map[string]any{}}}, nil
	case "":
		if g.sawFeats {
			return geo.Record{}, &geo.InvalidError{Msg: `not GeoJSON: the top-level object has "features" but no "type"`}
		}
		return geo.Record{}, &geo.InvalidError{Msg: `not GeoJSON: the top-level object has no "type"`}
	}
	return geo.Record{}, &geo.InvalidError{Msg: fmt.Sprintf("not GeoJSON: the top-level type is %q; want FeatureCollection, Feature or a geometry", g.topType)}
}

func (r *rawGeometry) coordsOrNil() *coordTree {
	if r == nil {
		return nil
	}
	return r.coords
}

// readFeature reads one element of the "features" array.
func (g *Reader) readFeature() (geo.Record, error) {
	if g.topType == "" {
		g.streamed++
	}
	c, err := g.nonSpace()
	if err != nil {
		return geo.Record{}, err
	}
	line, col := g.line, g.col()
	n := g.index
	g.index++
	if c != '{' {
		// Not an object: skip it whole, so that the rest can still be read.
		if err := g.skipValue(0); err != nil {
			return geo.Record{}, err
		}
		return geo.Record{Line: line, Err: &geo.InvalidError{Where: fmt.Sprintf("feature %d at line %d, column %d", n+1, line, col), Msg: "a feature must be a JSON object"}}, nil
	}
	g.pos++
	rf := &rawFeature{}
	if err := g.expectFirstMember(); err != nil {
		return geo.Record{}, err
	}
	for {
		key, ok, err := g.nextMember()
		if err != nil {
			return geo.Record{}, err
		}
		if !ok {
			break
		}
		switch key {
		case "type":
			c, err := g.nonSpace()
			if err != nil {
				return geo.Record{}, err
			}
			if c != '"' {
				rf.typ = ""
				if err := g.skipValue(0); err != nil {
					return geo.Record{}, err
				}
				continue
			}
			s, err := g.readString()
			if err != nil {
				return geo.Record{}, err
			}
			rf.typ = s
		case "geometry", "properties", "id":
			if err := g.featureMember(rf, key, 0); err != nil {
				return geo.Record{}, err
			}
		default:
			if err := g.skipValue(0); err != nil {
				return geo.Record{}, err
			}
		}
	}
	rec := g.makeRecord(rf, line)
	if rec.Err != nil {
		ie := rec.Err.(*geo.InvalidError)
		where := fmt.Sprintf("feature %d at line %d, column %d", n+1, line, col)
		if rf.id != "" {
			where = fmt.Sprintf("feature %d (id %q) at line %d, column %d", n+1, rf.id, line, col)
		}
		ie.Where = where
	}
	return rec, nil
}

// makeRecord checks a feature's members and builds it.
func (g *Reader) makeRecord(rf *rawFeature, line int) geo.Record {
	rec := geo.Record{Line: line}
	fail := func(format string, args ...any) geo.Record {
		rec.Err = &geo.InvalidError{Msg: fmt.Sprintf(format, args...)}
		return rec
	}
	rec.Feature.ID = rf.id
	if rf.idErr != nil {
		return fail("%v", rf.idErr)
	}
	if rf.typ != "Feature" {
		return fail(`"type" is %q; want "Feature"`, rf.typ)
	}
	if rf.propsBad {
		return fail(`"properties" must be an object or null`)
	}
	if rf.geometry != nil {
		geom, err := rf.geometry.build(0)
		if err != nil {
			return fail("geometry: %v", err)
		}
		if err := geo.ValidateGeometry(geom); err != nil {
			return fail("geometry: %v", err)
		}
		rec.Feature.Geometry = geom
	}
	rec.Feature.Properties = rf.props
	if rec.Feature.Properties == nil {
		rec.Feature.Properties = map[string]any{}
	}
	for _, k := range rf.order {
		if !g.seen[k] {
			g.seen[k] = true
			g.order = append(g.order, k)
		}
	}
	return rec
}

// featureMember reads the id, geometry or properties of a feature (or the
// coordinates and geometries of a top-level geometry).
func (g *Reader) featureMember(rf *rawFeature, key string, depth int) error {
	switch key {
	case "id":
		c, err := g.nonSpace()
		if err != nil {
			return err
		}
		switch {
		case c == '"':
			s, err := g.readString()
			if err != nil {
				return err
			}
			rf.id, rf.idErr = s, nil
			if s == "" {
				rf.idErr = errors.New(`"id" is an empty string`)
			}
		case c == '-' || (c >= '0' && c <= '9'):
			num, err := g.readNumber()
			if err != nil {
				return err
			}
			rf.id, rf.idErr = string(num), nil
		case c == 'n':
			rf.id, rf.idErr = "", nil
			return g.literal("null")
		default:
			rf.idErr = errors.New(`"id" must be a string or a number`)
			return g.skipValue(depth)
		}
	case "geometry":
		c, err := g.nonSpace()
		if err != nil {
			return err
		}
		if c == 'n' {
			rf.geometry = nil
			return g.literal("null")
		}
		rg, err := g.readGeometry(0)
		if err != nil {
			return err
		}
		rf.geometry = rg
	case "properties":
		c, err := g.nonSpace()
		if err != nil {
			return err
		}
		if c == 'n' {
			rf.props, rf.order, rf.propsBad = nil, nil, false
			return g.literal("null")
		}
		if c != '{' {
			rf.propsBad = true
			return g.skipValue(depth)
		}
		props, order, err := g.readProperties()
		if err != nil {
			return err
		}
		rf.props, rf.order, rf.propsBad = props, order, false
	case "coordinates":
		if rf.geometry == nil {
			rf.geometry = &rawGeometry{line: g.line, col: g.col()}
		}
		ct, err := g.readCoordinates()
		if err != nil {
			return err
		}
		rf.geometry.coords = ct
	case "geometries":
		if rf.geometry == nil {
			rf.geometry = &rawGeometry{line: g.line, col: g.col()}
		}
		gs, err := g.readGeometries(0)
		if err != nil {
			return err
		}
		rf.geometry.geometries, rf.geometry.hasGeoms = gs, gs != nil
	}
	return nil
}

// readGeometry reads a geometry object; its errors of shape are kept for
// build, its syntax errors are returned.
func (g *Reader) readGeometry(level int) (*rawGeometry, error) {
	rg := &rawGeometry{line: g.line, col: g.col()}
	c, err := g.nonSpace()
	if err != nil {
		return nil, err
	}
	if c != '{' {
		rg.typ = "\x00not an object"
		return rg, g.skipValue(0)
	}
	g.pos++
	if err := g.expectFirstMember(); err != nil {
		return nil, err
	}
	for {
		key, ok, err := g.nextMember()
		if err != nil {
			return nil, err
		}
		if !ok {
			return rg, nil
		}
		switch key {
		case "type":
			c, err := g.nonSpace()
			if err != nil {
				return nil, err
			}
			if c != '"' {
				rg.typ = "\x00type not a string"
				if err := g.skipValue(0); err != nil {
					return nil, err
				}
				continue
			}
			s, err := g.readString()
			if err != nil {
				return nil, err
			}
			rg.typ = s
		case "coordinates":
			ct, err := g.readCoordinates()
			if err != nil {
				return nil, err
			}
			rg.coords = ct
		case "geometries":
			if level >= maxCollectionDepth {
				return nil, g.errHere("GeometryCollections nest deeper than %d", maxCollectionDepth)
			}
			gs, err := g.readGeometries(level + 1)
			if err != nil {
				return nil, err
			}
			rg.geometries, rg.hasGeoms = gs, gs != nil
		default:
			if err := g.skipValue(0); err != nil {
				return nil, err
			}
		}
	}
}

func (g *Reader) readGeometries(level int) ([]*rawGeometry, error) {
	c, err := g.nonSpace()
	if err != nil {
		return nil, err
	}
	if c == 'n' {
		return nil, g.literal("null")
	}
	if c != '[' {
		return nil, g.skipValue(0) // no members: "needs geometries"
	}
	g.pos++
	out := []*rawGeometry{}
	for i := 0; ; i++ {
		c, err := g.nonSpace()
		if err != nil {
			return nil, err
		}
		if c == ']' {
			g.pos++
			return out, nil
		}
		if i > 0 {
			if c != ',' {
				return nil, g.errHere("not valid JSON: want , or ] in an array, found %s", describeByte(c))
			}
			g.pos++
		}
		rg, err := g.readGeometry(level)
		if err != nil {
			return nil, err
		}
		out = append(out, rg)
	}
}

// readCoordinates reads a coordinates array of any depth into a flat
// tree, refusing more than MaxGeometryPositions positions.
func (g *Reader) readCoordinates() (*coordTree, error) {
	c, err := g.nonSpace()
	if err != nil {
		return nil, err
	}
	ct := &coordTree{posLevel: -1}
	if c != '[' {
		ct.bad = "coordinates must be an array"
		return ct, g.skipValue(0)
	}
	return ct, g.coordArray(ct, 0)
}

// coordArray reads one array of coordinates at level (0 = outermost): a
// position when it holds numbers, otherwise an array of arrays.
func (g *Reader) coordArray(ct *coordTree, level int) error {
	g.pos++ // [
	c, err := g.nonSpace()
	if err != nil {
		return err
	}
	if c == ']' {
		g.pos++
		ct.counts[level] = append(ct.counts[level], 0)
		return nil
	}
	if c == '[' {
		return g.coordArrays(ct, level)
	}
	return g.position(ct, level)
}

// coordArrays reads the rest of an array of arrays, past its ].
func (g *Reader) coordArrays(ct *coordTree, level int) error {
	if level >= 3 {
		return g.errHere("coordinates nest deeper than a MultiPolygon's")
	}
	n := 0
	for {
		c, err := g.nonSpace()
		if err != nil {
			return err
		}
		if n > 0 {
			if c == ']' {
				g.pos++
				break
			}
			if c != ',' {
				return g.errHere("not valid JSON: want , or ] in an array, found %s", describeByte(c))
			}
			g.pos++
			if c, err = g.nonSpace(); err != nil {
				return err
			}
		}
		if c == '[' {
			if err := g.coordArray(ct, level+1); err != nil {
				return err
			}
		} else {
			ct.bad = "coordinates mix arrays and other values"
			if err := g.skipValue(level); err != nil {
				return err
			}
		}
		n++
	}
	ct.counts[level] = append(ct.counts[level], n)
	return nil
}

// position reads the rest of a position, past its ]: two or more
// numbers; a third (height) is dropped.
func (g *Reader) position(ct *coordTree, level int) error {
	var xy [2]float64
	n := 0
	for {
		c, err := g.nonSpace()
		if err != nil {
			return err
		}
		if n > 0 {
			if c == ']' {
				g.pos++
				break
			}
			if c != ',' {
				return g.errHere("not valid JSON: want , or ] in a position, found %s", describeByte(c))
			}
			g.pos++
			if c, err = g.nonSpace(); err != nil {
				return err
			}
		}
		if c != '-' && (c < '0' || c > '9') {
			ct.bad = "a position holds something other than numbers"
			if err := g.skipValue(level); err != nil {
				return err
			}
			n++
			continue
		}
		num, err := g.readNumber()
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
		if err != nil || math.IsInf(f, 0) {
			ct.bad = fmt.Sprintf("number %.30s is out of range", num)
		}
		if n < 2 {
			xy[n] = f
		}
		n++
	}
	if n < 2 {
		ct.bad = "a position needs at least 2 numbers, longitude and latitude"
	}
	if ct.posLevel == -1 {
		ct.posLevel = level
	} else if ct.posLevel != level {
		ct.bad = "positions sit at different depths"
	}
	if len(ct.pts) >= geo.MaxGeometryPositions {
		return g.errHere("a geometry has more than %d positions, the most one feature may have", geo.MaxGeometryPositions)
	}
	ct.pts = append(ct.pts, orb.Point(xy))
	return nil
}

var geometryDepth = map[string]int{"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}

// build turns a raw geometry into an orb geometry, checking its type and
// the shape of its coordinates.
func (r *rawGeometry) build(level int) (orb.Geometry, error) {
	switch r.typ {
	case "GeometryCollection":
		if !r.hasGeoms {
			return nil, errors.New(`a GeometryCollection needs "geometries"`)
		}
		out := orb.Collection{}
		for i, m := range r.geometries {
			mg, err := m.build(level + 1)
			if err != nil {
				return nil, fmt.Errorf("member %d: %w", i+1, err)
			}
			out = append(out, mg)
		}
		return out, nil
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon":
	case "", "\x00type not a string":
		return nil, errors.New("unknown or missing geometry type")
	case "\x00not an object":
		return nil, errors.New("a geometry must be a JSON object or null")
	default:
		return nil, fmt.Errorf("unknown geometry type %q", r.typ)
	}
	ct := r.coords
	if ct == nil {
		return nil, fmt.Errorf(`a %s needs "coordinates"`, r.typ)
	}
	if ct.bad != "" {
		return nil, fmt.Errorf("%s (%s)", errShape, ct.bad)
	}
	d := geometryDepth[r.typ]
	if len(ct.pts) > 0 && ct.posLevel != d-1 {
		return nil, fmt.Errorf("%w for a %s: positions are %d arrays deep, want %d", errShape, r.typ, ct.posLevel+1, d)
	}
	for l := max(d-1, 0); l < len(ct.counts); l++ {
		if len(ct.counts[l]) > 0 {
			if d == 1 {
				return nil, fmt.Errorf("%w for a Point: want [longitude, latitude]", errShape)
			}
			return nil, fmt.Errorf("%w for a %s: an empty array where a position should be", errShape, r.typ)
		}
	}
	pts := ct.pts
	if pts == nil {
		pts = []orb.Point{}
	}
	switch r.typ {
	case "Point":
		return pts[0], nil
	case "MultiPoint":
		return orb.MultiPoint(pts), nil
	case "LineString":
		return orb.LineString(pts), nil
	case "MultiLineString", "Polygon":
		var rings [][]orb.Point
		k := 0
		for _, n := range ct.counts[1] {
			rings = append(rings, pts[k:k+n:k+n])
			k += n
		}
		if r.typ == "Polygon" {
			p := make(orb.Polygon, len(rings))
			for i, ring := range rings {
				p[i] = orb.Ring(ring)
			}
			return p, nil
		}
		m := make(orb.MultiLineString, len(rings))
		for i, l := range rings {
			m[i] = orb.LineString(l)
		}
		return m, nil
	default: // MultiPolygon
		mp := make(orb.MultiPolygon, 0, len(ct.counts[1]))
		k, ri := 0, 0
		for _, nr := range ct.counts[1] {
			p := make(orb.Polygon, 0, nr)
			for range nr {
				n := ct.counts[2][ri]
				ri++
				p = append(p, orb.Ring(pts[k:k+n:k+n]))
				k += n
			}
			mp = append(mp, p)
		}
		return mp, nil
	}
}

// errShape marks coordinates whose nesting does not fit the type.
var errShape = errors.New("coordinates have the wrong shape")

// readProperties reads the properties object: numbers become int64 where
// they are integers and float64 otherwise; nested objects and arrays stay
// as maps and slices (stored as JSON text).
func (g *Reader) readProperties() (map[string]any, []string, error) {
	g.pos++ // {
	props := map[string]any{}
	var order []string
	if err := g.expectFirstMember(); err != nil {
		return nil, nil, err
	}
	for {
		key, ok, err := g.nextMember()
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return props, order, nil
		}
		v, err := g.readValue(1, true)
		if err != nil {
			return nil, nil, err
		}
		if _, dup := props[key]; !dup {
			order = append(order, key)
		}
		props[key] = v
	}
}

// readValue reads any JSON value. Numbers at the top of the properties
// become int64 or float64; deeper ones keep their text (json.Number), as
// encoding/json with UseNumber would leave them.
func (g *Reader) readValue(depth int, top bool) (any, error) {
	if depth > geo.MaxNesting {
		return nil, g.errHere("values nest deeper than %d levels", geo.MaxNesting)
	}
	c, err := g.nonSpace()
	if err != nil {
		return nil, err
	}
	switch {
	case c == '"':
		return g.readString()
	case c == '{':
		g.pos++
		m := map[string]any{}
		if err := g.expectFirstMember(); err != nil {
			return nil, err
		}
		for {
			key, ok, err := g.nextMember()
			if err != nil {
				return nil, err
			}
			if !ok {
				return m, nil
			}
			v, err := g.readValue(depth+1, false)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
	case c == '[':
		g.pos++
		a := []any{}
		for i := 0; ; i++ {
			c, err := g.nonSpace()
			if err != nil {
				return nil, err
			}
			if c == ']' {
				g.pos++
				return a, nil
			}
			if i > 0 {
				if c != ',' {
					return nil, g.errHere("not valid JSON: want , or ] in an array, found %s", describeByte(c))
				}
				g.pos++
			}
			v, err := g.readValue(depth+1, false)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == 't':
		return true, g.literal("true")
	case c == 'f':
		return false, g.literal("false")
	case c == 'n':
		return nil, g.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := g.readNumber()
		if err != nil {
			return nil, err
		}
		if !top {
			return json.Number(num), nil
		}
		return normalizeNumber(json.Number(num)), nil
	}
	return nil, g.errHere("not valid JSON: unexpected %s", describeByte(c))
}

// skipValue reads a value and forgets it.
func (g *Reader) skipValue(depth int) error {
	if depth > geo.MaxNesting {
		return g.errHere("values nest deeper than %d levels", geo.MaxNesting)
	}
	c, err := g.nonSpace()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		_, err := g.readStringBytes()
		return err
	case c == '{':
		g.pos++
		if err := g.expectFirstMember(); err != nil {
			return err
		}
		for {
			_, ok, err := g.nextMember()
			if err != nil || !ok {
				return err
			}
			if err := g.skipValue(depth + 1); err != nil {
				return err
			}
		}
	case c == '[':
		g.pos++
		for i := 0; ; i++ {
			c, err := g.nonSpace()
			if err != nil {
				return err
			}
			if c == ']' {
				g.pos++
				return nil
			}
			if i > 0 {
				if c != ',' {
					return g.errHere("not valid JSON: want , or ] in an array, found %s", describeByte(c))
				}
				g.pos++
			}
			if err := g.skipValue(depth + 1); err != nil {
				return err
			}
		}
	case c == 't':
		return g.literal("true")
	case c == 'f':
		return g.literal("false")
	case c == 'n':
		return g.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := g.readNumber()
		return err
	}
	return g.errHere("not valid JSON: unexpected %s", describeByte(c))
}

// expectFirstMember is called after {: it leaves the reader before the
// first key or the closing }.
func (g *Reader) expectFirstMember() error {
	g.firstMember = true
	return nil
}

// nextMember reads `"key":` (after a , when it is not the first), or the
// closing } (ok false).
func (g *Reader) nextMember() (string, bool, error) {
	c, err := g.nonSpace()
	if err != nil {
		return "", false, err
	}
	if c == '}' {
		g.pos++
		g.firstMember = false
		return "", false, nil
	}
	if !g.firstMember {
		if c != ',' {
			return "", false, g.errHere("not valid JSON: want , or } in an object, found %s", describeByte(c))
		}
		g.pos++
		if c, err = g.nonSpace(); err != nil {
			return "", false, err
		}
	}
	if c != '"' {
		return "", false, g.errHere("not valid JSON: want a \"key\" in an object, found %s", describeByte(c))
	}
	key, err := g.readString()
	if err != nil {
		return "", false, err
	}
	c, err = g.nonSpace()
	if err != nil {
		return "", false, err
	}
	if c != ':' {
		return "", false, g.errHere("not valid JSON: want : after an object key, found %s", describeByte(c))
	}
	g.pos++
	g.firstMember = false
	return key, true, nil
}

// The scanner: bytes come through a buffer refilled from the source, and
// the line and column of the current byte are always known.

// more makes at least one unread byte available; io.EOF at the end.
func (g *Reader) more() error {
	if g.pos < g.end {
		return nil
	}
	if g.eof {
		if g.rerr != nil {
			return g.rerr
		}
		return io.EOF
	}
	g.offset += int64(g.end)
	g.pos, g.end = 0, 0
	for g.end == 0 {
		n, err := g.src.Read(g.buf)
		g.end = n
		if err != nil {
			g.eof = true
			if err != io.EOF {
				g.rerr = err
			}
			if n == 0 {
				if g.rerr != nil {
					return g.rerr
				}
				return io.EOF
			}
		}
	}
	return nil
}

// peek returns the next byte that is not white space, without taking it.
func (g *Reader) peek() (byte, error) {
	for {
		if err := g.more(); err != nil {
			return 0, err
		}
		for g.pos < g.end {
			c := g.buf[g.pos]
			switch c {
			case ' ', '\t', '\r':
				g.pos++
			case '\n':
				g.pos++
				g.line++
				g.lineStart = g.offset + int64(g.pos)
			default:
				return c, nil
			}
		}
	}
}

// nonSpace is peek where the document cannot end yet.
func (g *Reader) nonSpace() (byte, error) {
	c, err := g.peek()
	if err == io.EOF {
		return 0, &geo.InvalidError{Msg: fmt.Sprintf("not valid JSON: the input ends too early (at line %d)", g.line)}
	}
	return c, err
}

func (g *Reader) col() int { return int(g.offset+int64(g.pos)-g.lineStart) + 1 }

func (g *Reader) errHere(format string, args ...any) error {
	return &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", g.line, g.col()), Msg: fmt.Sprintf(format, args...)}
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// literal takes true, false or null.
func (g *Reader) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if err := g.more(); err != nil {
			if err == io.EOF {
				return &geo.InvalidError{Msg: fmt.Sprintf("not valid JSON: the input ends too early (at line %d)", g.line)}
			}
			return err
		}
		if g.buf[g.pos] != word[i] {
			return g.errHere("not valid JSON: unexpected %s", describeByte(g.buf[g.pos]))
		}
		g.pos++
	}
	return nil
}

// readNumber takes a JSON number and returns its text, valid until the
// next read.
func (g *Reader) readNumber() ([]byte, error) {
	num := g.numBuf[:0]
	startLine, startCol := g.line, g.col()
	for {
		if err := g.more(); err != nil {
			if err != io.EOF {
				return nil, err
			}
			break
		}
		c := g.buf[g.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			if len(num) >= 1024 {
				return nil, g.errHere("a number longer than 1024 characters")
			}
			num = append(num, c)
			g.pos++
			continue
		}
		break
	}
	g.numBuf = num
	if !validNumber(num) {
		return nil, &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", startLine, startCol), Msg: fmt.Sprintf("not valid JSON: bad number %.40q", num)}
	}
	return num, nil
}

// validNumber follows RFC 8259's grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

// readString takes a JSON string (the current byte is its quote).
func (g *Reader) readString() (string, error) {
	b, err := g.readStringBytes()
	return string(b), err
}

func (g *Reader) readStringBytes() ([]byte, error) {
	if err := g.more(); err != nil {
		return nil, g.eofError(err)
	}
	if g.buf[g.pos] != '"' {
		return nil, g.errHere("not valid JSON: want a string, found %s", describeByte(g.buf[g.pos]))
	}
	startLine, startCol := g.line, g.col()
	g.pos++
	out := g.strBuf[:0]
	ascii := true
	for {
		if err := g.more(); err != nil {
			return nil, g.eofError(err)
		}
		// Copy the plain run at once.
		i := g.pos
		for i < g.end {
			c := g.buf[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= 0x80 {
				ascii = false
			}
			i++
		}
		out = append(out, g.buf[g.pos:i]...)
		g.pos = i
		if len(out) > geo.MaxStringBytes {
			return nil, &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", startLine, startCol), Msg: fmt.Sprintf("a string longer than %d MiB", geo.MaxStringBytes>>20)}
		}
		if g.pos == g.end {
			continue
		}
		c := g.buf[g.pos]
		switch {
		case c == '"':
			g.pos++
			g.strBuf = out[:0]
			if !ascii && !utf8.Valid(out) {
				return nil, &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", startLine, startCol),
					Msg: "the text is not UTF-8: GeoJSON must be UTF-8 (RFC 7946); convert the file first (for example: iconv -f latin1 -t utf-8)"}
			}
			return out, nil
		case c < 0x20:
			return nil, g.errHere("not valid JSON: a control character (byte 0x%02x) inside a string; strings cannot span lines", c)
		}
		// An escape.
		g.pos++
		var err error
		if out, err = g.escape(out); err != nil {
			return nil, err
		}
	}
}

// escape reads the escape after a \ in a string and appends what it
// stands for to out.
func (g *Reader) escape(out []byte) ([]byte, error) {
	if err := g.more(); err != nil {
		return nil, g.eofError(err)
	}
	e := g.buf[g.pos]
	g.pos++
	switch e {
	case '"', '\\', '/':
		out = append(out, e)
	case 'b':
		out = append(out, '\b')
	case 'f':
		out = append(out, '\f')
	case 'n':
		out = append(out, '\n')
	case 'r':
		out = append(out, '\r')
	case 't':
		out = append(out, '\t')
	case 'u':
		r, err := g.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) {
			// A pair, or a lone half that becomes U+FFFD (as encoding/json does).
			r2 := rune(-1)
			if g.lookAhead(`\u`) {
				g.pos += 2
				if r2, err = g.hex4(); err != nil {
					return nil, err
				}
			}
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				r = d
			} else {
				out = utf8.AppendRune(out, utf8.RuneError)
				if r2 < 0 {
					return out, nil
				}
				r = r2
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
		}
		out = utf8.AppendRune(out, r)
	default:
		return nil, g.errHere("not valid JSON: bad escape \\%c in a string", e)
	}
	return out, nil
}

func (g *Reader) eofError(err error) error {
	if err == io.EOF {
		return &geo.InvalidError{Msg: fmt.Sprintf("not valid JSON: the input ends too early (at line %d)", g.line)}
	}
	return err
}

// lookAhead reports whether the next bytes are s, without taking them
// (it may refill, but keeps what is unread).
func (g *Reader) lookAhead(s string) bool {
	if g.end-g.pos < len(s) && !g.eof {
		// Move the unread bytes to the front and read more.
		n := copy(g.buf, g.buf[g.pos:g.end])
		g.offset += int64(g.pos)
		g.pos, g.end = 0, n
		for g.end < len(s) && !g.eof {
			m, err := g.src.Read(g.buf[g.end:])
			g.end += m
			if err != nil {
				g.eof = true
				if err != io.EOF {
					g.rerr = err
				}
			}
		}
	}
	return g.end-g.pos >= len(s) && string(g.buf[g.pos:g.pos+len(s)]) == s
}

func (g *Reader) hex4() (rune, error) {
	var r rune
	for range 4 {
		if err := g.more(); err != nil {
			return 0, g.eofError(err)
		}
		c := g.buf[g.pos]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, g.errHere("not valid JSON: bad \\u escape in a string")
		}
		r = r<<4 | rune(v)
		g.pos++
	}
	return r, nil
}

// Type is the type of a GeoJSON document, read from as little of
// it as it takes: its "type" member, or what its first telling member
// implies ("features": FeatureCollection, "geometry" or "properties":
// Feature).
func Type(r io.Reader) (string, error) {
	g := NewReader(r)
	c, err := g.peek()
	if err == io.EOF {
		return "", &geo.InvalidError{Msg: "not valid JSON: the input is empty"}
	}
	if err != nil {
		return "", err
	}
	if c != '{' {
		return "", g.errHere("not GeoJSON: a GeoJSON document is a JSON object")
	}
	g.pos++
	g.expectFirstMember()
	for {
		key, ok, err := g.nextMember()
		if err != nil || !ok {
			return "", err
		}
		switch key {
		case "type":
			c, err := g.nonSpace()
			if err != nil {
				return "", err
			}
			if c != '"' {
				return "", g.errHere(`not GeoJSON: "type" must be a string`)
			}
			return g.readString()
		case "features":
			return "FeatureCollection", nil
		case "geometry", "properties":
			return "Feature", nil
		}
		if err := g.skipValue(0); err != nil {
			return "", err
		}
	}
}

// DecodeFeature reads a document that is one GeoJSON Feature (the body
// of a feature write), with the checks and limits of imports.
func DecodeFeature(data []byte) (geo.Feature, error) {
	return ReadFeature(bytes.NewReader(data))
}

// ReadFeature is DecodeFeature from a stream: a geometry past the limits
// is refused before the rest of it is read.
func ReadFeature(r io.Reader) (geo.Feature, error) {
	g := NewReader(r)
	rec, err := g.Read()
	if err == io.EOF {
		// A well-formed document with no feature: an empty collection.
		return geo.Feature{}, &geo.InvalidError{Msg: fmt.Sprintf("want one GeoJSON Feature, found a %s with no features", g.topType)}
	}
	if err != nil {
		return geo.Feature{}, err
	}
	if rec.Err != nil {
		return geo.Feature{}, rec.Err
	}
	if _, err := g.Read(); err != io.EOF {
		if err == nil {
			err = &geo.InvalidError{Msg: "want one Feature, found a collection of several"}
		}
		return geo.Feature{}, err
	}
	if g.topType != "Feature" {
		return geo.Feature{}, &geo.InvalidError{Msg: fmt.Sprintf("want a GeoJSON Feature, found %q", g.topType)}
	}
	return rec.Feature, nil
}

// ReadAll reads every feature of a document, and the property names in
// the order they first appear; the first refused feature or read error
// ends it.
func ReadAll(src io.Reader) ([]geo.Feature, []string, error) {
	r := NewReader(src)
	var fs []geo.Feature
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return fs, r.Properties(), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if rec.Err != nil {
			return nil, nil, rec.Err
		}
		fs = append(fs, rec.Feature)
	}
}

func normalizeNumber(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil && !math.IsInf(f, 0) {
		return f
	}
	return string(n)
}
