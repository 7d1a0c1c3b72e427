// Package geo holds the domain of the map service: features, layers, schemas,
// column types, errors, queries and geometry validation; it imports only geo/cql2.
package geo

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
)

// Feature is one map feature. Properties hold only int64, float64, string,
// bool, nil, or (for TEXT columns with structured values) []any and
// map[string]any.
type Feature struct {
	// ID is the stable id of the feature: the layer's "id" column when it
	// has one, otherwise the GeoPackage fid in decimal.
	ID         string
	Geometry   orb.Geometry
	Properties map[string]any
}

// ColumnType is the declared type of an attribute column, using the
// GeoPackage names so that GDAL and QGIS read the same types.
type ColumnType string

// Attribute column types.
const (
	Integer  ColumnType = "INTEGER"
	Real     ColumnType = "REAL"
	Text     ColumnType = "TEXT"
	Boolean  ColumnType = "BOOLEAN"
	Date     ColumnType = "DATE"
	DateTime ColumnType = "DATETIME"
)

// Column is one typed attribute of a layer.
type Column struct {
	Name string
	Type ColumnType
}

// Schema is what a layer table is made of.
type Schema struct {
	// GeometryType is the GeoPackage geometry type name: POINT, LINESTRING,
	// POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON,
	// GEOMETRYCOLLECTION or GEOMETRY for a mix.
	GeometryType string
	// HasID says the features carry their own unique string id, kept in an
	// "id" column; otherwise the fid identifies them.
	HasID   bool
	Columns []Column
}

// Column returns the column with that name.
func (s Schema) Column(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Layer describes a stored layer.
type Layer struct {
	Name        string
	Title       string
	Description string
	// Attribution credits the data's sources, as a map must show it.
	Attribution string
	// Version is the LayerInfo.Version the layer was last written with.
	Version string
	Schema  Schema
	// Bounds is the extent of every geometry; zero when the layer is empty.
	Bounds orb.Bound
	// Count is the number of features.
	Count int64
	// TimeExtent is the first and last value of the date column, empty
	// when the layer has none or it holds no dates.
	TimeExtent [2]string
	// Changed is when the layer was last written, as GeoPackage stores it
	// (RFC 3339).
	Changed string
	// Profile says what the layer is; the store gives it: the one stored
	// with the layer, else the dataset's (Dataset.Effective).
	Profile Profile
	// StoredProfile is the profile stored with the layer; nil when it has
	// none, and Profile is the dataset's or a generic one.
	StoredProfile *Profile
}

// DateColumn returns the first DATE or DATETIME column, the one that places
// the layer's features in time.
func (l Layer) DateColumn() (Column, bool) {
	for _, c := range l.Schema.Columns {
		if c.Type == Date || c.Type == DateTime {
			return c, true
		}
	}
	return Column{}, false
}

// ErrNotFound is returned when a layer or feature does not exist.
var ErrNotFound = errors.New("not found")

// InvalidError says why an input was refused; its message is meant for the
// person who sent the input.
type InvalidError struct {
	// Where names the input: a file, a parameter, a feature.
	Where string
	Msg   string
}

func (e *InvalidError) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// FeatureWhere names the i-th feature of an input (from 0) for messages,
// with its id when it has one.
func FeatureWhere(i int, id string) string {
	if id != "" {
		return fmt.Sprintf("feature %d (id %q)", i+1, id)
	}
	return fmt.Sprintf("feature %d", i+1)
}

// Invalidf is an *InvalidError about where.
func Invalidf(where, format string, args ...any) error {
	return &InvalidError{Where: where, Msg: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err is an input error.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}
