package csv

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// Writer writes features as CSV, one row per feature: the id, then
// longitude and latitude for point layers or the geometry as WKT for any
// other, then the properties in column order.
type Writer struct {
	w      *csv.Writer
	schema geo.Schema
	points bool
	row    []string
}

// NewWriter writes the header row at once.
func NewWriter(w io.Writer, schema geo.Schema) (*Writer, error) {
	c := &Writer{w: csv.NewWriter(w), schema: schema, points: schema.GeometryType == "POINT"}
	header := []string{"id"}
	if c.points {
		header = append(header, "longitude", "latitude")
	} else {
		header = append(header, "wkt")
	}
	for _, col := range schema.Columns {
		header = append(header, col.Name)
	}
	return c, c.w.Write(header)
}

// Write adds one feature.
func (c *Writer) Write(f geo.Feature) error {
	row := append(c.row[:0], f.ID)
	if c.points {
		if p, ok := f.Geometry.(orb.Point); ok {
			row = append(row, strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64))
		} else {
			row = append(row, "", "")
		}
	} else if f.Geometry != nil {
		row = append(row, wkt.MarshalString(f.Geometry))
	} else {
		row = append(row, "")
	}
	for _, col := range c.schema.Columns {
		row = append(row, geo.PlainText(f.Properties[col.Name]))
	}
	c.row = row
	return c.w.Write(row)
}

// Flush writes what is buffered and reports any write error.
func (c *Writer) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
