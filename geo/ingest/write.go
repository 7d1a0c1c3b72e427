package ingest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
)

// write is the second pass, in one transaction.
func (p *plan) write(ctx context.Context) error {
	tx, err := p.target.Begin(ctx, p.opt.Layer.Name)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := p.recheck(ctx, tx); err != nil {
		return err
	}
	if err := p.open(ctx, tx); err != nil {
		return err
	}
	cols := make(map[string]geo.Column, len(p.schema.Columns))
	for _, c := range p.schema.Columns {
		cols[c.Name] = c
	}
	err = p.each(ctx, "write", func(idx int64, rec geo.Record) error {
		return p.writeRecord(ctx, tx, cols, idx, rec)
	})
	if err != nil {
		return err
	}
	if err := p.auditImport(ctx, tx); err != nil {
		return err
	}
	if p.opt.DryRun {
		return nil // the deferred rollback undoes it all
	}
	return tx.Commit(ctx)
}

// recheck sees that the layer is still there, or still not, and has the
// columns the first pass checked the values against. Edits between the
// passes are fine (upsert looks ids up as it writes).
func (p *plan) recheck(ctx context.Context, tx Tx) error {
	name := p.opt.Layer.Name
	cur, err := tx.Layer(ctx)
	if err != nil && !errors.Is(err, geo.ErrNotFound) {
		return err
	}
	exists := err == nil
	switch {
	case exists && (p.opt.Mode == ModeCreate || p.existing == nil && p.opt.Mode != ModeReplace):
		return &geo.ConflictError{Msg: fmt.Sprintf("layer %q was made while the input was being checked; run the import again", name)}
	case p.base != nil && !exists:
		return &geo.ConflictError{Msg: fmt.Sprintf("layer %q was removed while the input was being checked", name)}
	case p.base != nil && !sameTable(cur, *p.base):
		return &geo.ConflictError{Msg: fmt.Sprintf("the columns of layer %q changed while the input was being checked; run the import again", name)}
	}
	return nil
}

// sameTable says whether two readings of a layer have the same keys,
// geometry type and columns.
func sameTable(a, b Table) bool {
	return a.Schema.GeometryType == b.Schema.GeometryType && a.Schema.HasID == b.Schema.HasID &&
		slices.Equal(a.Keys, b.Keys) && slices.Equal(a.Schema.Columns, b.Schema.Columns)
}

// open makes the layer ready: a new one for create and replace (and for
// append and upsert when there was none), or the one kept, with its new
// columns.
func (p *plan) open(ctx context.Context, tx Tx) error {
	if p.base != nil {
		return tx.Keep(ctx, keptInfo(p.base, p.opt.Layer, p.keptProfile), p.newCols)
	}
	dropped, err := tx.Create(ctx, p.newInfo(), p.schema, p.rep.Read-p.rep.Rejected)
	if err != nil {
		return err
	}
	p.rep.Deleted = dropped
	return nil
}

// newInfo is what a new or replaced layer is told: opt.Layer, and for a
// replace the layer's own texts where opt.Layer has none (not for Seed).
// Updated dates only a layer that did not exist: caches may know one
// that did, and must see it change.
func (p *plan) newInfo() geo.LayerInfo {
	info := p.opt.Layer
	if p.existing == nil {
		return info
	}
	info.Updated = time.Time{}
	if p.seed {
		return info
	}
	if info.Title == "" && p.existing.Title != p.existing.Name {
		info.Title = p.existing.Title
	}
	info.Description = cmp.Or(info.Description, p.existing.Description)
	info.Attribution = cmp.Or(info.Attribution, p.existing.Attribution)
	return info
}

// keptInfo is what a kept layer (append, upsert) is told: the parts of
// info that are given, over its own, and its profile when the import
// changed it; nil when none is.
func keptInfo(cur *Table, info geo.LayerInfo, profile *geo.Profile) *geo.LayerInfo {
	if info.Profile != nil {
		profile = info.Profile
	}
	if info.Title == "" && info.Description == "" && info.Attribution == "" && info.Version == "" && profile == nil {
		return nil
	}
	return &geo.LayerInfo{Name: cur.Name, Title: cmp.Or(info.Title, cur.Title), Description: cmp.Or(info.Description, cur.Description),
		Attribution: cmp.Or(info.Attribution, cur.Attribution), Version: cmp.Or(info.Version, cur.Version), Profile: profile}
}

