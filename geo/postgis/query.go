package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Features calls fn for each feature the query selects, in fid order,
// streaming them from the database. An error from fn stops the scan and
// is returned.
func (s *Store) Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error {
	return s.withTable(ctx, layer, func(t *table, delivered *bool) error { return s.features(ctx, t, q, fn, delivered) })
}

func (s *Store) features(ctx context.Context, t *table, q geo.Query, fn func(geo.Feature) error, delivered *bool) error {
	where, args, err := t.where(q)
	if err != nil {
		return err
	}
	order, err := t.orderBy(q.SortBy)
	if err != nil {
		return err
	}
	query := `SELECT ` + t.selectList() + ` FROM ` + quote(t.Name) + ` t` + where + order
	if q.Limit > 0 || q.Offset > 0 {
		var limit any
		if q.Limit > 0 {
			limit = int64(q.Limit)
		}
		query += ` LIMIT ?::int8 OFFSET ?::int8`
		args = append(args, limit, int64(q.Offset))
	}
	rows, err := s.reader.Query(ctx, numbered(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		f, err := t.scan(rows)
		if err != nil {
			return err
		}
		*delivered = true
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Count is the number of features the query selects, ignoring its limit
// and offset.
func (s *Store) Count(ctx context.Context, layer string, q geo.Query) (int64, error) {
	var n int64
	err := s.withTable(ctx, layer, func(t *table, _ *bool) error {
		if q.BBox == nil && q.Filter == nil {
			n = t.Count
			return nil
		}
		where, args, err := t.where(q)
		if err != nil {
			return err
		}
		return s.reader.QueryRow(ctx, numbered(`SELECT count(*) FROM `+quote(t.Name)+` t`+where), args...).Scan(&n)
	})
	return n, err
}

// Feature returns one feature by its id; ErrNotFound when there is none.
func (s *Store) Feature(ctx context.Context, layer, id string) (geo.Feature, error) {
	var f geo.Feature
	err := s.withTable(ctx, layer, func(t *table, _ *bool) error {
		var err error
		f, err = readRow(ctx, s.reader, t, id, "")
		return err
	})
	return f, err
}

// key is the column and value that find a feature by its id.
func (t *table) key(id string) (string, any, error) {
	if t.idCol != "" {
		return `t.` + quote(t.idCol) + ` = $1::text`, id, nil
	}
	fid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, fmt.Errorf("feature %q of layer %q: %w", id, t.Name, geo.ErrNotFound)
	}
	return `t.` + quote(t.fidCol) + ` = $1::int8`, fid, nil
}

// readRow reads one feature by its id; suffix (FOR UPDATE) is added to
// the query.
func readRow(ctx context.Context, db querier, t *table, id, suffix string) (geo.Feature, error) {
	cond, key, err := t.key(id)
	if err != nil {
		return geo.Feature{}, err
	}
	rows, err := db.Query(ctx, `SELECT `+t.selectList()+` FROM `+quote(t.Name)+` t WHERE `+cond+suffix, key)
	if err != nil {
		return geo.Feature{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return geo.Feature{}, err
		}
		return geo.Feature{}, fmt.Errorf("feature %q of layer %q: %w", id, t.Name, geo.ErrNotFound)
	}
	f, err := t.scan(rows)
	if err != nil {
		return geo.Feature{}, err
	}
	rows.Close()
	return f, rows.Err()
}

// where turns a query into SQL with ? placeholders: the bbox, then the
// filter.
func (t *table) where(q geo.Query) (string, []any, error) {
	var conds []string
	var args []any
	if q.BBox != nil {
		c, a := t.whereBBox(*q.BBox)
		conds, args = append(conds, c), append(args, a...)
	}
	if q.Filter != nil {
		c, a, err := t.compileFilter(q.Filter)
		if err != nil {
			return "", nil, err
		}
		conds, args = append(conds, c), append(args, a...)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args, nil
}

// whereBBox keeps the features whose envelope meets b, as the GeoPackage
// store does: the GiST index finds the candidates (its boxes are float4,
// rounded outwards, so they can only narrow them), then the exact
// envelope decides.
func (t *table) whereBBox(b orb.Bound) (string, []any) {
	g, indexed := t.geom()
	exact := `ST_XMin(` + g + `) <= ?::float8 AND ST_XMax(` + g + `) >= ?::float8 AND ST_YMin(` + g + `) <= ?::float8 AND ST_YMax(` + g + `) >= ?::float8`
	args := []any{b.Max[0], b.Min[0], b.Max[1], b.Min[1]}
	if !indexed {
		return `(` + g + ` IS NOT NULL AND NOT ST_IsEmpty(` + g + `) AND ` + exact + `)`, args
	}
	env := `ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, ` + strconv.Itoa(t.literalSRID()) + `)`
	return `(` + g + ` && ` + env + ` AND ` + exact + `)`, append([]any{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, args...)
}

// orderBy sorts as the GeoPackage store (SQLite) does: text by its bytes,
// NULLs first going up and last going down, then by fid.
func (t *table) orderBy(keys []geo.SortKey) (string, error) {
	var terms []string
	for _, k := range keys {
		expr := ""
		switch {
		case k.Name == idColumn && t.idCol != "":
			expr = `t.` + quote(t.idCol) + ` COLLATE "C"`
		case k.Name == idColumn || k.Name == t.fidCol:
			expr = `t.` + quote(t.fidCol)
		default:
			c, ok := t.column(k.Name)
			if !ok {
				return "", geo.Invalidf("sortby", "%q is not a property of layer %q", k.Name, t.Name)
			}
			expr = c.expr
			if c.Type == geo.Text {
				expr += ` COLLATE "C"`
			}
		}
		if k.Desc {
			expr += ` DESC NULLS LAST`
		} else {
			expr += ` NULLS FIRST`
		}
		terms = append(terms, expr)
	}
	terms = append(terms, `t.`+quote(t.fidCol))
	return ` ORDER BY ` + strings.Join(terms, ", "), nil
}

func (t *table) column(name string) (column, bool) {
	for _, c := range t.cols {
		if c.Name == name {
			return c, true
		}
	}
	return column{}, false
}

// selectList reads the fid, the geometry as 2D WKB in WGS 84 (NULL when
// empty), the id and the columns.
func (t *table) selectList() string {
	return t.selectOf(t.cols)
}

// selectOf is selectList with only cols for columns.
func (t *table) selectOf(cols []column) string {
	g, _ := t.geom()
	read := `ST_AsBinary(` + g + `)`
	if !t.plain {
		read = `CASE WHEN ST_IsEmpty(` + g + `) THEN NULL ELSE ST_AsBinary(ST_Force2D(` + g + `)) END`
	}
	list := []string{`t.` + quote(t.fidCol) + `::int8`, read}
	if t.idCol != "" {
		list = append(list, `t.`+quote(t.idCol)+`::text`)
	}
	for _, c := range cols {
		list = append(list, c.expr)
	}
	return strings.Join(list, ", ")
}

func (t *table) scan(rows pgx.Rows) (geo.Feature, error) {
	f, _, err := t.scanFID(rows)
	return f, err
}

// scanFID reads a row of selectList and its fid.
func (t *table) scanFID(rows pgx.Rows) (geo.Feature, int64, error) {
	vals, err := rows.Values()
	if err != nil {
		return geo.Feature{}, 0, err
	}
	fid, _ := vals[0].(int64)
	f := geo.Feature{ID: formatFID(fid), Properties: make(map[string]any, len(t.cols))}
	if b, ok := vals[1].([]byte); ok && b != nil {
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return geo.Feature{}, 0, fmt.Errorf("layer %q, fid %d: geometry: %w", t.Name, fid, err)
		}
		// POINT EMPTY is NaN coordinates in WKB.
		if p, ok := g.(orb.Point); !geo.IsEmpty(g) && !(ok && math.IsNaN(p[0])) {
			f.Geometry = g
		}
	}
	k := 2
	if t.idCol != "" {
		f.ID, _ = vals[k].(string)
		k++
	}
	for _, c := range t.cols {
		f.Properties[c.Name] = readValue(c.Type, vals[k])
		k++
	}
	return f, fid, nil
}

// readValue turns what pgx returns into the property type the column
// declares.
func readValue(t geo.ColumnType, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		if t == geo.Date {
			return v.Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339Nano)
	case float64:
		if t == geo.Integer && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
	case []byte:
		return string(v)
	}
	return v
}

// numbered turns the ? placeholders of the store's SQL into $1, $2...,
// leaving quoted identifiers and strings alone.
func numbered(sql string) string {
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and opens again
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// staleError marks errors that say a query no longer fits the table:
// another server replaced the layer within the recheck interval.
func stale(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "42P01", "42703", "42804", "0A000": // undefined table or column, datatype mismatch, cached plan changed
		return true
	}
	return false
}

// withTable runs op with the layer's description and, when the query it
// built no longer fits the table before any feature was delivered, reads
// the description again and runs op once more.
func (s *Store) withTable(ctx context.Context, layer string, op func(t *table, delivered *bool) error) error {
	t, err := s.table(ctx, layer)
	if err != nil {
		return busy(err)
	}
	delivered := false
	err = op(t, &delivered)
	if err == nil || delivered || !stale(err) {
		return busy(err)
	}
	s.forgetTable(layer)
	if t, err = s.table(ctx, layer); err != nil {
		return busy(err)
	}
	return busy(op(t, &delivered))
}
