package ingest

import (
	"context"
	"errors"

	"github.com/khorasan/khorasan/geo"
)

// Target is a store that imports write into; the pipeline's checks,
// column types, modes, merges and report are the same for every store.
//
// The cut: a store reads the layer (Target.Layer, before the passes, and
// Tx.Layer, to see that it did not change between them) and writes rows,
// layer texts and audit entries in one transaction. How it keeps them
// (tables, indexes, extents, versions, caches) is its own business, done
// in Create, Keep and Commit, so the interface names no database type. It
// has no Delete: a replace drops the layer's features whole (Create),
// never one by one.
type Target interface {
	// Layer reads the layer as it is now, not from a cache;
	// geo.ErrNotFound when there is none.
	Layer(ctx context.Context, name string) (Table, error)
	// Begin starts the write transaction of an import into the layer.
	Begin(ctx context.Context, name string) (Tx, error)
}

// ValueChecker is a Target that cannot keep some values whatever the
// layer (PostgreSQL's text holds no NUL). The first pass asks it about
// every feature, so that such a feature is refused by its line, and
// skipped with SkipInvalid, as any other; "" keeps it.
type ValueChecker interface {
	CheckValues(f geo.Feature) string
}

// Tx is the write transaction of one import into one layer. The pipeline
// calls Layer, then Create (a new or replaced layer) or Keep (append,
// upsert), then Lookup, Insert, Update and Audit for each feature it
// reads, then Commit; Rollback undoes it all (a dry run, an error) and
// does nothing after Commit.
type Tx interface {
	// Layer reads the layer inside the transaction; geo.ErrNotFound
	// when there is none.
	Layer(ctx context.Context) (Table, error)
	// Create makes the layer new and empty, with info's texts and the
	// schema, in place of what it held, and says how many features it
	// held; info.Updated, when set, is recorded as its last change.
	// expect is how many features will be inserted (known from the
	// first pass), so the store can size what it gathers.
	Create(ctx context.Context, info geo.LayerInfo, schema geo.Schema, expect int64) (dropped int64, err error)
	// Keep writes into the layer as it is: info, when not nil, replaces
	// its texts and version, and cols are added to its columns.
	Keep(ctx context.Context, info *geo.LayerInfo, cols []geo.Column) error
	// Lookup finds the feature with the id; nil when there is none.
	Lookup(ctx context.Context, id string) (*geo.Feature, error)
	// Insert adds a feature whose properties are already the values of
	// their columns (geo.StoredValue); ErrDuplicateID when the layer has
	// a feature with its id.
	Insert(ctx context.Context, f geo.Feature) error
	// Update replaces the stored feature with f's id by f.
	Update(ctx context.Context, f geo.Feature) error
	// Audit adds an entry to the store's audit log.
	Audit(ctx context.Context, e geo.AuditEntry) error
	Commit(ctx context.Context) error
	Rollback() error
}

// Table is a stored layer as an import needs it.
type Table struct {
	geo.Layer
	// Keys name the columns the store keeps besides the properties (the
	// feature number, the geometry, the id), which no property may take.
	Keys []string
}

// ErrDuplicateID is Tx.Insert's error for an id the layer already has.
var ErrDuplicateID = errors.New("ingest: the layer already has a feature with this id")

// The names every store gives the key columns of a layer an import makes;
// no property may take them (nor, in a layer that keeps ids, idColumn).
const (
	fidColumn  = "fid"
	geomColumn = "geom"
	idColumn   = "id"
)
