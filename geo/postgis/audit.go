package postgis

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
)

// The audit log: every edit and import adds a row to khorasan_audit in
// the same transaction as the write, so the log and the data never
// disagree. A feature edit keeps the feature before and after (GeoJSON);
// an import keeps a summary, and one row per feature an upsert changed.

type auditEntry struct {
	Actor, Action, Layer, FeatureID, Old, New string
}

func writeAudit(ctx context.Context, tx pgx.Tx, e auditEntry) error {
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+auditTable+` (time, actor, action, layer, feature_id, old, new)
VALUES (date_trunc('milliseconds', clock_timestamp()), $1, $2, $3, $4, $5, $6)`,
		e.Actor, e.Action, e.Layer, null(e.FeatureID), null(e.Old), null(e.New))
	return err
}

// History lists audit entries, newest first.
func (s *Store) History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Layer != "" {
		add("layer = $%d", q.Layer)
	}
	if q.FeatureID != "" {
		add("feature_id = $%d", q.FeatureID)
	}
	if q.Actor != "" {
		add("actor = $%d", q.Actor)
	}
	if !q.Since.IsZero() {
		add("time >= $%d", q.Since)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	query := `SELECT ` + auditColumns + ` FROM ` + auditTable
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, int64(q.Limit))
	query += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.reader.Query(ctx, query, args...)
	if err != nil {
		return nil, busy(err)
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
	return out, busy(rows.Err())
}

const auditColumns = `id, time, actor, action, layer, coalesce(feature_id, ''), coalesce(old, ''), coalesce(new, '')`

func scanAudit(rows pgx.Rows) (geo.AuditEntry, error) {
	var e geo.AuditEntry
	var old, nw string
	if err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Layer, &e.FeatureID, &old, &nw); err != nil {
		return e, err
	}
	e.Time = e.Time.UTC()
	if old != "" {
		e.Old = []byte(old)
	}
	if nw != "" {
		e.New = []byte(nw)
	}
	return e, nil
}

// EachAudit calls fn for every entry of the audit log, oldest first,
// reading them as it goes (a copy of the whole store reads them all).
func (s *Store) EachAudit(ctx context.Context, fn func(geo.AuditEntry) error) error {
	rows, err := s.reader.Query(ctx, `SELECT `+auditColumns+` FROM `+auditTable+` ORDER BY id`)
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, busy(err)
	}
	defer tx.Rollback(ctx)
	next, stop := iter.Pull2(entries)
	defer stop()
	var failed error
	rows := pgx.CopyFromFunc(func() ([]any, error) {
		e, err, ok := next()
		switch {
		case !ok:
			return nil, nil
		case err != nil:
			failed = err // the source's error, not the copy's
			return nil, err
		}
		for what, v := range map[string]string{"actor": e.Actor, "action": e.Action, "layer": e.Layer, "feature id": e.FeatureID, "old": string(e.Old), "new": string(e.New)} {
			if err := checkText("the audit entry's "+what, v); err != nil {
				return nil, geo.Invalidf("audit log", "%v", err)
			}
		}
		// Milliseconds, as every store keeps them.
		return []any{e.Time.UTC().Truncate(time.Millisecond), e.Actor, e.Action, e.Layer, null(e.FeatureID), null(string(e.Old)), null(string(e.New))}, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{auditTable}, []string{"time", "actor", "action", "layer", "feature_id", "old", "new"}, rows)
	if failed != nil {
		return 0, failed
	}
	if err != nil {
		return 0, busy(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, busy(err)
	}
	return n, nil
}

// null is s, or NULL when it is empty.
func null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
