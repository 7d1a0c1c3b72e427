package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/khorasan/khorasan/geo"
)

// prepare turns a record into the feature to write, or says why it is
// refused. full runs the costly checks too (geometry validity).
func (p *plan) prepare(rec geo.Record, full bool) (geo.Feature, string) {
	if rec.Err != nil {
		var ie *geo.InvalidError
		if errors.As(rec.Err, &ie) {
			return rec.Feature, ie.Msg
		}
		return rec.Feature, rec.Err.Error()
	}
	f := rec.Feature
	if f.Properties == nil {
		f.Properties = map[string]any{}
	}
	if k := p.src.IDProperty; k != "" {
		v, ok := f.Properties[k]
		if !ok || v == nil || fmt.Sprint(v) == "" {
			return f, fmt.Sprintf("no id: property %q is missing or empty", k)
		}
		f.ID = geo.ValueText(v)
		props := make(map[string]any, len(f.Properties))
		for name, v := range f.Properties {
			if name != k {
				props[name] = v
			}
		}
		f.Properties = props
	}
	if err := geo.ValidateGeometry(f.Geometry); err != nil {
		return f, "geometry: " + err.Error()
	}
	if full {
		if err := geo.CheckValidity(f.Geometry); err != nil {
			return f, "geometry: " + err.Error()
		}
	}
	if p.rules != nil {
		if reason := p.rules.Check(f, p.opt.Mode == ModeUpsert); reason != "" {
			return f, reason
		}
	}
	if vc, ok := p.target.(ValueChecker); ok {
		if reason := vc.CheckValues(f); reason != "" {
			return f, reason
		}
	}
	if p.base != nil {
		return f, p.fits(f)
	}
	return f, ""
}

// fits says why f does not fit the layer kept, or "".
func (p *plan) fits(f geo.Feature) string {
	s := p.base.Schema
	if g := geo.Promote(f.Geometry, s.GeometryType); g != nil && s.GeometryType != "GEOMETRY" && string(geo.GeometryType(g)) != s.GeometryType {
		return fmt.Sprintf("geometry is a %s, but layer %q holds %s", geo.GeometryType(g), p.base.Name, s.GeometryType)
	}
	for k, v := range f.Properties {
		if c, ok := s.Column(k); ok {
			if _, err := storeValue(c, v); err != nil {
				return err.Error()
			}
		}
	}
	if p.opt.Mode == ModeUpsert && f.ID == "" {
		return "no id: upsert matches features by id"
	}
	return ""
}

