package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// GeoPackage geometry blobs: a header ("GP", version, flags, srs id,
// optional envelope) followed by standard WKB (GeoPackage 1.3, 2.1.3).

const (
	gpkgFlagLittleEndian = 1 << 0
	gpkgFlagEmpty        = 1 << 4
	gpkgFlagExtended     = 1 << 5
	gpkgEnvelopeXY       = 1 << 1 // envelope indicator 1, shifted into bits 1-3
	srsWGS84             = 4326
)

// encodeGeometry writes a GeoPackage geometry blob; nil stays NULL.
func encodeGeometry(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	flags := byte(gpkgFlagLittleEndian)
	var envelope []float64
	if geo.IsEmpty(g) {
		flags |= gpkgFlagEmpty
	} else if _, point := g.(orb.Point); !point {
		// Points need no envelope: it is the point itself.
		b := g.Bound()
		flags |= gpkgEnvelopeXY
		envelope = []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}
	}
	out := make([]byte, 8, 8+8*len(envelope)+len(body))
	out[0], out[1], out[2], out[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(out[4:], srsWGS84)
	for _, v := range envelope {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return append(out, body...), nil
}

// gpkgHeader is what a blob's header says.
type gpkgHeader struct {
	empty    bool
	envelope orb.Bound // valid only when hasEnvelope
	hasEnv   bool
	wkb      []byte
}

var errNotGPKGBlob = errors.New("not a GeoPackage geometry blob")

func parseHeader(b []byte) (gpkgHeader, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return gpkgHeader{}, errNotGPKGBlob
	}
	if b[2] != 0 {
		return gpkgHeader{}, fmt.Errorf("GeoPackage geometry blob version %d is not supported", b[2])
	}
	flags := b[3]
	if flags&gpkgFlagExtended != 0 {
		return gpkgHeader{}, errors.New("extended GeoPackage geometry types are not supported")
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&gpkgFlagLittleEndian != 0 {
		order = binary.LittleEndian
	}
	var n int
	switch (flags >> 1) & 0x7 {
	case 0:
		n = 0
	case 1:
		n = 4
	case 2, 3:
		n = 6
	case 4:
		n = 8
	default:
		return gpkgHeader{}, fmt.Errorf("bad envelope indicator in GeoPackage geometry blob")
	}
	end := 8 + 8*n
	if len(b) < end {
		return gpkgHeader{}, errors.New("GeoPackage geometry blob is truncated")
	}
	h := gpkgHeader{empty: flags&gpkgFlagEmpty != 0, wkb: b[end:]}
	if n > 0 {
		f := func(i int) float64 { return math.Float64frombits(order.Uint64(b[8+8*i:])) }
		h.hasEnv = true
		h.envelope = orb.Bound{Min: orb.Point{f(0), f(2)}, Max: orb.Point{f(1), f(3)}}
	}
	return h, nil
}

// decodeGeometry reads a GeoPackage geometry blob. An empty geometry comes
// back as nil.
func decodeGeometry(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.empty {
		return nil, nil
	}
	g, err := wkb.Unmarshal(h.wkb)
	if err != nil {
		return nil, fmt.Errorf("geometry: %w (only 2D geometries are supported)", err)
	}
	return g, nil
}

// geometryBound is the envelope of a blob, read from its header when it
// has one; ok is false for NULL or empty geometries.
func geometryBound(b []byte) (orb.Bound, bool, error) {
	if b == nil {
		return orb.Bound{}, false, nil
	}
	h, err := parseHeader(b)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if h.empty {
		return orb.Bound{}, false, nil
	}
	if h.hasEnv {
		return h.envelope, true, nil
	}
	if p, ok := wkbPoint(h.wkb); ok {
		// Points carry no envelope; read them without decoding (this runs
		// for every row of a bbox query).
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) {
			return orb.Bound{}, false, nil
		}
		return orb.Bound{Min: p, Max: p}, true, nil
	}
	g, err := wkb.Unmarshal(h.wkb)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if geo.IsEmpty(g) {
		return orb.Bound{}, false, nil
	}
	return g.Bound(), true, nil
}

// wkbPoint reads a 2D WKB point without allocating.
func wkbPoint(b []byte) (orb.Point, bool) {
	if len(b) != 21 {
		return orb.Point{}, false
	}
	var order binary.ByteOrder
	switch b[0] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return orb.Point{}, false
	}
	if order.Uint32(b[1:]) != 1 {
		return orb.Point{}, false
	}
	return orb.Point{math.Float64frombits(order.Uint64(b[5:])), math.Float64frombits(order.Uint64(b[13:]))}, true
}
