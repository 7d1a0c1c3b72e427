// Package kml reads KML and KMZ files as features and writes features as KML;
// it imports geo.
package kml

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/charmap"
)

// KML import: every Placemark, wherever it sits in Documents and Folders,
// becomes a feature: its name and description, and the values of its
// ExtendedData (Data and SchemaData) as properties, read as text whose
// type the column decides. Geometries: Point, LineString, LinearRing,
// Polygon and MultiGeometry (a MultiGeometry of one kind becomes the Multi
// type, a mixed one a GeometryCollection); heights are dropped. A ring
// left open is closed (Google Earth draws them closed). KMZ (a zip with a
// .kml inside) reads too.

const maxKMLDepth = 100

type Reader struct {
	d      *xml.Decoder
	budget *geo.BudgetReader
	order  []string
	seen   map[string]bool
	depth  int
	done   bool
}

func NewReader(src io.Reader, raw io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	head, _ := br.Peek(4)
	var in io.Reader = br
	if bytes.Equal(head, []byte("PK\x03\x04")) {
		doc, err := openKMZ(br, raw)
		if err != nil {
			return nil, err
		}
		in = doc
	}
	budget := &geo.BudgetReader{Src: in, Limit: geo.MaxRecordBytes}
	d := xml.NewDecoder(budget)
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(input), nil
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported; save the KML as UTF-8", label)
	}
	return &Reader{d: d, budget: budget, seen: map[string]bool{}}, nil
}

// openKMZ finds the KML in a KMZ: doc.kml, else the first .kml.
func openKMZ(br *bufio.Reader, raw io.Reader) (io.Reader, error) {
	var zr *zip.Reader
	var err error
	if f, ok := raw.(*os.File); ok {
		fi, serr := f.Stat()
		if serr != nil {
			return nil, serr
		}
		zr, err = zip.NewReader(f, fi.Size())
	} else {
		data, rerr := io.ReadAll(io.LimitReader(br, 256<<20+1))
		if rerr != nil {
			return nil, rerr
		}
		if len(data) > 256<<20 {
			return nil, &geo.InvalidError{Msg: "a KMZ larger than 256 MiB; unzip it and import the KML"}
		}
		zr, err = zip.NewReader(bytes.NewReader(data), int64(len(data)))
	}
	if err != nil {
		return nil, &geo.InvalidError{Msg: "not a valid KMZ (zip) file: " + err.Error()}
	}
	var pick *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(path.Ext(f.Name), ".kml") && (pick == nil || strings.EqualFold(path.Base(f.Name), "doc.kml")) {
			pick = f
		}
	}
	if pick == nil {
		return nil, &geo.InvalidError{Msg: "the KMZ holds no .kml file"}
	}
	rc, err := pick.Open()
	if err != nil {
		return nil, &geo.InvalidError{Msg: "KMZ: " + err.Error()}
	}
	return rc, nil
}

func (k *Reader) Properties() []string { return k.order }

func (k *Reader) errAt(format string, args ...any) error {
	line, col := k.d.InputPos()
	return geo.Invalidf(fmt.Sprintf("line %d, column %d", line, col), format, args...)
}

func (k *Reader) token() (xml.Token, error) {
	tok, err := k.d.Token()
	if err != nil {
		if errors.Is(err, geo.ErrRecordTooLong) {
			return nil, k.errAt("a Placemark longer than %d MiB", geo.MaxRecordBytes>>20)
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, geo.Invalidf(fmt.Sprintf("line %d", se.Line), "not valid XML: %s", se.Msg)
		}
		if err == io.EOF {
			return nil, io.EOF
		}
		if strings.Contains(err.Error(), "encoding") {
			return nil, &geo.InvalidError{Msg: err.Error()}
		}
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		k.depth++
		if k.depth > maxKMLDepth {
			return nil, k.errAt("elements nest deeper than %d levels", maxKMLDepth)
		}
	case xml.EndElement:
		k.depth--
	}
	return tok, nil
}

// Read returns the next Placemark.
func (k *Reader) Read() (geo.Record, error) {
	if k.done {
		return geo.Record{}, io.EOF
	}
	sawRoot := false
	for {
		k.budget.Limit = k.budget.Used + geo.MaxRecordBytes + 128<<10
		tok, err := k.token()
		if err == io.EOF {
			k.done = true
			return geo.Record{}, io.EOF
		}
		if err != nil {
			return geo.Record{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !sawRoot && k.depth == 1 && t.Name.Local != "kml" && t.Name.Local != "Document" && t.Name.Local != "Folder" && t.Name.Local != "Placemark" {
				return geo.Record{}, k.errAt("not KML: the document is <%s>, not <kml>", t.Name.Local)
			}
			sawRoot = true
			if t.Name.Local == "Placemark" {
				line, _ := k.d.InputPos()
				return k.placemark(t, line)
			}
		case xml.CharData:
			if k.depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return geo.Record{}, k.errAt("not KML: text outside any element")
			}
		}
	}
}

