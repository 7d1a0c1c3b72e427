package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/paulmach/orb"
)

// Feature edits: create, update and delete one feature, each in its own
// transaction with its audit row. An update reads the feature locked (FOR
// UPDATE) inside the transaction and hands it to the caller's change
// function, so a precondition (an ETag the client saw) is checked against
// exactly the state the write replaces: two clients editing one feature,
// through one server or several, cannot lose each other's update.
//
// Every edit first locks the layer's khorasan_layers row, as ReplaceLayer
// does before it drops a table, so the two never wait on each other in
// opposite orders.

// CreateFeature adds a feature to a layer. A layer that keeps ids gets
// f.ID, or a new one when f has none; a layer identified by fid ignores
// f.ID. It returns the feature as stored.
func (s *Store) CreateFeature(ctx context.Context, layer string, f geo.Feature, actor string) (geo.Feature, geo.Schema, error) {
	var out geo.Feature
	var schema geo.Schema
	err := s.edit(ctx, layer, func(tx pgx.Tx, t *table) (*geo.Feature, error) {
		schema = t.Schema
		if t.idCol != "" {
			if f.ID == "" {
				f.ID = geo.NewID()
			}
		} else {
			f.ID = ""
		}
		g, err := t.checkFeature(f, s.dataset.Rules(t.Layer))
		if err != nil {
			return nil, err
		}
		f.Geometry = g
		w := newRowWriter(t)
		args, err := w.values(f)
		if err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
		var fid int64
		if err := tx.QueryRow(ctx, w.insertSQL, args...).Scan(&fid); err != nil {
			if isCode(err, "23505") {
				return nil, &geo.ConflictError{Msg: fmt.Sprintf("layer %q already has a feature %q", layer, f.ID)}
			}
			return nil, rowError("feature", err)
		}
		id := f.ID
		if t.idCol == "" {
			id = formatFID(fid)
		}
		if out, err = readRow(ctx, tx, t, id, ""); err != nil {
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
	err := s.edit(ctx, layer, func(tx pgx.Tx, t *table) (*geo.Feature, error) {
		schema = t.Schema
		old, err := readRow(ctx, tx, t, id, " FOR UPDATE")
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
		g, err := t.checkFeature(f, s.dataset.Rules(t.Layer))
		if err != nil {
			return nil, err
		}
		f.Geometry = g
		cond, key, err := t.key(id)
		if err != nil {
			return nil, err
		}
		var fid int64
		if err := tx.QueryRow(ctx, `SELECT t.`+quote(t.fidCol)+`::int8 FROM `+quote(t.Name)+` t WHERE `+cond, key).Scan(&fid); err != nil {
			return nil, err
		}
		w := newRowWriter(t)
		args, err := w.values(f)
		if err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
		if _, err := tx.Exec(ctx, w.updateSQL, append(args, fid)...); err != nil {
			return nil, rowError("feature", err)
		}
		if out, err = readRow(ctx, tx, t, old.ID, ""); err != nil {
			return nil, err
		}
		oldJSON, err := geojson.AppendFeature(nil, old, t.Schema)
		if err != nil {
			return nil, err
		}
		newJSON, err := geojson.AppendFeature(nil, out, t.Schema)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(oldJSON, newJSON) {
			return nil, errUnchanged
		}
		if err := writeAudit(ctx, tx, auditEntry{Actor: actor, Action: "update", Layer: layer, FeatureID: out.ID, Old: string(oldJSON), New: string(newJSON)}); err != nil {
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
	return s.edit(ctx, layer, func(tx pgx.Tx, t *table) (*geo.Feature, error) {
		old, err := readRow(ctx, tx, t, id, " FOR UPDATE")
		if err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(old, t.Schema); err != nil {
				return nil, err
			}
		}
		cond, key, err := t.key(id)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+quote(t.Name)+` t WHERE `+cond, key); err != nil {
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

// edit runs one feature edit in a transaction, then moves the layer's
// version on (and grows its extent by what was written).
func (s *Store) edit(ctx context.Context, layer string, fn func(tx pgx.Tx, t *table) (*geo.Feature, error)) error {
	if err := checkReserved(layer); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return busy(err)
	}
	defer tx.Rollback(ctx)
	prev, err := lockLayer(ctx, tx, layer)
	if err != nil {
		return busy(err)
	}
	t, err := loadSchema(ctx, tx, layer)
	if err != nil {
		return busy(err)
	}
	written, err := fn(tx, t)
	if err != nil {
		return busy(err)
	}
	var grow *orb.Bound
	if written != nil {
		grow = geo.GrowBound(nil, written.Geometry)
	}
	if err := touchLayer(ctx, tx, layer, prev, grow, false, time.Time{}); err != nil {
		return busy(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return busy(err)
	}
	s.forget()
	return nil
}

// lockLayer locks the layer's khorasan_layers row for the rest of the
// transaction, making one for a table another tool wrote (its edits need a
// version too), and returns its last change. A layer that does not exist
// gets no row.
func lockLayer(ctx context.Context, tx pgx.Tx, layer string) (time.Time, error) {
	_, err := tx.Exec(ctx, `INSERT INTO `+layersTable+` (name, title, changed)
SELECT $1::text, $1::text, now() WHERE EXISTS (SELECT 1 FROM geometry_columns WHERE f_table_schema = current_schema() AND f_table_name = $1::text)
ON CONFLICT DO NOTHING`, layer)
	if err != nil {
		return time.Time{}, err
	}
	var changed time.Time
	err = tx.QueryRow(ctx, `SELECT changed FROM `+layersTable+` WHERE name = $1 FOR UPDATE`, layer).Scan(&changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	return changed, err
}

// checkFeature validates a feature written to the layer: its geometry
// (range, validity, the layer's type), its properties (columns of the
// layer, of their types) and the layer's rules. It returns the geometry
// as stored.
func (t *table) checkFeature(f geo.Feature, rules *geo.Profile) (orb.Geometry, error) {
	g, err := t.checkGeometry(f.Geometry)
	if err != nil {
		return nil, geo.Invalidf("geometry", "%v", err)
	}
	for k, v := range f.Properties {
		c, ok := t.column(k)
		if !ok {
			if k == idColumn && t.idCol != "" {
				return nil, geo.Invalidf("properties", "%q is the feature's id, not a property; give it as the feature's \"id\"", k)
			}
			return nil, geo.Invalidf("properties", "%q is not a property of layer %q (its properties are %s)", k, t.Name, strings.Join(columnNames(t.Schema), ", "))
		}
		if _, err := storeValue(c.Column, v); err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
	}
	if rules != nil {
		if reason := rules.Check(f, false); reason != "" {
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
