package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
)

// The audit log: every write through Import and the feature edits adds a
// row to khorasan_audit in the same transaction as the write, so the log
// and the data never disagree. A feature edit keeps the feature before
// and after (GeoJSON); an import keeps a summary, and one row per feature
// an upsert changed. The table is registered in gpkg_contents as
// attributes, so QGIS and GDAL show it too.

const auditTable = "khorasan_audit"

const auditSchemaSQL = `
CREATE TABLE IF NOT EXISTS khorasan_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  time DATETIME NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  layer TEXT NOT NULL,
  feature_id TEXT,
  old TEXT,
  new TEXT);
CREATE INDEX IF NOT EXISTS khorasan_audit_feature ON khorasan_audit (layer, feature_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
  SELECT 'khorasan_audit', 'attributes', 'khorasan edit history', 'Who changed what: one row per edit or import, with the feature before and after'
  WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'khorasan_audit');
`

type auditEntry struct {
	Actor, Action, Layer, FeatureID, Old, New string
}

func writeAudit(ctx context.Context, tx *sql.Tx, e auditEntry) error {
	if _, err := tx.ExecContext(ctx, auditSchemaSQL); err != nil {
		return err
	}
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO khorasan_audit (time, actor, action, layer, feature_id, old, new) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, ?, ?, ?, ?, ?)`,
		e.Actor, e.Action, e.Layer, null(e.FeatureID), null(e.Old), null(e.New))
	return err
}

// History lists audit entries, newest first. A file without a log has
// none.
func (s *Store) History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error) {
	es, err := s.history(ctx, q)
	return es, busy(err)
}

func (s *Store) history(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, auditTable).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Layer != "" {
		add("layer = ?", q.Layer)
	}
	if q.FeatureID != "" {
		add("feature_id = ?", q.FeatureID)
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if !q.Since.IsZero() {
		add("time >= ?", q.Since.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	query := `SELECT ` + auditColumns + ` FROM khorasan_audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []geo.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const auditColumns = `id, time, actor, action, layer, coalesce(feature_id, ''), coalesce(old, ''), coalesce(new, '')`

func scanAudit(rows *sql.Rows) (geo.AuditEntry, error) {
	var e geo.AuditEntry
	var when any
	var old, nw string
	if err := rows.Scan(&e.ID, &when, &e.Actor, &e.Action, &e.Layer, &e.FeatureID, &old, &nw); err != nil {
		return e, err
	}
	switch w := when.(type) {
	case time.Time:
		e.Time = w.UTC()
	case string:
		e.Time, _ = time.Parse(time.RFC3339Nano, w)
	case []byte:
		e.Time, _ = time.Parse(time.RFC3339Nano, string(w))
	}
	if old != "" {
		e.Old = json.RawMessage(old)
	}
	if nw != "" {
		e.New = json.RawMessage(nw)
	}
	return e, nil
}

// EachAudit calls fn for every entry of the audit log, oldest first,
// reading them as it goes (a copy of the whole store reads them all).
func (s *Store) EachAudit(ctx context.Context, fn func(geo.AuditEntry) error) error {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, auditTable).Scan(&n); err != nil {
		return busy(err)
	}
	if n == 0 {
		return nil
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+auditColumns+` FROM khorasan_audit ORDER BY id`)
	if err != nil {
		return busy(err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return busy(rows.Err())
}

// RestoreAudit appends entries to the audit log as they were written
// elsewhere (their time, actor, action, layer, feature, before and
// after), in one transaction; the log numbers them anew, in their order.
func (s *Store) RestoreAudit(ctx context.Context, entries iter.Seq2[geo.AuditEntry, error]) (int64, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, busy(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, auditSchemaSQL); err != nil {
		return 0, busy(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO khorasan_audit (time, actor, action, layer, feature_id, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var n int64
	for e, err := range entries {
		if err != nil {
			return 0, err
		}
		if _, err := stmt.ExecContext(ctx, e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), e.Actor, e.Action, e.Layer,
			null(e.FeatureID), null(string(e.Old)), null(string(e.New))); err != nil {
			return 0, busy(err)
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, busy(err)
	}
	return n, nil
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

var errNoAudit = errors.New("no audit log")
