package gpkg

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/geo/kml"
	"github.com/paulmach/orb"
)

// Imports: a file (GeoJSON, CSV, KML) becomes features of a layer in one
// of four modes, in two passes over the input. The first pass reads and
// checks every feature without holding them (a report lists each one
// refused, by line), infers the column types and finds duplicate ids;
// nothing is written. The second pass reads the input again and writes
// it in one transaction, which lands whole or not at all. Two passes cost
// a second parse, but the write lock is held only for the second, the
// types are right from the first row to the last (no guessing from a
// sample and widening later), and a dry run is the whole check.

// Import reads a source into a layer. A refused feature (unless
// SkipInvalid), a read error or a cancelled context leaves the file as it
// was; the report says why. With DryRun nothing is ever written.
func (s *Store) Import(ctx context.Context, src ingest.Source, opt ingest.ImportOptions) (*ingest.Report, error) {
	rep, err := s.importSource(ctx, src, opt, false)
	return rep, busy(err)
}

// importSource is Import; internal skips the layer's rules and the audit
// log: ImportGeoJSON, which seeds the default data and builds test layers.
func (s *Store) importSource(ctx context.Context, src ingest.Source, opt ingest.ImportOptions, internal bool) (*ingest.Report, error) {
	name := opt.Layer.Name
	if err := CheckLayerName(name); err != nil {
		return nil, err
	}
	if _, err := ingest.ParseMode(string(opt.Mode)); err != nil {
		return nil, err
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 100
	}
	rep := &ingest.Report{Layer: name, Mode: opt.Mode, DryRun: opt.DryRun}
	existing, err := loadTable(ctx, s.reader, name) // fresh: the cache may trail another process
	if errors.Is(err, geo.ErrNotFound) {
		existing, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	var base *table // the layer written into, when it is kept
	switch {
	case existing == nil:
		rep.Created = true
	case opt.Mode == ingest.ModeCreate:
		return nil, &geo.ConflictError{Msg: fmt.Sprintf("layer %q already exists; use mode append, upsert or replace", name)}
	case opt.Mode == ingest.ModeAppend || opt.Mode == ingest.ModeUpsert:
		base = existing
		if opt.Mode == ingest.ModeUpsert && !existing.Schema.HasID {
			return nil, geo.Invalidf("mode", "layer %q has no id column, and upsert matches features by id; use append or replace", name)
		}
	}
	if src.Format == "" {
		f, err := sniffFormat(src)
		if err != nil {
			return nil, err
		}
		src.Format = f
	}
	rep.Format = src.Format
	p := &plan{store: s, src: src, opt: opt, rep: rep, base: base, existing: existing, b: newSchemaBuilder(), internal: internal}
	if !internal {
		p.rules = s.rules(name)
	}
	if err := p.check(ctx); err != nil {
		return rep, err
	}
	if rep.Rejected > 0 && !opt.SkipInvalid {
		return rep, &ingest.RejectedError{Report: rep}
	}
	if err := p.write(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// sniffFormat guesses from the name, then from the first bytes.
func sniffFormat(src ingest.Source) (ingest.Format, error) {
	switch strings.ToLower(filepath.Ext(src.Name)) {
	case ".geojson", ".json", ".geojsonl":
		return ingest.FormatGeoJSON, nil
	case ".csv", ".tsv", ".txt":
		return ingest.FormatCSV, nil
	case ".kml", ".kmz":
		return ingest.FormatKML, nil
	}
	rc, err := src.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(rc, head)
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xEF\xBB\xBF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("{")):
		return ingest.FormatGeoJSON, nil
	case bytes.HasPrefix(head, []byte("<")), bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return ingest.FormatKML, nil
	}
	return ingest.FormatCSV, nil
}

// plan is an import between its passes.
type plan struct {
	store    *Store
	internal bool // see importSource
	src      ingest.Source
	opt      ingest.ImportOptions
	rep      *ingest.Report
	rules    *geo.Profile
	base     *table // the layer kept and written into; nil for a new one
	existing *table // the layer before, when there was one

	b        *schemaBuilder
	schema   geo.Schema
	newCols  []geo.Column
	rejected map[int64]bool
	idSeed   maphash.Seed
	ids      []idMark
	order    []string
	warned   map[string]bool
	hasIDs   bool // the written layer keeps ids
}

type idMark struct {
	hash   uint64
	record uint32
	line   uint32
}

// openReader opens the source for one pass.
func (p *plan) openReader(count *atomic.Int64) (geo.RecordReader, io.Closer, error) {
	rc, err := p.src.Open()
	if err != nil {
		return nil, nil, err
	}
	cr := &countingReader{r: rc, n: count}
	var fr geo.RecordReader
	switch p.src.Format {
	case ingest.FormatGeoJSON:
		fr = geojson.NewReader(cr)
	case ingest.FormatCSV:
		var prof string
		fr, prof, err = csv.NewReader(cr, p.src.CSV)
		p.rep.Profile = prof
	case ingest.FormatKML:
		fr, err = kml.NewReader(cr, rc)
	default:
		err = geo.Invalidf("format", "unknown format %q", p.src.Format)
	}
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return fr, rc, nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// each reads every record of the source.
func (p *plan) each(ctx context.Context, phase string, fn func(idx int64, rec geo.Record) error) error {
	var count atomic.Int64
	fr, closer, err := p.openReader(&count)
	if err != nil {
		return err
	}
	defer closer.Close()
	last := time.Now()
	for idx := int64(0); ; idx++ {
		rec, err := fr.Read()
		if err == io.EOF {
			p.order = fr.Properties()
			if p.opt.Progress != nil {
				p.opt.Progress(ingest.Progress{Phase: phase, Bytes: count.Load(), Total: p.src.Size, Records: idx})
			}
			return nil
		}
		if err != nil {
			return err
		}
		if idx&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if p.opt.Progress != nil && time.Since(last) > 100*time.Millisecond {
				last = time.Now()
				p.opt.Progress(ingest.Progress{Phase: phase, Bytes: count.Load(), Total: p.src.Size, Records: idx})
			}
		}
		if idx >= 1<<32-1 {
			return geo.Invalidf(p.src.Name, "more than %d features", uint32(1<<32-1))
		}
		if err := fn(idx, rec); err != nil {
			return err
		}
	}
}

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
		if reason := p.rules.Check(f, p.opt.Mode == ingest.ModeUpsert); reason != "" {
			return f, reason
		}
	}
	if p.base != nil {
		if g := promote(f.Geometry, p.base.Schema.GeometryType); g != nil && p.base.Schema.GeometryType != "GEOMETRY" &&
			string(geometryTypeName(g)) != p.base.Schema.GeometryType {
			return f, fmt.Sprintf("geometry is a %s, but layer %q holds %s", geometryTypeName(g), p.base.Name, p.base.Schema.GeometryType)
		}
		for k, v := range f.Properties {
			if c, ok := p.base.Schema.Column(k); ok {
				if _, err := storeValue(c, v); err != nil {
					return f, err.Error()
				}
			}
		}
		if p.opt.Mode == ingest.ModeUpsert && f.ID == "" {
			return f, "no id: upsert matches features by id"
		}
	}
	return f, ""
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
		if p.base == nil {
			if f.Geometry != nil {
				p.b.geoms[geometryTypeName(f.Geometry)] = true
			}
		}
		for k, v := range f.Properties {
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
	// The schema written.
	if p.base == nil {
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
	} else {
		p.hasIDs = p.base.Schema.HasID
		if !p.hasIDs && firstWith >= 0 {
			p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("layer %q identifies features by number (fid), so the input's ids are not kept", p.base.Name))
		}
		have := []string{p.base.fidCol, p.base.geomCol}
		if p.base.idCol != "" {
			have = append(have, p.base.idCol)
		}
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
	}
	return nil
}

