package kml

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	geomkml "github.com/twpayne/go-geom/encoding/kml"
	"github.com/twpayne/go-kml/v3"
)

// Writer collects features into a KML document: one Placemark per
// feature, named by its "name" property (or id), with every property as
// ExtendedData. go-geom encodes the geometries, so orb geometries are
// converted here, at the edge.
type Writer struct {
	title      string
	schema     geo.Schema
	placemarks []kml.Element
}

// NewWriter starts a document with a title.
func NewWriter(title string, schema geo.Schema) *Writer {
	return &Writer{title: title, schema: schema}
}

// Write adds one feature.
func (k *Writer) Write(f geo.Feature) error {
	pm, err := placemark(f, k.schema)
	if err != nil {
		return err
	}
	k.placemarks = append(k.placemarks, pm)
	return nil
}

// placemark is a feature as KML.
func placemark(f geo.Feature, schema geo.Schema) (kml.Element, error) {
	name := f.ID
	if n, ok := f.Properties["name"].(string); ok && n != "" {
		name = n
	}
	children := []kml.Element{kml.Name(name)}
	data := []kml.Element{kml.Data("id", kml.Value(f.ID))}
	for _, c := range schema.Columns {
		if v := f.Properties[c.Name]; v != nil {
			data = append(data, kml.Data(c.Name, kml.Value(geo.PlainText(v))))
		}
	}
	children = append(children, kml.ExtendedData(data...))
	if f.Geometry != nil {
		g, err := toGeom(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("feature %s: %w", f.ID, err)
		}
		e, err := geomkml.Encode(g)
		if err != nil {
			return nil, fmt.Errorf("feature %s: %w", f.ID, err)
		}
		children = append(children, e)
	}
	return kml.Placemark(children...), nil
}

// Stream writes the document Writer writes, byte for byte, one
// placemark at a time, so that a long one is never held whole.
type Stream struct {
	w          io.Writer
	schema     geo.Schema
	head, tail string
	started    bool
}

// NewStream starts a document with a title on w; nothing is written
// before the first Write or Close.
func NewStream(w io.Writer, title string, schema geo.Schema) (*Stream, error) {
	// The document without placemarks, cut where they go, so the head
	// and tail are go-kml's own bytes.
	var empty strings.Builder
	if err := (&Writer{title: title}).Flush(&empty); err != nil {
		return nil, err
	}
	doc := empty.String()
	i := strings.LastIndex(doc, "\n  </Document>")
	if i < 0 {
		return nil, fmt.Errorf("kml: unexpected document %q", doc)
	}
	return &Stream{w: w, schema: schema, head: doc[:i], tail: doc[i:]}, nil
}

// Write writes one feature's placemark.
func (k *Stream) Write(f geo.Feature) error {
	pm, err := placemark(f, k.schema)
	if err != nil {
		return err
	}
	if err := k.start(); err != nil {
		return err
	}
	if _, err := io.WriteString(k.w, "\n"); err != nil {
		return err
	}
	// Indented as it is inside the document.
	enc := xml.NewEncoder(k.w)
	enc.Indent("    ", "  ")
	if err := enc.Encode(pm); err != nil {
		return err
	}
	return enc.Close()
}

func (k *Stream) start() error {
	if k.started {
		return nil
	}
	k.started = true
	_, err := io.WriteString(k.w, k.head)
	return err
}

// Close ends the document.
func (k *Stream) Close() error {
	if err := k.start(); err != nil {
		return err
	}
	_, err := io.WriteString(k.w, k.tail)
	return err
}

// Flush writes the document.
func (k *Writer) Flush(w io.Writer) error {
	doc := kml.KML(kml.Document(append([]kml.Element{kml.Name(k.title)}, k.placemarks...)...))
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); err != nil {
		return err
	}
	return doc.WriteIndent(w, "", "  ")
}

// toGeom converts an orb geometry to go-geom, 2D in WGS 84.
func toGeom(g orb.Geometry) (geom.T, error) {
	flat := func(ps []orb.Point) []float64 {
		out := make([]float64, 0, 2*len(ps))
		for _, p := range ps {
			out = append(out, p[0], p[1])
		}
		return out
	}
	rings := func(p orb.Polygon) ([]float64, []int) {
		var coords []float64
		var ends []int
		for _, r := range p {
			coords = append(coords, flat(r)...)
			ends = append(ends, len(coords))
		}
		return coords, ends
	}
	switch g := g.(type) {
	case orb.Point:
		return geom.NewPointFlat(geom.XY, []float64{g[0], g[1]}).SetSRID(4326), nil // WGS 84
	case orb.MultiPoint:
		return geom.NewMultiPointFlat(geom.XY, flat(g)), nil
	case orb.LineString:
		return geom.NewLineStringFlat(geom.XY, flat(g)), nil
	case orb.MultiLineString:
		var coords []float64
		var ends []int
		for _, l := range g {
			coords = append(coords, flat(l)...)
			ends = append(ends, len(coords))
		}
		return geom.NewMultiLineStringFlat(geom.XY, coords, ends), nil
	case orb.Polygon:
		coords, ends := rings(g)
		return geom.NewPolygonFlat(geom.XY, coords, ends), nil
	case orb.MultiPolygon:
		var coords []float64
		var endss [][]int
		for _, p := range g {
			c, e := rings(p)
			for i := range e {
				e[i] += len(coords)
			}
			coords = append(coords, c...)
			endss = append(endss, e)
		}
		return geom.NewMultiPolygonFlat(geom.XY, coords, endss), nil
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for _, m := range g {
			mg, err := toGeom(m)
			if err != nil {
				return nil, err
			}
			if err := gc.Push(mg); err != nil {
				return nil, err
			}
		}
		return gc, nil
	}
	return nil, fmt.Errorf("geometry %T cannot be written as KML", g)
}
