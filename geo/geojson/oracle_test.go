package geojson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The encoding/json decoder below is the oracle the streaming reader is
// held to (TestGeoJSONReaderReadsWhatDecodeGeoJSONReads, FuzzGeoJSONReader):
// a second, independent reading of RFC 7946 that only tests use.

// geoJSONDoc is a decoded GeoJSON document: its features, and the order in
// which property names first appear (so a layer's columns keep it).
type geoJSONDoc struct {
	Features      []geo.Feature
	PropertyOrder []string
}

// decodeGeoJSON reads a GeoJSON FeatureCollection, Feature or bare
// geometry (RFC 7946) from outside input. Every geometry is validated; an
// error is an *InvalidError that names the line, column and feature.
func decodeGeoJSON(data []byte) (*geoJSONDoc, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(data, err)
	}
	doc := &geoJSONDoc{}
	seen := map[string]bool{}
	add := func(raw json.RawMessage, i int, offset int64) error {
		f, order, err := decodeFeature(raw)
		if err != nil {
			line, col := position(data, offset)
			where := fmt.Sprintf("feature %d at line %d, column %d", i+1, line, col)
			if f.ID != "" {
				where = fmt.Sprintf("feature %d (id %q) at line %d, column %d", i+1, f.ID, line, col)
			}
			return &geo.InvalidError{Where: where, Msg: err.Error()}
		}
		for _, k := range order {
			if !seen[k] {
				seen[k] = true
				doc.PropertyOrder = append(doc.PropertyOrder, k)
			}
		}
		doc.Features = append(doc.Features, f)
		return nil
	}
	switch probe.Type {
	case "FeatureCollection":
		if err := eachFeature(data, add); err != nil {
			return nil, err
		}
	case "Feature":
		if err := add(data, 0, 0); err != nil {
			return nil, err
		}
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		g, err := decodeJSONGeometry(data)
		if err != nil {
			return nil, &geo.InvalidError{Where: "geometry", Msg: err.Error()}
		}
		doc.Features = append(doc.Features, geo.Feature{Geometry: g})
	case "":
		return nil, &geo.InvalidError{Msg: `not GeoJSON: the top-level object has no "type"`}
	default:
		return nil, &geo.InvalidError{Msg: fmt.Sprintf("not GeoJSON: the top-level type is %q; want FeatureCollection, Feature or a geometry", probe.Type)}
	}
	return doc, nil
}

// eachFeature walks the "features" array of a FeatureCollection, passing
// each raw feature and its byte offset.
func eachFeature(data []byte, fn func(json.RawMessage, int, int64) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // {
		return jsonError(data, err)
	}
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(data, err)
		}
		if key, _ := tok.(string); key != "features" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonError(data, err)
			}
			continue
		}
		found = true
		tok, err = dec.Token()
		if err != nil {
			return jsonError(data, err)
		}
		if tok == nil {
			break // "features": null holds nothing
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			line, col := position(data, dec.InputOffset())
			return &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", line, col), Msg: `"features" must be an array`}
		}
		for i := 0; dec.More(); i++ {
			offset := dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonError(data, err)
			}
			// InputOffset points at the separator before the value; skip it
			// so positions name the feature's first character.
			offset += int64(len(data[offset:]) - len(bytes.TrimLeft(data[offset:], ", \t\r\n")))
			if err := fn(raw, i, offset); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return jsonError(data, err)
		}
	}
	if !found {
		return &geo.InvalidError{Msg: `FeatureCollection has no "features" array`}
	}
	return nil
}

func decodeFeature(raw json.RawMessage) (geo.Feature, []string, error) {
	var rf struct {
		Type       string          `json:"type"`
		ID         json.RawMessage `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	var f geo.Feature
	if err := json.Unmarshal(raw, &rf); err != nil {
		return f, nil, errors.New("a feature must be a JSON object")
	}
	id, err := decodeID(rf.ID)
	if err != nil {
		return f, nil, err
	}
	f.ID = id
	if rf.Type != "Feature" {
		return f, nil, fmt.Errorf(`"type" is %q; want "Feature"`, rf.Type)
	}
	if len(rf.Geometry) > 0 && string(rf.Geometry) != "null" {
		g, err := decodeJSONGeometry(rf.Geometry)
		if err != nil {
			return f, nil, fmt.Errorf("geometry: %w", err)
		}
		f.Geometry = g
	}
	props, order, err := decodeProperties(rf.Properties)
	if err != nil {
		return f, nil, err
	}
	f.Properties = props
	return f, order, nil
}

func decodeID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return "", errors.New(`"id" is an empty string`)
		}
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	return "", errors.New(`"id" must be a string or a number`)
}

func decodeJSONGeometry(raw json.RawMessage) (orb.Geometry, error) {
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, describeGeometryError(err)
	}
	geom := g.Geometry()
	if geom == nil {
		return nil, errors.New("unknown or missing geometry type")
	}
	if err := geo.ValidateGeometry(geom); err != nil {
		return nil, err
	}
	return geom, nil
}

func describeGeometryError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("coordinates have the wrong shape (found a JSON %s where %s was expected)", te.Value, te.Type)
	}
	return err
}

// decodeProperties keeps the properties' order and turns JSON numbers into
// int64 where they are integers, float64 otherwise.
func decodeProperties(raw json.RawMessage) (map[string]any, []string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return nil, nil, errors.New(`"properties" must be an object or null`)
	}
	props := map[string]any{}
	var order []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := props[key]; !dup {
			order = append(order, key)
		}
		props[key] = normalizeNumber(v)
	}
	return props, order, nil
}

// jsonError places a JSON error at its line and column.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the bad one included.
		line, col := position(data, max(0, se.Offset-1))
		return &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", line, col), Msg: "not valid JSON: " + se.Error()}
	case errors.As(err, &te):
		line, col := position(data, te.Offset)
		return &geo.InvalidError{Where: fmt.Sprintf("line %d, column %d", line, col), Msg: fmt.Sprintf("not GeoJSON: found a JSON %s where an object was expected", te.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &geo.InvalidError{Msg: "not valid JSON: the input ends too early"}
	}
	return &geo.InvalidError{Msg: "not valid JSON: " + err.Error()}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