// writeRecord writes one record of the second pass.
func (p *plan) writeRecord(ctx context.Context, tx Tx, cols map[string]geo.Column, idx int64, rec geo.Record) error {
	if p.rejected[idx] {
		return nil
	}
	f, reason := p.prepare(rec, false)
	if reason != "" {
		return geo.Invalidf(fmt.Sprintf("line %d", rec.Line), "%s (the input changed between the two reads?)", reason)
	}
	where := RowError{Record: idx + 1, Line: rec.Line, ID: f.ID}
	if !p.hasIDs {
		f.ID = ""
	} else if f.ID == "" {
		f.ID = geo.NewID()
	}
	f.Geometry = geo.Promote(f.Geometry, p.schema.GeometryType)
	if p.opt.Mode == ModeUpsert {
		old, err := tx.Lookup(ctx, f.ID)
		if err != nil {
			return err
		}
		if old != nil {
			return p.update(ctx, tx, where, *old, f)
		}
	}
	return p.insert(ctx, tx, cols, where, f)
}

// insert adds a feature the layer does not have.
func (p *plan) insert(ctx context.Context, tx Tx, cols map[string]geo.Column, where RowError, f geo.Feature) error {
	if p.rules != nil && p.opt.Mode == ModeUpsert {
		// The first pass checked it as a partial update.
		if reason := p.rules.Check(f, false); reason != "" {
			where.Reason = reason
			return geo.Invalidf(where.String(), "new feature: %s", reason)
		}
	}
	for k, v := range f.Properties {
		if _, ok := v.(geo.Cell); ok {
			if c, ok := cols[k]; ok {
				sv, err := storeValue(c, v)
				if err != nil {
					return err
				}
				f.Properties[k] = sv
			}
		}
	}
	if err := tx.Insert(ctx, f); err != nil {
		if !errors.Is(err, ErrDuplicateID) {
			return err
		}
		if p.opt.Mode == ModeAppend {
			where.Reason = fmt.Sprintf("id %q is already in layer %q; use mode upsert to update it", f.ID, p.opt.Layer.Name)
		} else {
			where.Reason = fmt.Sprintf("duplicate id %q", f.ID)
		}
		return &geo.InvalidError{Where: p.src.Name, Msg: where.String()}
	}
	p.rep.Inserted++
	return nil
}

// update merges f into the stored feature old, and writes (and audits)
// the result when it differs.
func (p *plan) update(ctx context.Context, tx Tx, where RowError, old, f geo.Feature) error {
	merged, err := mergeFeature(p.schema, old, f)
	if err != nil {
		where.Reason = err.Error()
		return &geo.InvalidError{Where: p.src.Name, Msg: where.String()}
	}
	if p.rules != nil {
		if reason := p.rules.Check(merged, false); reason != "" {
			where.Reason = reason
			return &geo.InvalidError{Where: p.src.Name, Msg: where.String()}
		}
	}
	same, oldJSON, newJSON, err := geojson.Compare(p.schema, old, merged)
	if err != nil {
		return err
	}
	if same {
		p.rep.Unchanged++
		return nil
	}
	if err := tx.Update(ctx, merged); err != nil {
		return err
	}
	e := geo.AuditEntry{Actor: p.opt.Actor, Action: "update", Layer: p.opt.Layer.Name, FeatureID: f.ID, Old: json.RawMessage(oldJSON), New: json.RawMessage(newJSON)}
	if err := tx.Audit(ctx, e); err != nil {
		return err
	}
	p.rep.Updated++
	return nil
}

// mergeFeature is old updated by what f has: its geometry, and each
// property it carries (a null clears one).
func mergeFeature(schema geo.Schema, old, f geo.Feature) (geo.Feature, error) {
	m := geo.Feature{ID: old.ID, Geometry: f.Geometry, Properties: make(map[string]any, len(schema.Columns))}
	for k, v := range old.Properties {
		m.Properties[k] = v
	}
	for k, v := range f.Properties {
		c, ok := schema.Column(k)
		if !ok {
			return m, fmt.Errorf("property %q is not a column of the layer", k)
		}
		cv, err := storeValue(c, v)
		if err != nil {
			return m, err
		}
		m.Properties[k] = cv
	}
	return m, nil
}

// auditImport adds the import's summary to the audit log (not for Seed).
func (p *plan) auditImport(ctx context.Context, tx Tx) error {
	if p.seed {
		return nil
	}
	r := p.rep
	summary, err := jsonText(map[string]any{"source": filepath.Base(p.src.Name), "format": p.src.Format, "mode": p.opt.Mode, "profile": r.Profile,
		"read": r.Read, "inserted": r.Inserted, "updated": r.Updated, "unchanged": r.Unchanged, "deleted": r.Deleted, "rejected": r.Rejected,
		"newColumns": r.NewColumns})
	if err != nil {
		return err
	}
	return tx.Audit(ctx, geo.AuditEntry{Actor: p.opt.Actor, Action: "import", Layer: p.opt.Layer.Name, New: json.RawMessage(summary)})
}

// jsonText is v as JSON without HTML escapes.
func jsonText(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