// check is the first pass.
func (p *plan) check(ctx context.Context) error {
	p.rejected = map[int64]bool{}
	p.idSeed = maphash.MakeSeed()
	var firstWith, firstWithout int64 = -1, -1
	err := p.each(ctx, "check", func(idx int64, rec geo.Record) error {
		p.rep.Read++
		f, reason := p.prepare(rec, true)
		if reason != "" {
			p.reject(idx, rec.Line, f.ID, reason)
			return nil
		}
		if f.ID != "" {
			p.ids = append(p.ids, idMark{maphash.String(p.idSeed, f.ID), uint32(idx), uint32(rec.Line)})
			if firstWith < 0 {
				firstWith = idx
			}
		} else if firstWithout < 0 {
			firstWithout = idx
		}
		if p.base == nil && f.Geometry != nil {
			p.b.geoms[geo.GeometryType(f.Geometry)] = true
		}
		p.stats.rows++
		for k, v := range f.Properties {
			if p.counted(k) {
				p.stats.observe(k, v)
			}
			if p.base != nil {
				if _, ok := p.base.Schema.Column(k); ok {
					continue
				}
			}
			p.b.observe(k, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := p.findDuplicates(ctx); err != nil {
		return err
	}
	if p.base == nil {
		return p.newSchema(firstWith, firstWithout)
	}
	return p.keptSchema(firstWith >= 0)
}

// newSchema is the schema of a new (or replaced) layer, from what the
// first pass saw.
func (p *plan) newSchema(firstWith, firstWithout int64) error {
	if firstWith >= 0 && firstWithout >= 0 {
		return geo.Invalidf(p.src.Name, "feature %d has an id and feature %d has none; give every feature a unique id or none", firstWith+1, firstWithout+1)
	}
	p.hasIDs = firstWith >= 0
	cols, err := p.b.columns(p.order, nil)
	if err != nil {
		return err
	}
	if p.hasIDs {
		for _, c := range cols {
			if strings.EqualFold(c.Name, idColumn) {
				return geo.Invalidf("properties", "property %q clashes with the feature id; rename it", c.Name)
			}
		}
	}
	p.schema = geo.Schema{GeometryType: mergeGeometryTypes(p.b.geoms), HasID: p.hasIDs, Columns: cols}
	if !p.rep.Created {
		p.rep.Deleted = p.existing.Count
	}
	return nil
}

// keptSchema is the schema of the layer kept: its own, and the columns
// of the properties it did not have.
func (p *plan) keptSchema(withIDs bool) error {
	p.hasIDs = p.base.Schema.HasID
	if !p.hasIDs && withIDs {
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("layer %q identifies features by number (fid), so the input's ids are not kept", p.base.Name))
	}
	have := slices.Clone(p.base.Keys)
	for _, c := range p.base.Schema.Columns {
		have = append(have, c.Name)
	}
	cols, err := p.b.columns(p.order, have)
	if err != nil {
		return err
	}
	p.newCols = cols
	p.rep.NewColumns = cols
	p.schema = p.base.Schema
	p.schema.Columns = append(slices.Clip(p.schema.Columns), cols...)
	return nil
}

// counted says the first pass counts the values of a property: every
// one for a new layer (its profile is made from them), only those of the
// stored profile's open categories for a kept one.
func (p *plan) counted(name string) bool {
	if p.seed {
		return false
	}
	if p.base == nil {
		return true
	}
	if sp := p.base.StoredProfile; sp != nil {
		c, ok := sp.Category(name)
		return ok && c.Open
	}
	return false
}

func (p *plan) reject(idx int64, line int, id, reason string) {
	p.rep.Rejected++
	p.rejected[idx] = true
	if len(p.rep.Errors) < p.opt.MaxErrors {
		p.rep.Errors = append(p.rep.Errors, RowError{Record: idx + 1, Line: line, ID: id, Reason: reason})
	}
}

// findDuplicates finds ids given twice. The first pass keeps only a hash
// of each id (16 bytes a feature); the rare equal hashes are checked
// against the ids themselves in one more read.
func (p *plan) findDuplicates(ctx context.Context) error {
	slices.SortFunc(p.ids, func(a, b idMark) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return int(a.record) - int(b.record)
	})
	suspects := map[int64]bool{}
	for i := 1; i < len(p.ids); i++ {
		if p.ids[i].hash == p.ids[i-1].hash {
			suspects[int64(p.ids[i].record)] = true
			suspects[int64(p.ids[i-1].record)] = true
		}
	}
	p.ids = nil
	if len(suspects) == 0 {
		return nil
	}
	type first struct {
		record int64
		line   int
	}
	seen := map[string]first{}
	var dups []RowError
	err := p.each(ctx, "check", func(idx int64, rec geo.Record) error {
		if !suspects[idx] {
			return nil
		}
		f, _ := p.prepare(rec, false)
		if prev, ok := seen[f.ID]; ok {
			where := fmt.Sprintf("feature %d", prev.record+1)
			if prev.line > 0 {
				where = fmt.Sprintf("line %d", prev.line)
			}
			dups = append(dups, RowError{Record: idx + 1, Line: rec.Line, ID: f.ID, Reason: fmt.Sprintf("duplicate id %q (also at %s)", f.ID, where)})
			return nil
		}
		seen[f.ID] = first{idx, rec.Line}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range dups {
		p.reject(d.Record-1, d.Line, d.ID, d.Reason)
	}
	slices.SortFunc(p.rep.Errors, func(a, b RowError) int { return int(a.Record - b.Record) })
	return nil
}
