package geojson

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The writer's fast paths. Each writes the bytes encoding/json writes (no
// HTML escapes) for the values a store returns, and hands anything else
// to encoding/json, so that the output never depends on which path ran:
// the items pages, the ETags of features and the audit's GeoJSON stay
// the same bytes.

// Encoder writes the features of one schema as GeoJSON Feature objects,
// from a geo.Feature or, without one, from the parts of a store's row:
// the same bytes as AppendFeature.
type Encoder struct {
	schema geo.Schema
	// keys are `"name":` for each column, after the first a comma before.
	keys [][]byte
}

// NewEncoder makes the encoder of the schema's features (properties in
// its column order).
func NewEncoder(schema geo.Schema) *Encoder {
	e := &Encoder{schema: schema, keys: make([][]byte, len(schema.Columns))}
	for i, c := range schema.Columns {
		var k []byte
		if i > 0 {
			k = append(k, ',')
		}
		k = appendString(k, c.Name)
		e.keys[i] = append(k, ':')
	}
	return e
}

// Append appends f, as AppendFeature does.
func (e *Encoder) Append(buf []byte, f geo.Feature) ([]byte, error) {
	buf = e.AppendStart(buf, f.ID)
	var err error
	if buf, err = AppendGeometry(buf, f.Geometry); err != nil {
		return nil, err
	}
	buf = append(buf, `,"properties":{`...)
	for i, c := range e.schema.Columns {
		buf = append(buf, e.keys[i]...)
		if buf, err = appendValue(buf, f.Properties[c.Name]); err != nil {
			return nil, err
		}
	}
	return append(buf, "}}"...), nil
}

// AppendStart begins a feature of that id, up to its geometry: a
// string for a schema with ids of its own, the id's digits (the fid)
// otherwise. The geometry comes next (AppendWKB or AppendGeometry),
// then AppendProperties.
func (e *Encoder) AppendStart(buf []byte, id string) []byte {
	buf = append(buf, `{"type":"Feature","id":`...)
	if e.schema.HasID {
		buf = appendString(buf, id)
	} else {
		buf = append(buf, id...)
	}
	return append(buf, `,"geometry":`...)
}

// AppendStartFID is AppendStart of a feature a fid identifies, without
// making its decimal string.
func (e *Encoder) AppendStartFID(buf []byte, fid int64) []byte {
	buf = append(buf, `{"type":"Feature","id":`...)
	buf = strconv.AppendInt(buf, fid, 10)
	return append(buf, `,"geometry":`...)
}

// AppendProperties ends a feature with its properties: values holds one
// per column of the schema, in its order.
func (e *Encoder) AppendProperties(buf []byte, values []any) ([]byte, error) {
	buf = append(buf, `,"properties":{`...)
	for i := range e.schema.Columns {
		buf = append(buf, e.keys[i]...)
		var err error
		if buf, err = appendValue(buf, values[i]); err != nil {
			return nil, err
		}
	}
	return append(buf, "}}"...), nil
}

