// Package storecopy copies layers, with their texts, last change and the
// audit log, from one store to another (GeoPackage and PostGIS, both
// ways); it imports geo, and declares what it needs of each store.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/khorasan/khorasan/geo"
)

// Source is a store read whole.
type Source interface {
	Layers(ctx context.Context) ([]geo.Layer, error)
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
	// EachAudit calls fn for every audit entry, oldest first.
	EachAudit(ctx context.Context, fn func(geo.AuditEntry) error) error
}

// Target is a store written whole: each layer, then the audit log, in a
// transaction of its own.
type Target interface {
	ReplaceLayer(ctx context.Context, info geo.LayerInfo, schema geo.Schema, features iter.Seq2[geo.Feature, error]) (int64, error)
	RestoreAudit(ctx context.Context, entries iter.Seq2[geo.AuditEntry, error]) (int64, error)
}

// Report says what a copy wrote.
type Report struct {
	Layers []LayerCopy
	// Audit is the number of audit entries copied.
	Audit int64
}

// LayerCopy is one layer copied.
type LayerCopy struct {
	Name     string
	Features int64
}

// Copy writes every layer of src to dst (replacing a layer of the same
// name there), then appends src's audit log to dst's. Each layer lands
// whole or not at all; on an error the report says which landed.
func Copy(ctx context.Context, dst Target, src Source) (Report, error) {
	var rep Report
	layers, err := src.Layers(ctx)
	if err != nil {
		return rep, err
	}
	for _, l := range layers {
		n, err := Layer(ctx, dst, src, l)
		if err != nil {
			return rep, fmt.Errorf("layer %q: %w", l.Name, err)
		}
		rep.Layers = append(rep.Layers, LayerCopy{Name: l.Name, Features: n})
	}
	rep.Audit, err = dst.RestoreAudit(ctx, pushed(func(yield func(geo.AuditEntry) error) error {
		return src.EachAudit(ctx, yield)
	}))
	return rep, err
}

// Layer copies one layer: its features in src's order, its schema, texts,
// version and last change.
func Layer(ctx context.Context, dst Target, src Source, l geo.Layer) (int64, error) {
	info := geo.LayerInfo{Name: l.Name, Title: l.Title, Description: l.Description, Attribution: l.Attribution, Version: l.Version, Profile: l.StoredProfile}
	if t, err := time.Parse(time.RFC3339Nano, l.Changed); err == nil {
		info.Updated = t
	}
	schema := l.Schema
	schema.Columns = slices.Clone(schema.Columns)
	return dst.ReplaceLayer(ctx, info, schema, pushed(func(yield func(geo.Feature) error) error {
		return src.Features(ctx, l.Name, geo.Query{}, func(f geo.Feature) error {
			if !schema.HasID {
				f.ID = "" // the target numbers them, as the source did
			}
			return yield(f)
		})
	}))
}

// errStop ends a source's scan when the target stops reading.
var errStop = errors.New("storecopy: the target stopped reading")

// pushed turns a scan that calls back (the stores' Features, EachAudit)
// into the sequence the writers pull from; the scan's error, if any, is
// the sequence's last element.
func pushed[T any](scan func(yield func(T) error) error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		err := scan(func(v T) error {
			if !yield(v, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			var zero T
			yield(zero, err)
		}
	}
}
