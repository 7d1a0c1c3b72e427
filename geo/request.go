package geo

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

// Query selects features of a layer.
type Query struct {
	// BBox keeps features whose envelope meets it; nil keeps all.
	BBox *orb.Bound
	// Limit caps the number of features; 0 means no cap.
	Limit  int
	Offset int
	// SortBy orders the features; the fid breaks ties, so pages are stable.
	SortBy []SortKey
	// Filter keeps the features a CQL2 expression matches; nil keeps all.
	// An unknown property or a type mismatch in it is an *InvalidError.
	Filter cql2.Expr
}

// SortKey is one property to sort by.
type SortKey struct {
	Name string
	Desc bool
}

// LayerInfo is what a person says about a layer.
type LayerInfo struct {
	Name        string
	Title       string
	Description string
	// Attribution credits the sources; it is kept with the GeoPackage
	// metadata extension, where GDAL and QGIS can read it too.
	Attribution string
	// Version names the data the layer is made from (the default data's
	// hash), for whoever made it to tell later whether it is current; the
	// store keeps it with the attribution and does not read it. A replace
	// without one clears it; an upsert or append without one keeps it.
	Version string
	// Profile is the profile stored with the layer (Layer.StoredProfile).
	// A layer made or replaced whole gets exactly it (nil: none); a kept
	// layer (Tx.Keep, an append or upsert) keeps its own when it is nil.
	Profile *Profile
	// Updated is when the data was last edited where it was made; an
	// import that creates the layer records it as the layer's last change
	// instead of now, so "data as of" is the data's date and not the day a
	// file was made. Zero means now; other writes always record now.
	Updated time.Time
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
	// Actor is who wrote: the token's name for the API, "cli:USER" for the
	// command line.
	Actor  string `json:"actor"`
	Action string `json:"action"` // create, update, delete, import, profile
	Layer  string `json:"layer"`
	// FeatureID is the feature's id; empty for an import.
	FeatureID string `json:"featureId,omitempty"`
	// Old and New are GeoJSON Features (New is a summary for an import;
	// for a profile, the profiles' JSON, empty for none).
	Old json.RawMessage `json:"old,omitempty"`
	New json.RawMessage `json:"new,omitempty"`
}

// HistoryQuery selects audit entries; zero fields select all.
type HistoryQuery struct {
	Layer     string
	FeatureID string
	Actor     string
	Since     time.Time
	// Limit caps the entries, newest first; 0 means 100.
	Limit int
}

// ErrBusy marks a write (or read) refused because another writer held the
// data past the store's wait; nothing was written and the client may retry.
var ErrBusy = errors.New("busy")

// ErrPrecondition is returned by change functions whose precondition
// fails; the edit is not made.
var ErrPrecondition = errors.New("precondition failed")

// ErrConflict marks writes refused because of the state of the data: a
// layer that already exists, a feature changed since it was read.
var ErrConflict = errors.New("conflict")

// ConflictError says what conflicts; it matches ErrConflict.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string        { return e.Msg }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// GeometryQueryable is the name filters use for a layer's geometry; the
// geometry column's own name works too.
const GeometryQueryable = "geometry"
