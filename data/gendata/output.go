package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// prop is one property; props keeps them in the order they were added, so
// the output follows the source's column order (a map would sort them).
type prop struct {
	Key   string
	Value any
}

type props []prop

// get returns the value of key, or nil.
func (p props) get(key string) any {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

func (p props) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, kv := range p {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalNoEscape(kv.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshalNoEscape(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", kv.Key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so URLs keep
// their "&" as written.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// feature is a GeoJSON Feature whose geometry is encoded by orb/geojson and
// whose properties keep their order.
type feature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id,omitempty"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties props             `json:"properties"`
}

func newFeature(id string, g orb.Geometry, p props) feature {
	return feature{Type: "Feature", ID: id, Geometry: geojson.NewGeometry(g), Properties: p}
}

// encodeCollection writes a FeatureCollection with one feature per line,
// which keeps diffs of the committed files readable.
func encodeCollection(features []feature) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range features {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		b, err := marshalNoEscape(f)
		if err != nil {
			return nil, fmt.Errorf("feature %d: %w", i, err)
		}
		buf.Write(b)
	}
	buf.WriteString("\n]}\n")
	return buf.Bytes(), nil
}

// checkPoint reports a coordinate outside WGS84 lon/lat.
func checkPoint(p orb.Point) error {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return fmt.Errorf("coordinate [%v, %v] outside lon [-180,180], lat [-90,90]", p[0], p[1])
	}
	return nil
}