func (p *plan) reject(idx int64, line int, id, reason string) {
	p.rep.Rejected++
	p.rejected[idx] = true
	if len(p.rep.Errors) < p.opt.MaxErrors {
		p.rep.Errors = append(p.rep.Errors, ingest.RowError{Record: idx + 1, Line: line, ID: id, Reason: reason})
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
	var dups []ingest.RowError
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
			dups = append(dups, ingest.RowError{Record: idx + 1, Line: rec.Line, ID: f.ID, Reason: fmt.Sprintf("duplicate id %q (also at %s)", f.ID, where)})
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
	slices.SortFunc(p.rep.Errors, func(a, b ingest.RowError) int { return int(a.Record - b.Record) })
	return nil
}

// schemaBuilder infers column types from values as they stream by, as
// the tests' inferSchema does from a slice.
type schemaBuilder struct {
	kinds map[string]map[geo.ColumnType]bool
	geoms map[geo.ColumnType]bool
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{kinds: map[string]map[geo.ColumnType]bool{}, geoms: map[geo.ColumnType]bool{}}
}

func (b *schemaBuilder) observe(name string, v any) {
	k := b.kinds[name]
	if k == nil {
		k = map[geo.ColumnType]bool{}
		b.kinds[name] = k
	}
	if v != nil {
		if c, ok := v.(geo.Cell); ok {
			if c != "" {
				k[csv.CellKind(string(c))] = true
			}
			return
		}
		k[kindOf(v)] = true
	}
}

// columns are the new columns in order (the order properties first
// appeared, then the rest sorted), checked against the names the layer
// already has.
func (b *schemaBuilder) columns(order, have []string) ([]geo.Column, error) {
	folded := map[string]string{}
	for _, h := range have {
		folded[strings.ToLower(h)] = h
	}
	var names []string
	placed := map[string]bool{}
	for _, n := range order {
		if _, ok := b.kinds[n]; ok && !placed[n] {
			names = append(names, n)
			placed[n] = true
		}
	}
	var rest []string
	for n := range b.kinds {
		if !placed[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	names = append(names, rest...)
	var cols []geo.Column
	for _, n := range names {
		if err := checkColumnName(n, folded); err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
		folded[strings.ToLower(n)] = n
		cols = append(cols, geo.Column{Name: n, Type: mergeKinds(b.kinds[n])})
	}
	return cols, nil
}

// storeValue converts a property value, typed or read as text, to what
// the column keeps.
func storeValue(c geo.Column, v any) (any, error) {
	if t, ok := v.(geo.Cell); ok {
		return csv.CellValue(c, string(t))
	}
	return storedValue(c, v)
}

// canonical is a value as reading it back from the column gives it.
func canonical(c geo.Column, v any) (any, error) {
	sv, err := storeValue(c, v)
	if err != nil {
		return nil, err
	}
	return readValue(c.Type, sv), nil
}

// newID makes an id for a feature that comes without one, into a layer
// that keeps ids: a version 7 UUID, ordered by time.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// write is the second pass, in one transaction.
func (p *plan) write(ctx context.Context) error {
	s := p.store
	name := p.opt.Layer.Name
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	defer s.forget()

	// Edits between the passes are fine (upsert looks ids up now), but
	// the layer must still be there, or not, and have the columns the
	// first pass checked the values against.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gpkg_contents WHERE table_name = ?`, name).Scan(&n); err != nil {
		return err
	}
	exists := n > 0
	switch {
	case p.opt.Mode == ingest.ModeCreate && exists, p.base == nil && p.existing == nil && exists && p.opt.Mode != ingest.ModeReplace:
		return &geo.ConflictError{Msg: fmt.Sprintf("layer %q was made while the input was being checked; run the import again", name)}
	case p.base != nil && !exists:
		return &geo.ConflictError{Msg: fmt.Sprintf("layer %q was removed while the input was being checked", name)}
	case p.base != nil:
		cur, err := loadSchema(ctx, tx, name)
		if err != nil {
			return err
		}
		if !sameSchema(cur, p.base) {
			return &geo.ConflictError{Msg: fmt.Sprintf("the columns of layer %q changed while the input was being checked; run the import again", name)}
		}
	case exists && p.opt.Mode == ingest.ModeReplace:
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(name)).Scan(&p.rep.Deleted); err != nil {
			return err
		}
	}

	t := &table{fidCol: fidColumn, geomCol: geomColumn}
	bulk := p.base == nil
	restoreCache := func() {}
	if bulk {
		// A new table is written in order and needs little page cache: 16
		// MiB instead of the connection's 64 (a million rows then peak at
		// 120 MB instead of 170, in the same time).
		// The setting is the connection's: it goes back before the
		// transaction ends (the writer has one connection, which the
		// transaction holds).
		var cache int64
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err == nil && (cache < -16384 || cache > 4096) {
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -16384`); err == nil {
				restoreCache = func() { tx.ExecContext(context.Background(), `PRAGMA cache_size = `+strconv.FormatInt(cache, 10)) }
			}
		}
	}
	defer func() { restoreCache() }() // before the deferred rollback
	if bulk {
		info := p.opt.Layer
		if p.existing != nil && !p.internal {
			if info.Title == "" && p.existing.Title != p.existing.Name {
				info.Title = p.existing.Title
			}
			if info.Description == "" {
				info.Description = p.existing.Description
			}
			if info.Attribution == "" {
				info.Attribution = p.existing.Attribution
			}
		}
		if err := dropLayer(ctx, tx, name); err != nil {
			return err
		}
		if err := createLayer(ctx, tx, info, p.schema); err != nil {
			return err
		}
		if err := writeMetadata(ctx, tx, info); err != nil {
			return err
		}
		t.Name, t.Schema = name, p.schema
		if p.schema.HasID {
			t.idCol = idColumn
		}
		t.rtree = rtreeName(name, geomColumn)
	} else {
		if err := updateLayerInfo(ctx, tx, p.base, p.opt.Layer); err != nil {
			return err
		}
		t = p.base.clone()
		t.Schema = p.schema
		for _, c := range p.newCols {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quote(name)+` ADD COLUMN `+quote(c.Name)+` `+string(c.Type)); err != nil {
				return fmt.Errorf("layer %q: add column %q: %w", name, c.Name, err)
			}
		}
		if t.rtree != "" {
			if err := dropRTreeTriggers(ctx, tx, name, t.geomCol); err != nil {
				return err
			}
		}
	}

	w, err := newRowWriter(ctx, tx, t, p.opt.Mode == ingest.ModeUpsert)
	if err != nil {
		return err
	}
	defer w.close()
	var index *rtreeWriter
	if !bulk && t.rtree != "" {
		if index, err = newRTreeWriter(ctx, tx, t.rtree); err != nil {
			return err
		}
		defer index.Close()
	}
	var cells []rtreeCell
	if bulk {
		cells = make([]rtreeCell, 0, p.rep.Read-p.rep.Rejected) // known from the first pass
	}
	var bounds *orb.Bound
	fullRules := p.rules != nil && p.opt.Mode == ingest.ModeUpsert
	err = p.each(ctx, "write", func(idx int64, rec geo.Record) error {
		if p.rejected[idx] {
			return nil
		}
		f, reason := p.prepare(rec, false)
		if reason != "" {
			return geo.Invalidf(fmt.Sprintf("line %d", rec.Line), "%s (the input changed between the two reads?)", reason)
		}
		where := ingest.RowError{Record: idx + 1, Line: rec.Line, ID: f.ID}
		if !p.hasIDs {
			f.ID = ""
		} else if f.ID == "" {
			f.ID = newID()
		}
		f.Geometry = promote(f.Geometry, t.Schema.GeometryType)
		var fid int64
		var old *geo.Feature
		if p.opt.Mode == ingest.ModeUpsert {
			if old, fid, err = w.lookup(ctx, f.ID); err != nil {
				return err
			}
		}
		if old == nil {
			if fullRules {
				if reason := p.rules.Check(f, false); reason != "" {
					where.Reason = reason
					return geo.Invalidf(where.String(), "new feature: %s", reason)
				}
			}
			if fid, err = w.insert(ctx, f); err != nil {
				if strings.Contains(err.Error(), "UNIQUE constraint failed") {
					if p.opt.Mode == ingest.ModeAppend {
						where.Reason = fmt.Sprintf("id %q is already in layer %q; use mode upsert to update it", f.ID, name)
					} else {
						where.Reason = fmt.Sprintf("duplicate id %q", f.ID)
					}
					return &geo.InvalidError{Where: p.src.Name, Msg: where.String()}
				}
				return err
			}
			p.rep.Inserted++
		} else {
			merged, err := mergeFeature(t.Schema, *old, f)
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
			same, oldJSON, newJSON, err := compareFeatures(t.Schema, *old, merged)
			if err != nil {
				return err
			}
			if same {
				p.rep.Unchanged++
				return nil
			}
			if err := w.update(ctx, fid, merged); err != nil {
				return err
			}
			if err := writeAudit(ctx, tx, auditEntry{Actor: p.opt.Actor, Action: "update", Layer: name, FeatureID: f.ID, Old: oldJSON, New: newJSON}); err != nil {
				return err
			}
			p.rep.Updated++
			f = merged
		}
		if f.Geometry != nil && !geo.IsEmpty(f.Geometry) {
			bounds = growBound(bounds, f.Geometry)
		}
		switch {
		case bulk:
			if f.Geometry != nil && !geo.IsEmpty(f.Geometry) {
				cells = append(cells, newRTreeCell(fid, f.Geometry.Bound()))
			}
		case index != nil:
			if err := index.set(ctx, fid, f.Geometry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if bulk {
		if err := bulkLoadRTree(ctx, tx, name, cells); err != nil {
			return err
		}
	}
	if t.rtree != "" {
		if err := createRTreeTriggers(ctx, tx, name, t.geomCol, t.fidCol); err != nil {
			return err
		}
	}
	var at time.Time
	if p.existing == nil {
		at = p.opt.Layer.Updated // a new layer: no cache knows it yet
	}
	if err := touchLayer(ctx, tx, name, bounds, bulk, at); err != nil {
		return err
	}
	summary, err := jsonText(map[string]any{"source": filepath.Base(p.src.Name), "format": p.src.Format, "mode": p.opt.Mode, "profile": p.rep.Profile,
		"read": p.rep.Read, "inserted": p.rep.Inserted, "updated": p.rep.Updated, "unchanged": p.rep.Unchanged, "deleted": p.rep.Deleted, "rejected": p.rep.Rejected,
		"newColumns": p.rep.NewColumns})
	if err != nil {
		return err
	}
	if !p.internal {
		if err := writeAudit(ctx, tx, auditEntry{Actor: p.opt.Actor, Action: "import", Layer: name, New: summary}); err != nil {
			return err
		}
	}
	if p.opt.DryRun {
		return nil // the deferred rollback undoes it all
	}
	restoreCache()
	restoreCache = func() {}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.checkpointPassive(ctx)
	return nil
}

// updateLayerInfo applies to a kept layer (append, upsert) the parts of
// info that are given: title, description, attribution, version.
func updateLayerInfo(ctx context.Context, tx *sql.Tx, cur *table, info geo.LayerInfo) error {
	if info.Title == "" && info.Description == "" && info.Attribution == "" && info.Version == "" {
		return nil
	}
	merged := geo.LayerInfo{Name: cur.Name, Title: cmp.Or(info.Title, cur.Title), Description: cmp.Or(info.Description, cur.Description),
		Attribution: cmp.Or(info.Attribution, cur.Attribution), Version: cmp.Or(info.Version, cur.Version)}
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET identifier = ?, description = ? WHERE table_name = ?`, merged.Title, merged.Description, cur.Name)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: gpkg_contents.identifier") {
			return geo.Invalidf("layer title", "another layer already has the title %q", merged.Title)
		}
		return err
	}
	return writeMetadata(ctx, tx, merged)
}

