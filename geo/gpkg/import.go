package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/paulmach/orb"
)

// Imports run ingest's pipeline (ingest.Import); the store gives it the
// layer's rules, the layer as the file has it, and the write transaction
// (importTx), which keeps the tables, the R-tree and the extent.

// Import reads a source into a layer. A refused feature (unless
// SkipInvalid), a read error or a cancelled context leaves the file as it
// was; the report says why. With DryRun nothing is ever written.
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
		return 0, err
	}
	return rep.Inserted, nil
}

// importTarget is the store as ingest writes into it.
type importTarget struct{ s *Store }

func (it importTarget) Layer(ctx context.Context, name string) (ingest.Table, error) {
	t, err := loadTable(ctx, it.s.reader, name) // fresh: the cache may trail another process
	if err != nil {
		return ingest.Table{}, err
	}
	return t.forImport(), nil
}

func (it importTarget) Begin(ctx context.Context, name string) (ingest.Tx, error) {
	tx, err := it.s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &importTx{s: it.s, tx: tx, name: name, restoreCache: func() {}}, nil
}

// forImport is what ingest knows of a table: the layer and its keys.
func (t *table) forImport() ingest.Table {
	keys := []string{t.fidCol, t.geomCol}
	if t.idCol != "" {
		keys = append(keys, t.idCol)
	}
	return ingest.Table{Layer: t.Layer, Keys: keys}
}

// importTx is the write transaction of one import. A new layer's table
// is written without index triggers, and its R-tree bulk-loaded and the
// triggers added at Commit; a kept layer's triggers are dropped for the
// transaction and each row indexed from Go.
type importTx struct {
	s    *Store
	tx   *sql.Tx
	name string
	cur  *table // the layer as Layer read it in the transaction

	t       *table // the table written, once Create or Keep made it
	w       *rowWriter
	created bool
	at      time.Time    // the last change a new layer records (LayerInfo.Updated)
	index   *rtreeWriter // a kept layer's R-tree
	cells   []rtreeCell  // a new layer's R-tree, loaded at Commit
	bounds  *orb.Bound
	// found is what Lookup found last, which Update then writes.
	found struct {
		id  string
		fid int64
	}
	restoreCache func()
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
	dropped, err := featureCount(ctx, x.tx, x.name)
	if err != nil {
		return 0, err
	}
	x.lowerCache(ctx)
	if err := dropLayer(ctx, x.tx, x.name); err != nil {
		return 0, err
	}
	if err := createLayer(ctx, x.tx, info, schema); err != nil {
		return 0, err
	}
	if err := writeMetadata(ctx, x.tx, info); err != nil {
		return 0, err
	}
	if err := writeProfile(ctx, x.tx, x.name, info.Profile); err != nil {
		return 0, err
	}
	t := &table{fidCol: fidColumn, geomCol: geomColumn, rtree: rtreeName(x.name, geomColumn)}
	t.Name, t.Schema = x.name, schema
	if schema.HasID {
		t.idCol = idColumn
	}
	x.created, x.at = true, info.Updated
	x.cells = make([]rtreeCell, 0, expect)
	return dropped, x.start(ctx, t)
}

