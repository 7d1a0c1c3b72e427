package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"
)

// Feature edits: create, update and delete one feature, each in its own
// write transaction with its audit row. An update reads the feature inside
// the transaction and hands it to the caller's change function, so a
// precondition (an ETag the client saw) is checked against exactly the
// state the write replaces: two clients editing one feature cannot lose
// each other's update.

// CreateFeature adds a feature to a layer. A layer that keeps ids gets
// f.ID, or a new one when f has none; a layer identified by fid ignores
// f.ID. It returns the feature as stored.
func (s *Store) CreateFeature(ctx context.Context, layer string, f geo.Feature, actor string) (geo.Feature, geo.Schema, error) {
	var out geo.Feature
	var schema geo.Schema
	err := s.edit(ctx, layer, func(tx *sql.Tx, t *table) (*geo.Feature, error) {
		schema = t.Schema
		if t.idCol != "" {
			if f.ID == "" {
				f.ID = geo.NewID()
			}
		} else {
			f.ID = ""
		}
		g, err := t.checkFeature(f, false, s.dataset.Rules(t.Layer))
		if err != nil {
			return nil, err
		}
		f.Geometry = g
		w, err := newRowWriter(ctx, tx, t, false)
		if err != nil {
			return nil, err
		}
		defer w.close()
		fid, err := w.insert(ctx, f)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return nil, &geo.ConflictError{Msg: fmt.Sprintf("layer %q already has a feature %q", layer, f.ID)}
			}
			return nil, err
		}
		if out, err = readRow(ctx, tx, t, t.fidCol, fid); err != nil {
			return nil, err
		}
		nw, err := geojson.AppendFeature(nil, out, t.Schema)
		if err != nil {
			return nil, err
		}
		if err := writeAudit(ctx, tx, auditEntry{Actor: actor, Action: "create", Layer: layer, FeatureID: out.ID, New: string(nw)}); err != nil {
			return nil, err
		}
		return &out, nil
	})
	return out, schema, err
}

// UpdateFeature changes one feature. change gets the feature as stored
// and the layer's schema, and returns the feature it should become (its
// id is kept), or an error (ErrPrecondition, an *InvalidError) that
// stops the edit. It returns the feature as stored after.
func (s *Store) UpdateFeature(ctx context.Context, layer, id, actor string, change func(old geo.Feature, schema geo.Schema) (geo.Feature, error)) (geo.Feature, geo.Schema, error) {
	var out geo.Feature
	var schema geo.Schema
	err := s.edit(ctx, layer, func(tx *sql.Tx, t *table) (*geo.Feature, error) {
		schema = t.Schema
		col, key, err := t.key(id)
		if err != nil {
			return nil, err
		}
		old, err := readRow(ctx, tx, t, col, key)
		if err != nil {
			return nil, err
		}
		mine := old
		mine.Properties = make(map[string]any, len(old.Properties))
		for k, v := range old.Properties {
			mine.Properties[k] = v
		}
		f, err := change(mine, t.Schema)
		if err != nil {
			return nil, err
		}
		f.ID = old.ID
		g, err := t.checkFeature(f, false, s.dataset.Rules(t.Layer))
		if err != nil {
			return nil, err
		}
		f.Geometry = g
		fid, err := fidOf(ctx, tx, t, col, key)
		if err != nil {
			return nil, err
		}
		w, err := newRowWriter(ctx, tx, t, true)
		if err != nil {
			return nil, err
		}
		defer w.close()
		if err := w.update(ctx, fid, f); err != nil {
			return nil, err
		}
		if out, err = readRow(ctx, tx, t, t.fidCol, fid); err != nil {
			return nil, err
		}
		same, oldJSON, newJSON, err := geojson.Compare(t.Schema, old, out)
		if err != nil {
			return nil, err
		}
		if same {
			return nil, errUnchanged
		}
		if err := writeAudit(ctx, tx, auditEntry{Actor: actor, Action: "update", Layer: layer, FeatureID: out.ID, Old: oldJSON, New: newJSON}); err != nil {
			return nil, err
		}
		return &out, nil
	})
	if errors.Is(err, errUnchanged) {
		return out, schema, nil
	}
	return out, schema, err
}

// errUnchanged rolls back an update that changes nothing: no audit row,
// no new layer version.
var errUnchanged = errors.New("unchanged")

// DeleteFeature removes one feature; check, when set, sees it first and
// may refuse (ErrPrecondition).
func (s *Store) DeleteFeature(ctx context.Context, layer, id, actor string, check func(old geo.Feature, schema geo.Schema) error) error {
	return s.edit(ctx, layer, func(tx *sql.Tx, t *table) (*geo.Feature, error) {
		col, key, err := t.key(id)
		if err != nil {
			return nil, err
		}
		old, err := readRow(ctx, tx, t, col, key)
		if err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(old, t.Schema); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+quote(t.Name)+` WHERE `+quote(col)+` = ?`, key); err != nil {
			return nil, err
		}
		oldJSON, err := geojson.AppendFeature(nil, old, t.Schema)
		if err != nil {
			return nil, err
		}
		if err := writeAudit(ctx, tx, auditEntry{Actor: actor, Action: "delete", Layer: layer, FeatureID: old.ID, Old: string(oldJSON)}); err != nil {
			return nil, err
		}
		return nil, nil
	})
}