// sameSchema says whether two descriptions of a table have the same
// columns, types, geometry type and keys.
func sameSchema(a, b *table) bool {
	if a.fidCol != b.fidCol || a.geomCol != b.geomCol || a.idCol != b.idCol || a.rtree != b.rtree ||
		a.Schema.GeometryType != b.Schema.GeometryType || a.Schema.HasID != b.Schema.HasID || len(a.Schema.Columns) != len(b.Schema.Columns) {
		return false
	}
	for i, c := range a.Schema.Columns {
		if b.Schema.Columns[i] != c {
			return false
		}
	}
	return true
}

// clone copies what a table describes (not its cache stamp).
func (t *table) clone() *table {
	return &table{Layer: t.Layer, fidCol: t.fidCol, geomCol: t.geomCol, idCol: t.idCol, rtree: t.rtree}
}

// checkpointPassive copies what it can of the WAL into the file without
// waiting for readers, so a busy server's writes never stall on it.
func (s *Store) checkpointPassive(ctx context.Context) {
	s.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
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
		cv, err := canonical(c, v)
		if err != nil {
			return m, err
		}
		m.Properties[k] = cv
	}
	return m, nil
}

// compareFeatures says whether two features read the same, and gives
// their GeoJSON.
func compareFeatures(schema geo.Schema, a, b geo.Feature) (bool, string, string, error) {
	ja, err := geojson.AppendFeature(nil, a, schema)
	if err != nil {
		return false, "", "", err
	}
	jb, err := geojson.AppendFeature(nil, b, schema)
	if err != nil {
		return false, "", "", err
	}
	return bytes.Equal(ja, jb), string(ja), string(jb), nil
}