// featureCount is how many features a layer has; 0 when there is none.
func featureCount(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gpkg_contents WHERE table_name = ? AND data_type = 'features'`, name).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(name)).Scan(&n)
	return n, err
}

// lowerCache gives a new table 16 MiB of page cache instead of the
// connection's 64: it is written in order and needs little (a million
// rows then peak at 120 MB instead of 170, in the same time). The
// setting is the connection's: it goes back before the transaction ends
// (the writer has one connection, which the transaction holds).
func (x *importTx) lowerCache(ctx context.Context) {
	var cache int64
	if err := x.tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err == nil && (cache < -16384 || cache > 4096) {
		if _, err := x.tx.ExecContext(ctx, `PRAGMA cache_size = -16384`); err == nil {
			x.restoreCache = func() { x.tx.ExecContext(context.Background(), `PRAGMA cache_size = `+strconv.FormatInt(cache, 10)) }
		}
	}
}

func (x *importTx) Keep(ctx context.Context, info *geo.LayerInfo, cols []geo.Column) error {
	cur := x.cur
	if cur == nil {
		var err error
		if cur, err = loadSchema(ctx, x.tx, x.name); err != nil {
			return err
		}
	}
	if info != nil {
		if err := writeLayerInfo(ctx, x.tx, *info); err != nil {
			return err
		}
	}
	t := cur.clone()
	t.Schema.Columns = append(slices.Clip(t.Schema.Columns), cols...)
	for _, c := range cols {
		if _, err := x.tx.ExecContext(ctx, `ALTER TABLE `+quote(x.name)+` ADD COLUMN `+quote(c.Name)+` `+string(c.Type)); err != nil {
			return fmt.Errorf("layer %q: add column %q: %w", x.name, c.Name, err)
		}
	}
	if t.rtree != "" {
		if err := dropRTreeTriggers(ctx, x.tx, x.name, t.geomCol); err != nil {
			return err
		}
		var err error
		if x.index, err = newRTreeWriter(ctx, x.tx, t.rtree); err != nil {
			return err
		}
	}
	return x.start(ctx, t)
}

// writeLayerInfo sets a kept layer's title, description, attribution
// and version.
func writeLayerInfo(ctx context.Context, tx *sql.Tx, info geo.LayerInfo) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET identifier = ?, description = ? WHERE table_name = ?`, info.Title, info.Description, info.Name)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: gpkg_contents.identifier") {
			return geo.Invalidf("layer title", "another layer already has the title %q", info.Title)
		}
		return err
	}
	if info.Profile != nil {
		if err := writeProfile(ctx, tx, info.Name, info.Profile); err != nil {
			return err
		}
	}
	return writeMetadata(ctx, tx, info)
}

func (x *importTx) start(ctx context.Context, t *table) error {
	w, err := newRowWriter(ctx, x.tx, t, false)
	if err != nil {
		return err
	}
	x.t, x.w = t, w
	return nil
}

func (x *importTx) Lookup(ctx context.Context, id string) (*geo.Feature, error) {
	f, fid, err := x.w.lookup(ctx, id)
	if err != nil || f == nil {
		return nil, err
	}
	x.found.id, x.found.fid = id, fid
	return f, nil
}

func (x *importTx) Insert(ctx context.Context, f geo.Feature) error {
	fid, err := x.w.insert(ctx, f)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: %v", ingest.ErrDuplicateID, err)
		}
		return err
	}
	return x.indexed(ctx, fid, f.Geometry)
}

func (x *importTx) Update(ctx context.Context, f geo.Feature) error {
	fid := x.found.fid
	if f.ID == "" || f.ID != x.found.id {
		var err error
		if fid, err = fidOf(ctx, x.tx, x.t, x.t.idCol, f.ID); err != nil {
			return fmt.Errorf("update of feature %q of layer %q: %w", f.ID, x.name, err)
		}
	}
	if err := x.w.update(ctx, fid, f); err != nil {
		return err
	}
	return x.indexed(ctx, fid, f.Geometry)
}

// indexed records a written row for the R-tree and the extent.
func (x *importTx) indexed(ctx context.Context, fid int64, g orb.Geometry) error {
	full := g != nil && !geo.IsEmpty(g)
	if full {
		x.bounds = geo.GrowBound(x.bounds, g)
	}
	switch {
	case x.created:
		if full {
			x.cells = append(x.cells, newRTreeCell(fid, g.Bound()))
		}
	case x.index != nil:
		return x.index.set(ctx, fid, g)
	}
	return nil
}

func (x *importTx) Audit(ctx context.Context, e geo.AuditEntry) error {
	return writeAudit(ctx, x.tx, auditEntry{Actor: e.Actor, Action: e.Action, Layer: e.Layer, FeatureID: e.FeatureID, Old: string(e.Old), New: string(e.New)})
}

