package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/paulmach/orb"
)

// Imports run ingest's pipeline (ingest.Import), as geo/gpkg's do; the
// store gives it the layer's rules, the layer as the database has it, and
// the write transaction (importTx), which keeps the table, its index,
// extent and revision, and tells the other stores.

// Import reads a source into a layer. A refused feature (unless
// SkipInvalid), a read error or a cancelled context leaves the database
// as it was; the report says why. With DryRun nothing is ever written.
func (s *Store) Import(ctx context.Context, src ingest.Source, opt ingest.ImportOptions) (*ingest.Report, error) {
	if err := CheckLayerName(opt.Layer.Name); err != nil {
		return nil, err
	}
	rep, err := ingest.Import(ctx, importTarget{s}, src, opt, s.describedBy(opt.Layer.Name))
	return rep, busy(err)
}

// ImportGeoJSON decodes a GeoJSON document and writes it as a layer,
// creating it or replacing what was there, in one transaction. It is the
// import used to seed the default data and to build layers in tests: no
// layer rules, no audit log, and the layer's title and description are
// exactly info's (ingest.Seed). People's imports go through Import.
func (s *Store) ImportGeoJSON(ctx context.Context, info geo.LayerInfo, data []byte) (int64, error) {
	if err := CheckLayerName(info.Name); err != nil {
		return 0, err
	}
	src := ingest.Source{Name: "input", Format: ingest.FormatGeoJSON, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	rep, err := ingest.Seed(ctx, importTarget{s}, src, ingest.ImportOptions{Layer: info, Mode: ingest.ModeReplace, MaxErrors: 1})
	if err != nil {
		var re *ingest.RejectedError
		if errors.As(err, &re) && len(re.Report.Errors) > 0 {
			return 0, &geo.InvalidError{Msg: re.Report.Errors[0].String()}
		}
		return 0, busy(err)
	}
	return rep.Inserted, nil
}

// importTarget is the store as ingest writes into it.
type importTarget struct{ s *Store }

// Layer reads the primary, not the cache nor a replica: the import
// decides its mode on it.
func (it importTarget) Layer(ctx context.Context, name string) (ingest.Table, error) {
	t, err := loadTable(ctx, it.s.pool, name)
	if err != nil {
		return ingest.Table{}, err
	}
	return t.forImport(), nil
}

// CheckValues refuses, in the first pass, the text PostgreSQL cannot
// hold (a NUL, invalid UTF-8) in the id or a property.
func (it importTarget) CheckValues(f geo.Feature) string {
	if err := checkText("the id", f.ID); err != nil {
		return err.Error()
	}
	for k, v := range f.Properties {
		if err := checkText("a property's name", k); err != nil {
			return err.Error()
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case geo.Cell:
			s = string(v)
		default:
			continue
		}
		if err := checkText(fmt.Sprintf("property %q", k), s); err != nil {
			return err.Error()
		}
	}
	return ""
}

// Begin takes the locks a replace takes, in its order (the schema lock,
// then the layer's row, which edits lock too), so that imports, replaces
// and edits of one layer run one after the other, and two imports cannot
// both create it.
func (it importTarget) Begin(ctx context.Context, name string) (ingest.Tx, error) {
	tx, err := it.s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	x := &importTx{s: it.s, tx: tx, name: name}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		x.Rollback()
		return nil, err
	}
	if x.prev, err = lockLayer(ctx, tx, name); err != nil {
		x.Rollback()
		return nil, err
	}
	return x, nil
}

// forImport is what ingest knows of a table: the layer and its keys.
func (t *table) forImport() ingest.Table {
	keys := []string{t.fidCol, t.geomCol}
	if t.idCol != "" {
		keys = append(keys, t.idCol)
	}
	return ingest.Table{Layer: t.Layer, Keys: keys}
}

// importTx is the write transaction of one import. A new layer's rows go
// to the server in batches and its GiST index is built at Commit; a kept
// layer's are written one at a time, so that an id it already has is
// refused as that feature's (ingest.ErrDuplicateID).
type importTx struct {
	s    *Store
	tx   pgx.Tx
	name string
	prev time.Time // the layer's last change before the import
	cur  *table    // the layer as Layer read it in the transaction

	t       *table // the table written, once Create or Keep made it
	w       *rowWriter
	ins     *inserter // a new layer's rows
	created bool
	at      time.Time // the last change a new layer records (LayerInfo.Updated)
	bounds  *orb.Bound
	n       int // features written, to name them in messages
	// found is what Lookup found last, which Update then writes.
	found struct {
		id  string
		fid int64
	}
}

func (x *importTx) Layer(ctx context.Context) (ingest.Table, error) {
	t, err := loadSchema(ctx, x.tx, x.name)
	if err != nil {
		return ingest.Table{}, err
	}
	x.cur = t
	return t.forImport(), nil
}

func (x *importTx) Create(ctx context.Context, info geo.LayerInfo, schema geo.Schema, expect int64) (int64, error) {
	var dropped int64
	if cur, err := loadSchema(ctx, x.tx, x.name); err == nil {
		if err := x.tx.QueryRow(ctx, `SELECT count(*) FROM `+quote(cur.Name)).Scan(&dropped); err != nil {
			return 0, err
		}
	} else if !errors.Is(err, geo.ErrNotFound) {
		var nl *notLayerError
		if !errors.As(err, &nl) {
			return 0, err
		}
	}
	if _, err := dropLayer(ctx, x.tx, x.name); err != nil {
		return 0, err
	}
	if err := createLayer(ctx, x.tx, info, schema); err != nil {
		return 0, err
	}
	t, err := loadSchema(ctx, x.tx, x.name)
	if err != nil {
		return 0, err
	}
	x.created, x.at = true, info.Updated
	x.start(t)
	x.ins = newInserter(x.tx, x.w)
	return dropped, nil
}