// AppendGeometry appends g as a GeoJSON geometry (null for nil), as
// paulmach/orb's geojson package marshals it.
func AppendGeometry(buf []byte, g orb.Geometry) ([]byte, error) {
	if g == nil {
		return append(buf, "null"...), nil
	}
	if out, ok := appendOrb(buf, g); ok {
		return out, nil
	}
	// Empty parts, collections, bounds and values JSON has no number for
	// (NaN, which encoding/json refuses) go the general way.
	b, err := json.Marshal(geojson.NewGeometry(g))
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

func appendOrb(buf []byte, g orb.Geometry) ([]byte, bool) {
	start := len(buf)
	ok := false
	switch g := g.(type) {
	case orb.Point:
		buf = append(buf, `{"type":"Point","coordinates":`...)
		buf, ok = appendPoint(buf, g)
	case orb.MultiPoint:
		buf = append(buf, `{"type":"MultiPoint","coordinates":`...)
		buf, ok = appendPoints(buf, g)
	case orb.LineString:
		buf = append(buf, `{"type":"LineString","coordinates":`...)
		buf, ok = appendPoints(buf, g)
	case orb.Ring:
		buf = append(buf, `{"type":"Polygon","coordinates":[`...)
		if buf, ok = appendPoints(buf, g); ok {
			buf = append(buf, ']')
		}
	case orb.MultiLineString:
		buf = append(buf, `{"type":"MultiLineString","coordinates":`...)
		buf, ok = appendLines(buf, g)
	case orb.Polygon:
		buf = append(buf, `{"type":"Polygon","coordinates":`...)
		buf, ok = appendRings(buf, g)
	case orb.MultiPolygon:
		buf = append(buf, `{"type":"MultiPolygon","coordinates":`...)
		if ok = len(g) > 0; ok {
			buf = append(buf, '[')
			for i, p := range g {
				if i > 0 {
					buf = append(buf, ',')
				}
				if buf, ok = appendRings(buf, p); !ok {
					break
				}
			}
			buf = append(buf, ']')
		}
	}
	if !ok {
		return buf[:start], false
	}
	return append(buf, '}'), true
}

func appendPoint(buf []byte, p orb.Point) ([]byte, bool) {
	buf = append(buf, '[')
	buf, ok := appendFloat(buf, p[0])
	if !ok {
		return buf, false
	}
	buf = append(buf, ',')
	if buf, ok = appendFloat(buf, p[1]); !ok {
		return buf, false
	}
	return append(buf, ']'), true
}

func appendPoints[P ~[]orb.Point](buf []byte, ps P) ([]byte, bool) {
	if len(ps) == 0 {
		return buf, false
	}
	buf = append(buf, '[')
	for i, p := range ps {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendPoint(buf, p); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

func appendLines[L ~[]orb.LineString](buf []byte, ls L) ([]byte, bool) {
	if len(ls) == 0 {
		return buf, false
	}
	buf = append(buf, '[')
	for i, l := range ls {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendPoints(buf, l); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

func appendRings(buf []byte, rs orb.Polygon) ([]byte, bool) {
	if len(rs) == 0 {
		return buf, false
	}
	buf = append(buf, '[')
	for i, r := range rs {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendPoints(buf, r); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

// AppendWKB appends the GeoJSON geometry of a 2D WKB geometry straight
// from its bytes: what AppendGeometry writes of the geometry orb's WKB
// decoder makes of them. It reads points, line strings, polygons and
// their multis of one or more parts; for anything else (collections,
// empty parts, Z or M, NaN, bytes it does not expect) ok is false, buf
// is as it was, and the caller decodes the WKB and calls AppendGeometry.
func AppendWKB(buf, wkb []byte) (out []byte, ok bool) {
	start := len(buf)
	r := wkbReader{b: wkb}
	typ, order, ok := r.header()
	if !ok || typ < 1 || typ > 6 {
		return buf, false
	}
	buf = append(buf, `{"type":"`...)
	buf = append(buf, wkbTypeNames[typ]...)
	buf = append(buf, `","coordinates":`...)
	switch typ {
	case 1:
		buf, ok = r.point(buf, order)
	case 2:
		buf, ok = r.points(buf, order)
	case 3:
		buf, ok = r.rings(buf, order)
	default: // 4, 5, 6: multis of type typ-3
		buf, ok = r.multi(buf, order, typ-3)
	}
	if !ok || len(r.b) != 0 {
		return buf[:start], false
	}
	return append(buf, '}'), true
}

var wkbTypeNames = [...]string{1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}

// wkbReader consumes a WKB geometry from the front of b.
type wkbReader struct{ b []byte }

func (r *wkbReader) header() (typ uint32, order binary.ByteOrder, ok bool) {
	if len(r.b) < 5 {
		return 0, nil, false
	}
	switch r.b[0] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return 0, nil, false
	}
	typ = order.Uint32(r.b[1:])
	r.b = r.b[5:]
	return typ, order, true
}

func (r *wkbReader) count(order binary.ByteOrder) (int, bool) {
	if len(r.b) < 4 {
		return 0, false
	}
	n := order.Uint32(r.b)
	r.b = r.b[4:]
	return int(n), n > 0
}

func (r *wkbReader) point(buf []byte, order binary.ByteOrder) ([]byte, bool) {
	if len(r.b) < 16 {
		return buf, false
	}
	buf = append(buf, '[')
	buf, ok := appendFloat(buf, math.Float64frombits(order.Uint64(r.b)))
	if !ok {
		return buf, false
	}
	buf = append(buf, ',')
	if buf, ok = appendFloat(buf, math.Float64frombits(order.Uint64(r.b[8:]))); !ok {
		return buf, false
	}
	r.b = r.b[16:]
	return append(buf, ']'), true
}

func (r *wkbReader) points(buf []byte, order binary.ByteOrder) ([]byte, bool) {
	n, ok := r.count(order)
	if !ok || len(r.b)/16 < n {
		return buf, false
	}
	buf = append(buf, '[')
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, ok = r.point(buf, order); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

func (r *wkbReader) rings(buf []byte, order binary.ByteOrder) ([]byte, bool) {
	n, ok := r.count(order)
	if !ok || len(r.b)/4 < n {
		return buf, false
	}
	buf = append(buf, '[')
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, ok = r.points(buf, order); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

// multi reads the parts of a multi geometry, each a WKB geometry of
// type part with a byte order of its own.
func (r *wkbReader) multi(buf []byte, order binary.ByteOrder, part uint32) ([]byte, bool) {
	n, ok := r.count(order)
	if !ok || len(r.b)/5 < n {
		return buf, false
	}
	buf = append(buf, '[')
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		typ, o, ok := r.header()
		if !ok || typ != part {
			return buf, false
		}
		switch part {
		case 1:
			buf, ok = r.point(buf, o)
		case 2:
			buf, ok = r.points(buf, o)
		default:
			buf, ok = r.rings(buf, o)
		}
		if !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

// appendValue appends a property value as appendJSON does, without
// reflection for the types a store returns.
func appendValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, v), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case float64:
		if out, ok := appendFloat(buf, v); ok {
			return out, nil
		}
	}
	return appendJSON(buf, v)
}

// appendFloat appends f as encoding/json writes a float64 (as ES6 turns
// a number into text); ok is false for NaN and the infinities, which
// JSON has no number for.
func appendFloat(buf []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return buf, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// e-09 is e-9
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string as encoding/json writes it
// with SetEscapeHTML(false): invalid UTF-8 becomes U+FFFD, and U+2028
// and U+2029 are escaped.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