// Commit finishes the index and the layer's extent and version, then
// commits.
func (x *importTx) Commit(ctx context.Context) error {
	if x.created {
		if err := bulkLoadRTree(ctx, x.tx, x.name, x.cells); err != nil {
			return err
		}
	}
	if x.t != nil && x.t.rtree != "" {
		if err := createRTreeTriggers(ctx, x.tx, x.name, x.t.geomCol, x.t.fidCol); err != nil {
			return err
		}
	}
	if err := touchLayer(ctx, x.tx, x.name, x.bounds, x.created, x.at); err != nil {
		return err
	}
	x.release()
	if err := x.tx.Commit(); err != nil {
		return err
	}
	x.s.forget()
	x.s.checkpointPassive(ctx)
	return nil
}

func (x *importTx) Rollback() error {
	x.release()
	err := x.tx.Rollback()
	x.s.forget()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// release closes the statements and puts the page cache back, which must
// happen before the transaction ends.
func (x *importTx) release() {
	if x.index != nil {
		x.index.Close()
		x.index = nil
	}
	if x.w != nil {
		x.w.close()
		x.w = nil
	}
	x.restoreCache()
	x.restoreCache = func() {}
}

// clone copies what a table describes (not its cache stamp).
func (t *table) clone() *table {
	return &table{Layer: t.Layer, fidCol: t.fidCol, geomCol: t.geomCol, idCol: t.idCol, rtree: t.rtree, raw: t.raw}
}

// checkpointPassive copies what it can of the WAL into the file without
// waiting for readers, so a busy server's writes never stall on it.
func (s *Store) checkpointPassive(ctx context.Context) {
	s.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
}

// rowWriter inserts and updates the rows of one table.
type rowWriter struct {
	tx             *sql.Tx
	t              *table
	cols           []string // quoted, in the order of values
	ins, upd, find *sql.Stmt
	args           []any
	dest           *rowReader
}

// newRowWriter prepares the insert, and with upsert the update and, in a
// layer that keeps ids, the lookup by id (else they are prepared when
// first used).
func newRowWriter(ctx context.Context, tx *sql.Tx, t *table, upsert bool) (*rowWriter, error) {
	cols := []string{quote(t.geomCol)}
	if t.idCol != "" {
		cols = append(cols, quote(t.idCol))
	}
	for _, c := range t.Schema.Columns {
		cols = append(cols, quote(c.Name))
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	w := &rowWriter{tx: tx, t: t, cols: cols, args: make([]any, len(cols)+1), dest: t.scanDest()}
	var err error
	if w.ins, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(t.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`); err != nil {
		return nil, err
	}
	if upsert {
		if err := w.prepareUpdates(ctx); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

func (w *rowWriter) prepareUpdates(ctx context.Context) error {
	t := w.t
	var err error
	if w.upd == nil {
		sets := make([]string, len(w.cols))
		for i, c := range w.cols {
			sets[i] = c + ` = ?`
		}
		if w.upd, err = w.tx.PrepareContext(ctx, `UPDATE `+quote(t.Name)+` SET `+strings.Join(sets, ", ")+` WHERE `+quote(t.fidCol)+` = ?`); err != nil {
			return err
		}
	}
	// A layer without an id column is updated by fid and has no lookup
	// by id (preparing one failed with "no such column: t.").
	if w.find == nil && t.idCol != "" {
		w.find, err = w.tx.PrepareContext(ctx, `SELECT `+t.selectList()+` FROM `+quote(t.Name)+` t WHERE t.`+quote(t.idCol)+` = ?`)
	}
	return err
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
		v, err := geo.StoredValue(c, f.Properties[c.Name])
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
	if err := w.prepareUpdates(ctx); err != nil {
		return err
	}
	args, err := w.values(f)
	if err != nil {
		return err
	}
	_, err = w.upd.ExecContext(ctx, append(args, fid)...)
	return err
}

// lookup finds a feature by id; nil when there is none (always, in a
// layer without ids).
func (w *rowWriter) lookup(ctx context.Context, id string) (*geo.Feature, int64, error) {
	if err := w.prepareUpdates(ctx); err != nil {
		return nil, 0, err
	}
	if w.find == nil {
		return nil, 0, nil
	}
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
	fid, _ := w.dest.fid.(int64)
	return &f, fid, nil
}