func (x *importTx) Keep(ctx context.Context, info *geo.LayerInfo, cols []geo.Column) error {
	if info != nil {
		_, err := x.tx.Exec(ctx, `UPDATE `+layersTable+` SET title = $2, description = $3, attribution = $4, version = $5 WHERE name = $1`,
			x.name, info.Title, info.Description, info.Attribution, info.Version)
		if isCode(err, "23505") { // unique_violation: the title
			return geo.Invalidf("layer title", "another layer already has the title %q", info.Title)
		}
		if err != nil {
			return err
		}
		if info.Profile != nil {
			if err := writeProfile(ctx, x.tx, x.name, info.Profile); err != nil {
				return err
			}
		}
	}
	for _, c := range cols {
		typ, ok := pgTypes[c.Type]
		if !ok {
			return fmt.Errorf("layer %q: column %q has type %q", x.name, c.Name, c.Type)
		}
		if _, err := x.tx.Exec(ctx, `ALTER TABLE `+quote(x.name)+` ADD COLUMN `+quote(c.Name)+` `+typ); err != nil {
			return fmt.Errorf("layer %q: add column %q: %w", x.name, c.Name, err)
		}
	}
	t, err := loadSchema(ctx, x.tx, x.name)
	if err != nil {
		return err
	}
	x.start(t)
	return nil
}

func (x *importTx) start(t *table) {
	x.t, x.w = t, newRowWriter(t)
}

// Lookup finds a feature of a kept layer by id. A new layer holds only
// what the import inserted, whose ids all differ (the first pass saw to
// it), so it is not asked.
func (x *importTx) Lookup(ctx context.Context, id string) (*geo.Feature, error) {
	if x.created {
		return nil, nil
	}
	cond, key, err := x.t.key(id)
	if err != nil {
		return nil, nil // an id that is no fid names no feature
	}
	rows, err := x.tx.Query(ctx, `SELECT `+x.t.selectList()+` FROM `+quote(x.t.Name)+` t WHERE `+cond, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	f, fid, err := x.t.scanFID(rows)
	if err != nil {
		return nil, err
	}
	x.found.id, x.found.fid = id, fid
	return &f, nil
}

// where names the feature being written in a message: by its id, as
// the transaction knows nothing of the input's lines.
func (x *importTx) where(f geo.Feature) string {
	if f.ID != "" {
		return fmt.Sprintf("feature %q", f.ID)
	}
	return fmt.Sprintf("written feature %d", x.n+1)
}

func (x *importTx) Insert(ctx context.Context, f geo.Feature) error {
	if f.Geometry != nil && geo.IsEmpty(f.Geometry) {
		f.Geometry = nil // an empty geometry reads back as none, as in a GeoPackage
	}
	where := x.where(f)
	if x.created {
		if err := x.ins.add(ctx, where, f); err != nil {
			return err
		}
	} else {
		args, err := x.w.values(f)
		if err != nil {
			return geo.Invalidf(where, "%v", err)
		}
		if _, err := x.tx.Exec(ctx, x.w.insertSQL, args...); err != nil {
			if isCode(err, "23505") {
				return fmt.Errorf("%w: %v", ingest.ErrDuplicateID, err)
			}
			return rowError(where, err)
		}
	}
	x.n++
	x.bounds = geo.GrowBound(x.bounds, f.Geometry)
	return nil
}

func (x *importTx) Update(ctx context.Context, f geo.Feature) error {
	if f.Geometry != nil && geo.IsEmpty(f.Geometry) {
		f.Geometry = nil
	}
	fid := x.found.fid
	if f.ID == "" || f.ID != x.found.id {
		cond, key, err := x.t.key(f.ID)
		if err != nil {
			return fmt.Errorf("update of feature %q of layer %q: %w", f.ID, x.name, err)
		}
		if err := x.tx.QueryRow(ctx, `SELECT t.`+quote(x.t.fidCol)+`::int8 FROM `+quote(x.t.Name)+` t WHERE `+cond, key).Scan(&fid); err != nil {
			return fmt.Errorf("update of feature %q of layer %q: %w", f.ID, x.name, err)
		}
	}
	where := x.where(f)
	args, err := x.w.values(f)
	if err != nil {
		return geo.Invalidf(where, "%v", err)
	}
	if _, err := x.tx.Exec(ctx, x.w.updateSQL, append(args, fid)...); err != nil {
		return rowError(where, err)
	}
	x.n++
	x.bounds = geo.GrowBound(x.bounds, f.Geometry)
	return nil
}

func (x *importTx) Audit(ctx context.Context, e geo.AuditEntry) error {
	return writeAudit(ctx, x.tx, auditEntry{Actor: e.Actor, Action: e.Action, Layer: e.Layer, FeatureID: e.FeatureID, Old: string(e.Old), New: string(e.New)})
}

// Commit sends the last rows, builds a new layer's index, records the
// layer's extent and version (which tells the other stores), then
// commits.
func (x *importTx) Commit(ctx context.Context) error {
	if x.created {
		if err := x.ins.flush(ctx); err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE INDEX ON ` + quote(x.name) + ` USING gist (` + quote(geomColumn) + `)`,
			`ANALYZE ` + quote(x.name),
		} {
			if _, err := x.tx.Exec(ctx, q); err != nil {
				return err
			}
		}
	}
	if err := touchLayer(ctx, x.tx, x.name, x.prev, x.bounds, x.created, x.at); err != nil {
		return err
	}
	err := x.tx.Commit(ctx)
	x.s.forget()
	return err
}

func (x *importTx) Rollback() error {
	err := x.tx.Rollback(context.Background())
	x.s.forget()
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}