// rowWriter inserts and updates the rows of one table.
type rowWriter struct {
	t              *table
	ins, upd, find *sql.Stmt
	args           []any
	dest           []any
}

func newRowWriter(ctx context.Context, tx *sql.Tx, t *table, upsert bool) (*rowWriter, error) {
	cols := []string{quote(t.geomCol)}
	if t.idCol != "" {
		cols = append(cols, quote(t.idCol))
	}
	for _, c := range t.Schema.Columns {
		cols = append(cols, quote(c.Name))
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	w := &rowWriter{t: t, args: make([]any, len(cols)+1), dest: t.scanDest()}
	var err error
	if w.ins, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(t.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`); err != nil {
		return nil, err
	}
	if upsert {
		sets := make([]string, len(cols))
		for i, c := range cols {
			sets[i] = c + ` = ?`
		}
		if w.upd, err = tx.PrepareContext(ctx, `UPDATE `+quote(t.Name)+` SET `+strings.Join(sets, ", ")+` WHERE `+quote(t.fidCol)+` = ?`); err != nil {
			w.close()
			return nil, err
		}
		if w.find, err = tx.PrepareContext(ctx, `SELECT `+t.selectList()+` FROM `+quote(t.Name)+` t WHERE t.`+quote(t.idCol)+` = ?`); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

func (w *rowWriter) close() {
	for _, s := range []*sql.Stmt{w.ins, w.upd, w.find} {
		if s != nil {
			s.Close()
		}
	}
}

func (w *rowWriter) values(f geo.Feature) ([]any, error) {
	blob, err := encodeGeometry(f.Geometry)
	if err != nil {
		return nil, err
	}
	args := w.args[:0]
	args = append(args, blob)
	if w.t.idCol != "" {
		args = append(args, f.ID)
	}
	for _, c := range w.t.Schema.Columns {
		v, err := storeValue(c, f.Properties[c.Name])
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return args, nil
}

func (w *rowWriter) insert(ctx context.Context, f geo.Feature) (int64, error) {
	args, err := w.values(f)
	if err != nil {
		return 0, err
	}
	res, err := w.ins.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (w *rowWriter) update(ctx context.Context, fid int64, f geo.Feature) error {
	args, err := w.values(f)
	if err != nil {
		return err
	}
	_, err = w.upd.ExecContext(ctx, append(args, fid)...)
	return err
}

// lookup finds a feature by id; nil when there is none.
func (w *rowWriter) lookup(ctx context.Context, id string) (*geo.Feature, int64, error) {
	rows, err := w.find.QueryContext(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, 0, rows.Err()
	}
	f, err := w.t.scan(rows, w.dest)
	if err != nil {
		return nil, 0, err
	}
	fid, _ := (*(w.dest[0].(*any))).(int64)
	return &f, fid, nil
}