// placemark reads one Placemark's subtree.
func (k *Reader) placemark(start xml.StartElement, line int) (geo.Record, error) {
	rec := geo.Record{Line: line, Feature: geo.Feature{Properties: map[string]any{}}}
	for _, a := range start.Attr {
		if a.Name.Local == "id" && strings.TrimSpace(a.Value) != "" {
			rec.Feature.ID = strings.TrimSpace(a.Value)
		}
	}
	var problem string
	set := func(name, value string) {
		if name == "" {
			return
		}
		if !k.seen[name] {
			k.seen[name] = true
			k.order = append(k.order, name)
		}
		if value == "" {
			rec.Feature.Properties[name] = nil
			return
		}
		rec.Feature.Properties[name] = geo.Cell(value)
	}
	depth := k.depth
	for {
		tok, err := k.token()
		if err != nil {
			if err == io.EOF {
				return geo.Record{}, &geo.InvalidError{Msg: "not valid XML: the input ends inside a Placemark"}
			}
			return geo.Record{}, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if k.depth < depth {
				if problem != "" {
					rec.Err = &geo.InvalidError{Msg: problem}
				}
				return rec, nil
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "name", "description", "address":
				s, err := k.text()
				if err != nil {
					return geo.Record{}, err
				}
				set(t.Name.Local, strings.TrimSpace(s))
			case "Data":
				name := attr(t, "name")
				v, err := k.dataValue()
				if err != nil {
					return geo.Record{}, err
				}
				set(name, strings.TrimSpace(v))
			case "SimpleData":
				s, err := k.text()
				if err != nil {
					return geo.Record{}, err
				}
				set(attr(t, "name"), strings.TrimSpace(s))
			case "Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack", "Model":
				g, perr, err := k.geometry(t)
				if err != nil {
					return geo.Record{}, err
				}
				if perr != "" && problem == "" {
					problem = perr
				}
				if rec.Feature.Geometry != nil && problem == "" {
					problem = "a Placemark with more than one geometry"
				}
				rec.Feature.Geometry = g
			case "ExtendedData", "SchemaData", "TimeSpan", "TimeStamp":
				// descend
			default:
				if err := k.skip(); err != nil {
					return geo.Record{}, err
				}
			}
		}
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// text reads an element's text up to its end.
func (k *Reader) text() (string, error) {
	var b strings.Builder
	depth := k.depth
	for {
		tok, err := k.token()
		if err != nil {
			if err == io.EOF {
				return "", &geo.InvalidError{Msg: "not valid XML: the input ends inside an element"}
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len()+len(t) > geo.MaxStringBytes {
				return "", k.errAt("a text longer than %d MiB", geo.MaxStringBytes>>20)
			}
			b.Write(t)
		case xml.EndElement:
			if k.depth < depth {
				return b.String(), nil
			}
		}
	}
}

// dataValue reads <Data><value>...</value></Data>.
func (k *Reader) dataValue() (string, error) {
	depth := k.depth
	var v string
	for {
		tok, err := k.token()
		if err != nil {
			if err == io.EOF {
				return "", &geo.InvalidError{Msg: "not valid XML: the input ends inside an element"}
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "value" {
				if v, err = k.text(); err != nil {
					return "", err
				}
			} else if err := k.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			if k.depth < depth {
				return v, nil
			}
		}
	}
}

func (k *Reader) skip() error {
	depth := k.depth
	for k.depth >= depth {
		if _, err := k.token(); err != nil {
			if err == io.EOF {
				return &geo.InvalidError{Msg: "not valid XML: the input ends inside an element"}
			}
			return err
		}
	}
	return nil
}

// geometry reads a geometry element; problem is why it cannot be used.
func (k *Reader) geometry(start xml.StartElement) (orb.Geometry, string, error) {
	switch start.Name.Local {
	case "Point", "LineString", "LinearRing":
		var pts []orb.Point
		var problem string
		err := k.children(func(t xml.StartElement) error {
			if t.Name.Local != "coordinates" {
				return k.skip()
			}
			s, err := k.text()
			if err != nil {
				return err
			}
			if pts, err = parseKMLCoordinates(s); err != nil {
				problem = err.Error()
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
		if problem != "" {
			return nil, problem, nil
		}
		switch start.Name.Local {
		case "Point":
			if len(pts) != 1 {
				return nil, fmt.Sprintf("a Point needs one coordinate, has %d", len(pts)), nil
			}
			return pts[0], "", nil
		case "LineString":
			return orb.LineString(pts), "", nil
		}
		return closeRing(pts), "", nil
	case "Polygon":
		var p orb.Polygon
		var problem string
		err := k.children(func(t xml.StartElement) error {
			if t.Name.Local != "outerBoundaryIs" && t.Name.Local != "innerBoundaryIs" {
				return k.skip()
			}
			g, perr, err := k.ringIn()
			if err != nil {
				return err
			}
			switch {
			case perr != "":
				problem = perr
			case t.Name.Local == "outerBoundaryIs":
				p = append(orb.Polygon{g}, p...)
			default:
				p = append(p, g)
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
		if problem != "" {
			return nil, problem, nil
		}
		if len(p) == 0 {
			return nil, "a Polygon without an outerBoundaryIs", nil
		}
		return p, "", nil
	case "MultiGeometry":
		var members []orb.Geometry
		var problem string
		err := k.children(func(t xml.StartElement) error {
			g, perr, err := k.geometry(t)
			if err != nil {
				return err
			}
			if perr != "" {
				problem = perr
			} else if g != nil {
				members = append(members, g)
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
		if problem != "" {
			return nil, problem, nil
		}
		return multiOf(members), "", nil
	}
	if err := k.skip(); err != nil {
		return nil, "", err
	}
	return nil, fmt.Sprintf("%s geometries are not supported", start.Name.Local), nil
}

func (k *Reader) eofInside(err error) error {
	if err == io.EOF {
		return &geo.InvalidError{Msg: "not valid XML: the input ends inside a geometry"}
	}
	return err
}

// ringIn reads the LinearRing inside an outer or inner boundary.
func (k *Reader) ringIn() (orb.Ring, string, error) {
	var ring orb.Ring
	var problem string
	err := k.children(func(t xml.StartElement) error {
		g, perr, err := k.geometry(t)
		if err != nil {
			return err
		}
		if perr != "" {
			problem = perr
			return nil
		}
		r, ok := g.(orb.Ring)
		if !ok {
			problem = "a polygon boundary must be a LinearRing"
			return nil
		}
		ring = r
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return ring, problem, nil
}

// children calls fn for each child element of the element just opened, up
// to its end; fn reads the child whole (geometry, ringIn, text or skip).
func (k *Reader) children(fn func(xml.StartElement) error) error {
	depth := k.depth
	for k.depth >= depth {
		tok, err := k.token()
		if err != nil {
			return k.eofInside(err)
		}
		if t, ok := tok.(xml.StartElement); ok {
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	return nil
}

func closeRing(pts []orb.Point) orb.Ring {
	if len(pts) > 0 && pts[0] != pts[len(pts)-1] {
		pts = append(pts, pts[0])
	}
	return orb.Ring(pts)
}

func multiOf(ms []orb.Geometry) orb.Geometry {
	if len(ms) == 0 {
		return orb.Collection{}
	}
	var pts orb.MultiPoint
	var lines orb.MultiLineString
	var polys orb.MultiPolygon
	for _, m := range ms {
		switch g := m.(type) {
		case orb.Point:
			pts = append(pts, g)
		case orb.LineString:
			lines = append(lines, g)
		case orb.Ring:
			polys = append(polys, orb.Polygon{g})
		case orb.Polygon:
			polys = append(polys, g)
		}
	}
	switch len(ms) {
	case len(pts):
		return pts
	case len(lines):
		return lines
	case len(polys):
		return polys
	}
	c := orb.Collection{}
	for _, m := range ms {
		if r, ok := m.(orb.Ring); ok {
			m = orb.Polygon{r}
		}
		c = append(c, m)
	}
	return c
}

// parseKMLCoordinates reads "lon,lat[,alt] lon,lat[,alt] ...".
func parseKMLCoordinates(s string) ([]orb.Point, error) {
	var pts []orb.Point
	for _, tuple := range strings.Fields(s) {
		parts := strings.Split(tuple, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("coordinates %.40q: want longitude,latitude[,altitude]", tuple)
		}
		x, err1 := strconv.ParseFloat(parts[0], 64)
		y, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("coordinates %.40q are not numbers", tuple)
		}
		if len(pts) >= geo.MaxGeometryPositions {
			return nil, fmt.Errorf("a geometry has more than %d positions, the most one feature may have", geo.MaxGeometryPositions)
		}
		pts = append(pts, orb.Point{x, y})
	}
	return pts, nil
}
