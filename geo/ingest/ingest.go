// Package ingest is the one import pipeline: what an import is asked and answers,
// and the two passes that read, check, type and write a GeoJSON, CSV or KML source
// through Target, the small write transaction each store implements. It imports geo
// and the formats, never a store.
package ingest

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
)

// Format is an input format.
type Format string

// Input formats.
const (
	FormatGeoJSON Format = "geojson"
	FormatCSV     Format = "csv"
	FormatKML     Format = "kml"
)

// Mode says what an import does with the layer.
type Mode string

// Import modes.
const (
	// ModeCreate makes a new layer; it is refused when the layer exists.
	ModeCreate Mode = "create"
	// ModeAppend adds the features; their ids must be new.
	ModeAppend Mode = "append"
	// ModeUpsert updates the features whose id the layer has and adds the
	// others. An update changes the properties the input has and leaves
	// the others as they were.
	ModeUpsert Mode = "upsert"
	// ModeReplace makes the layer exactly the input.
	ModeReplace Mode = "replace"
)

// ParseMode reads a mode's name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeCreate, ModeAppend, ModeUpsert, ModeReplace:
		return m, nil
	}
	return "", geo.Invalidf("mode", "%q is not a mode; use create, append, upsert or replace", s)
}

// ParseFormat reads a format's name ("" stays "": guess).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return "", nil
	case "geojson", "json":
		return FormatGeoJSON, nil
	case "csv", "tsv", "txt":
		return FormatCSV, nil
	case "kml", "kmz":
		return FormatKML, nil
	}
	return "", geo.Invalidf("format", "%q is not an input format; use geojson, csv or kml", s)
}

// Source is input to import. Open is called once for each pass.
type Source struct {
	// Name names the input in messages (a file name).
	Name string
	// Format is "" to guess from Name's extension, then from the first bytes.
	Format Format
	Open   func() (io.ReadCloser, error)
	// Size is the input's length in bytes, for progress; 0 when unknown.
	Size int64
	// CSV says how to read a CSV file.
	CSV csv.Options
	// IDProperty names the property (or CSV column) that holds each
	// feature's stable id; "" takes the format's own: GeoJSON "id", the
	// KML Placemark id, the id column of a recognised CSV export, or a CSV
	// column named "id".
	IDProperty string
}

// FileSource is a file on disk.
func FileSource(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Source{}, err
	}
	if fi.IsDir() {
		return Source{}, fmt.Errorf("%s is a directory", path)
	}
	return Source{Name: path, Size: fi.Size(), Open: func() (io.ReadCloser, error) { return os.Open(path) }}, nil
}

// ImportOptions says what to do with a source.
type ImportOptions struct {
	Layer geo.LayerInfo
	Mode  Mode
	// DryRun checks and writes in a transaction that is rolled back, so
	// the report says exactly what would change.
	DryRun bool
	// SkipInvalid writes the features that pass and leaves out those
	// refused (which the report lists); without it one refused feature
	// stops the import.
	SkipInvalid bool
	// Actor is who imports, for the audit log.
	Actor string
	// MaxErrors caps the refused features listed in the report (they are
	// all counted); 0 means 100.
	MaxErrors int
	// Progress, when set, is told how far the import is, now and then.
	Progress func(Progress)
}

// Progress is how far an import is.
type Progress struct {
	Phase   string // "check" or "write"
	Bytes   int64  // read so far in this phase
	Total   int64  // the source's size; 0 when unknown
	Records int64
}

// Report says what an import did, or would do.
type Report struct {
	Layer   string `json:"layer"`
	Mode    Mode   `json:"mode"`
	DryRun  bool   `json:"dryRun"`
	Format  Format `json:"format"`
	Profile string `json:"profile,omitempty"`
	// Created says the layer did not exist.
	Created    bool         `json:"created"`
	Read       int64        `json:"read"`
	Inserted   int64        `json:"inserted"`
	Updated    int64        `json:"updated"`
	Unchanged  int64        `json:"unchanged"`
	Deleted    int64        `json:"deleted"`
	Rejected   int64        `json:"rejected"`
	NewColumns []geo.Column `json:"newColumns,omitempty"`
	// LayerProfile is the profile the import leaves stored with the
	// layer, when it sets one (see profile.go).
	LayerProfile *geo.Profile `json:"layerProfile,omitempty"`
	Warnings     []string     `json:"warnings,omitempty"`
	Errors       []RowError   `json:"errors,omitempty"`
}

// RowError is one refused feature.
type RowError struct {
	// Record is the feature's 1-based position in the input.
	Record int64 `json:"record"`
	// Line is where it starts in the file (CSV: its row's line).
	Line   int    `json:"line,omitempty"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	where := fmt.Sprintf("feature %d", e.Record)
	if e.Line > 0 {
		where += fmt.Sprintf(" at line %d", e.Line)
	}
	if e.ID != "" {
		where += fmt.Sprintf(" (id %q)", e.ID)
	}
	return where + ": " + e.Reason
}

// RejectedError is an import refused because features were; nothing was
// written. Its report lists them.
type RejectedError struct {
	Report *Report
}

func (e *RejectedError) Error() string {
	r := e.Report
	msg := fmt.Sprintf("%d of %d features refused, nothing written", r.Rejected, r.Read)
	if len(r.Errors) > 0 {
		msg += "; first: " + r.Errors[0].String()
	}
	return msg
}

// Unwrap makes it an input error.
func (e *RejectedError) Unwrap() error { return &geo.InvalidError{Msg: e.Error()} }