// edit runs one feature edit in a write transaction, then moves the
// layer's version on (and grows its extent by what was written).
func (s *Store) edit(ctx context.Context, layer string, fn func(tx *sql.Tx, t *table) (*geo.Feature, error)) error {
	return busy(s.editTx(ctx, layer, fn))
}

func (s *Store) editTx(ctx context.Context, layer string, fn func(tx *sql.Tx, t *table) (*geo.Feature, error)) error {
	if err := checkReserved(layer); err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t, err := loadSchema(ctx, tx, layer)
	if err != nil {
		return err
	}
	written, err := fn(tx, t)
	if err != nil {
		return err
	}
	var grow *orb.Bound
	if written != nil {
		grow = geo.GrowBound(nil, written.Geometry)
	}
	if err := touchLayer(ctx, tx, layer, grow, false, time.Time{}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.forget()
	s.checkpointPassive(ctx)
	return nil
}

// loadSchema is what a write needs of a layer, read in its transaction
// (and cheaper than loadTable: no counts, no extents).
func loadSchema(ctx context.Context, tx *sql.Tx, name string) (*table, error) {
	t := &table{}
	err := tx.QueryRowContext(ctx, `SELECT c.table_name, g.column_name, g.geometry_type_name
FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
WHERE c.table_name = ? AND c.data_type = 'features'`, name).Scan(&t.Name, &t.geomCol, &t.Schema.GeometryType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("layer %q: %w", name, geo.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	t.Schema.GeometryType = strings.ToUpper(t.Schema.GeometryType)
	if err := t.loadColumns(ctx, tx); err != nil {
		return nil, err
	}
	if t.StoredProfile, err = readProfile(ctx, tx, t.Name); err != nil {
		return nil, err
	}
	var n int
	candidate := rtreeName(t.Name, t.geomCol)
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, candidate).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		t.rtree = candidate
	}
	return t, nil
}

// key is the column and value that find a feature by its id.
func (t *table) key(id string) (string, any, error) {
	if t.idCol != "" {
		return t.idCol, id, nil
	}
	fid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, fmt.Errorf("feature %q of layer %q: %w", id, t.Name, geo.ErrNotFound)
	}
	return t.fidCol, fid, nil
}

func readRow(ctx context.Context, tx *sql.Tx, t *table, col string, key any) (geo.Feature, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+t.selectList()+` FROM `+quote(t.Name)+` t WHERE t.`+quote(col)+` = ?`, key)
	if err != nil {
		return geo.Feature{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return geo.Feature{}, err
		}
		return geo.Feature{}, fmt.Errorf("feature %v of layer %q: %w", key, t.Name, geo.ErrNotFound)
	}
	return t.scan(rows, t.scanDest())
}

func fidOf(ctx context.Context, tx *sql.Tx, t *table, col string, key any) (int64, error) {
	var fid int64
	err := tx.QueryRowContext(ctx, `SELECT `+quote(t.fidCol)+` FROM `+quote(t.Name)+` WHERE `+quote(col)+` = ?`, key).Scan(&fid)
	return fid, err
}

// checkFeature validates a feature written to the layer: its geometry
// (range, validity, the layer's type), its properties (columns of the
// layer, of their types) and the layer's rules. It returns the geometry
// as stored (promoted to the layer's multi type).
func (t *table) checkFeature(f geo.Feature, partial bool, rules *geo.Profile) (orb.Geometry, error) {
	if err := geo.ValidateGeometry(f.Geometry); err != nil {
		return nil, geo.Invalidf("geometry", "%v", err)
	}
	if err := geo.CheckValidity(f.Geometry); err != nil {
		return nil, geo.Invalidf("geometry", "%v", err)
	}
	g := geo.Promote(f.Geometry, t.Schema.GeometryType)
	if g != nil && t.Schema.GeometryType != "GEOMETRY" && string(geo.GeometryType(g)) != t.Schema.GeometryType {
		return nil, geo.Invalidf("geometry", "a %s, but layer %q holds %s", geo.GeometryType(g), t.Name, t.Schema.GeometryType)
	}
	for k, v := range f.Properties {
		c, ok := t.Schema.Column(k)
		if !ok {
			if k == idColumn && t.idCol != "" {
				return nil, geo.Invalidf("properties", "%q is the feature's id, not a property; give it as the feature's \"id\"", k)
			}
			return nil, geo.Invalidf("properties", "%q is not a property of layer %q (its properties are %s)", k, t.Name, strings.Join(columnNames(t.Schema), ", "))
		}
		if _, err := geo.StoredValue(c, v); err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
	}
	if rules != nil {
		if reason := rules.Check(f, partial); reason != "" {
			return nil, geo.Invalidf("feature", "%s", reason)
		}
	}
	return g, nil
}

func columnNames(s geo.Schema) []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

// IsBusy reports whether a write failed because another process held the
// database past the busy timeout (khorasan import into a served file):
// the client may simply retry.
func IsBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// busy marks such an error as geo.ErrBusy at the store's edge, so that
// callers that know no SQLite (the server) can tell it; the SQLite error
// stays in the chain.
func busy(err error) error {
	if err == nil || !IsBusy(err) || errors.Is(err, geo.ErrBusy) {
		return err
	}
	return &busyError{err}
}

type busyError struct{ err error }

func (e *busyError) Error() string        { return e.err.Error() }
func (e *busyError) Unwrap() error        { return e.err }
func (e *busyError) Is(target error) bool { return target == geo.ErrBusy }
