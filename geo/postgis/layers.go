package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// Layers are the tables of the current schema with a geometry column and
// an integer primary key: those the store wrote (khorasan_layers, in the
// order they were first made) and then those another tool wrote
// (ogr2ogr -f PostgreSQL), in the order they were created.

// reserved columns of the tables the store makes.
const (
	fidColumn  = "fid"
	geomColumn = "geom"
	idColumn   = "id"
)

// table is what the store knows of one layer's table.
type table struct {
	geo.Layer
	fidCol  string
	geomCol string
	idCol   string // "" when the fid identifies features
	srid    int
	// plain says the geometry column is as the store makes them: 2D in
	// WGS 84, so it is read as it is.
	plain bool
	// cols are Schema.Columns with the SQL that reads each as its type.
	cols []column
	// stamp is what the table's state was compared by when loaded (see
	// stampSQL).
	stamp string
	// checked is when the entry was last compared with the database
	// (unix nanoseconds), so that hot paths look at most once per recheck.
	checked atomic.Int64
	// listened says the listener was up, and no notice of the layer came,
	// while the entry was read or last compared (see Store.trusts).
	// Guarded by the store's mu once cached.
	listened bool
}

// column is an attribute column and how to read it.
type column struct {
	geo.Column
	// expr reads the column of the table aliased t as the PostgreSQL type
	// its geo type has: int8, float8, text, bool, date or timestamptz.
	expr string
}

// geom is the SQL of the table's geometry in WGS 84, and whether it is
// the column itself (so that its GiST index serves).
func (t *table) geom() (string, bool) {
	g := `t.` + quote(t.geomCol)
	if t.srid != 4326 && t.srid != 0 {
		return `ST_Transform(` + g + `, 4326)`, false
	}
	return g, true
}

// literalSRID is the SRID geometry literals take to meet the column.
func (t *table) literalSRID() int {
	if t.srid == 0 {
		return 0
	}
	return 4326
}

// Layers lists the layers.
func (s *Store) Layers(ctx context.Context) ([]geo.Layer, error) {
	ls, err := s.layers(ctx)
	return ls, busy(err)
}

func (s *Store) layers(ctx context.Context) ([]geo.Layer, error) {
	rows, err := s.reader.Query(ctx, `
SELECT g.f_table_name FROM geometry_columns g
JOIN pg_class c ON c.relname = g.f_table_name AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
LEFT JOIN `+layersTable+` l ON l.name = g.f_table_name
WHERE g.f_table_schema = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY l.position NULLS LAST, c.oid`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	layers := make([]geo.Layer, 0, len(names))
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || checkReserved(name) != nil {
			continue
		}
		seen[name] = true
		t, err := s.table(ctx, name)
		var nl *notLayerError
		if errors.As(err, &nl) {
			continue // a table that cannot be served (no integer key)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", name, err)
		}
		layers = append(layers, s.described(t.Layer))
	}
	return layers, nil
}

// Layer describes one layer; ErrNotFound when there is none by that name.
func (s *Store) Layer(ctx context.Context, name string) (geo.Layer, error) {
	t, err := s.table(ctx, name)
	if err != nil {
		return geo.Layer{}, busy(err)
	}
	return s.described(t.Layer), nil
}

// described is l with its profile: its own, else the dataset's.
func (s *Store) described(l geo.Layer) geo.Layer {
	l.Profile = s.dataset.Effective(l)
	return l
}

func (s *Store) forgetTable(name string) {
	s.mu.Lock()
	delete(s.tables, name)
	s.mu.Unlock()
}

func (s *Store) forget() {
	s.mu.Lock()
	clear(s.tables)
	s.mu.Unlock()
}

// defaultRecheck is how long a cached layer description is trusted before
// it is compared with the database again, when the notices of other
// stores' writes cannot be relied on (listen.go). The store's own writes
// drop the cache at once; this bounds how long another server's write
// goes unseen by the description (a query that no longer fits the table
// is retried at once, see withTable).
const defaultRecheck = time.Second

// stampSQL is what tells that a table changed: a store's own layer has a
// revision that every write moves on; another tool's table, its file
// node (moved by TRUNCATE and rewrites), its row counters and columns.
const stampSQL = `SELECT coalesce((SELECT 'r' || revision FROM ` + layersTable + ` WHERE name = $1),
  (SELECT c.relfilenode || ':' || coalesce(st.n_tup_ins + st.n_tup_upd + st.n_tup_del, 0) || ':' ||
     (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
   FROM pg_class c LEFT JOIN pg_stat_all_tables st ON st.relid = c.oid
   WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1))))`

// table returns what the store knows of a layer: kept until a notice
// drops it while the store trusts it, else compared with the database at
// most once per recheck.
func (s *Store) table(ctx context.Context, name string) (*table, error) {
	s.mu.Lock()
	t, ok := s.tables[name]
	trusted := ok && s.trusts(t)
	before := s.markOf(name)
	s.mu.Unlock()
	if trusted {
		return t, nil
	}
	now := time.Now().UnixNano()
	if ok && now-t.checked.Load() < int64(s.recheck) {
		return t, nil
	}
	if ok {
		var stamp *string
		if err := s.reader.QueryRow(ctx, stampSQL, name).Scan(&stamp); err != nil {
			return nil, err
		}
		if stamp != nil && *stamp == t.stamp {
			t.checked.Store(now)
			s.mu.Lock()
			// Unchanged, and no notice since: the notices keep it now.
			if s.listening && s.markOf(name) == before {
				t.listened = true
			}
			s.mu.Unlock()
			return t, nil
		}
	}
	t, err := loadTable(ctx, s.reader, name)
	if err != nil {
		return nil, err
	}
	t.checked.Store(now)
	s.mu.Lock()
	t.listened = s.listening && s.markOf(name) == before
	s.tables[name] = t
	s.mu.Unlock()
	return t, nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// notLayerError says why a table with a geometry is not served.
type notLayerError struct{ msg string }

func (e *notLayerError) Error() string { return e.msg }

func loadTable(ctx context.Context, db querier, name string) (*table, error) {
	t, err := loadSchema(ctx, db, name)
	if err != nil {
		return nil, err
	}
	if err := db.QueryRow(ctx, stampSQL, name).Scan(&t.stamp); err != nil {
		return nil, err
	}
	var title, desc, attribution, version *string
	var changed *time.Time
	var minX, minY, maxX, maxY *float64
	err = db.QueryRow(ctx, `SELECT title, description, attribution, version, changed, min_x, min_y, max_x, max_y FROM `+layersTable+` WHERE name = $1`, name).
		Scan(&title, &desc, &attribution, &version, &changed, &minX, &minY, &maxX, &maxY)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	t.Title = t.Name
	if title != nil && *title != "" {
		t.Title = *title
	}
	if desc != nil {
		t.Description = *desc
	}
	if attribution != nil {
		t.Attribution = *attribution
	}
	if version != nil {
		t.Version = *version
	}
	if changed != nil {
		t.Changed = formatChanged(*changed)
	}

	if err := db.QueryRow(ctx, `SELECT count(*) FROM `+quote(t.Name)).Scan(&t.Count); err != nil {
		return nil, err
	}
	if c, ok := t.dateColumn(); ok {
		var first, last any
		if err := db.QueryRow(ctx, `SELECT min(`+c.expr+`), max(`+c.expr+`) FROM `+quote(t.Name)+` t`).Scan(&first, &last); err != nil {
			return nil, err
		}
		t.TimeExtent = [2]string{textOf(readValue(c.Type, first)), textOf(readValue(c.Type, last))}
	}
	switch {
	case minX != nil && minY != nil && maxX != nil && maxY != nil:
		t.Bounds = orb.Bound{Min: orb.Point{*minX, *minY}, Max: orb.Point{*maxX, *maxY}}
	case t.Count > 0:
		// Another tool's table: the exact extent (ST_Extent would give
		// the float4 boxes PostGIS keeps with the geometries).
		g, _ := t.geom()
		err := db.QueryRow(ctx, `SELECT min(ST_XMin(g)), min(ST_YMin(g)), max(ST_XMax(g)), max(ST_YMax(g)) FROM (SELECT `+g+` AS g FROM `+quote(t.Name)+` t) e WHERE NOT ST_IsEmpty(g)`).
			Scan(&minX, &minY, &maxX, &maxY)
		if err != nil {
			return nil, err
		}
		if minX != nil {
			t.Bounds = orb.Bound{Min: orb.Point{*minX, *minY}, Max: orb.Point{*maxX, *maxY}}
		}
	}
	return t, nil
}

// formatChanged is a last change as the GeoPackage store reads it back
// (RFC 3339 to the millisecond, without trailing zeros), so that a layer
// copied between the stores has the same one.
func formatChanged(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano)
}

func textOf(v any) string {
	s, _ := v.(string)
	return s
}

func (t *table) dateColumn() (column, bool) {
	for _, c := range t.cols {
		if c.Type == geo.Date || c.Type == geo.DateTime {
			return c, true
		}
	}
	return column{}, false
}

// loadSchema reads a table's geometry column, key and attribute columns
// (what a write needs; loadTable adds counts and extents).
func loadSchema(ctx context.Context, db querier, name string) (*table, error) {
	t := &table{Layer: geo.Layer{Name: name}}
	var geomType string
	var dims int
	err := db.QueryRow(ctx, `SELECT f_geometry_column, upper(type), srid, coord_dimension FROM geometry_columns
WHERE f_table_schema = current_schema() AND f_table_name = $1 ORDER BY f_geometry_column LIMIT 1`, name).Scan(&t.geomCol, &geomType, &t.srid, &dims)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("layer %q: %w", name, geo.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if err := checkReserved(name); err != nil {
		return nil, fmt.Errorf("layer %q: %w", name, geo.ErrNotFound)
	}
	t.Schema.GeometryType = geometryType(geomType)
	t.plain = t.geomCol == geomColumn && t.srid == 4326 && dims == 2
	rows, err := db.Query(ctx, `
SELECT a.attname, ty.typname, ty.typcategory,
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum),
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL)
FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
WHERE a.attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var idUnique bool
	for rows.Next() {
		var col, typ, category string
		var pk, unique bool
		if err := rows.Scan(&col, &typ, &category, &pk, &unique); err != nil {
			return nil, err
		}
		isInt := typ == "int2" || typ == "int4" || typ == "int8"
		switch {
		case pk && isInt && t.fidCol == "":
			t.fidCol = col
		case col == t.geomCol:
		default:
			c, ok := columnOf(col, typ, category)
			if !ok {
				continue // binary and other geometries have no place in GeoJSON
			}
			if col == idColumn && c.Type == geo.Text && unique && t.idCol == "" {
				t.idCol, idUnique = col, true
				continue
			}
			t.cols = append(t.cols, c)
			t.Schema.Columns = append(t.Schema.Columns, c.Column)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if t.fidCol == "" {
		return nil, &notLayerError{fmt.Sprintf("table %q has no integer primary key, which the store needs to page through it and name its features", name)}
	}
	t.Schema.HasID = idUnique
	if t.StoredProfile, err = readProfile(ctx, db, name); err != nil {
		return nil, err
	}
	return t, nil
}

// geometryType is the GeoPackage name of a PostGIS geometry type
// (POINTZ, POINTM and POINTZM read as POINT: the store serves 2D).
func geometryType(pg string) string {
	pg = strings.TrimSuffix(pg, "M")
	pg = strings.TrimSuffix(pg, "Z")
	switch pg {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
		return pg
	}
	return "GEOMETRY"
}

// columnOf maps a PostgreSQL column type onto ours, with the SQL that
// reads it as that type.
func columnOf(name, typ, category string) (column, bool) {
	col := `t.` + quote(name)
	c := column{Column: geo.Column{Name: name}, expr: col}
	switch typ {
	case "int8":
		c.Type = geo.Integer
	case "int2", "int4":
		c.Type, c.expr = geo.Integer, col+`::int8`
	case "float8":
		c.Type = geo.Real
	case "float4", "numeric":
		c.Type, c.expr = geo.Real, col+`::float8`
	case "bool":
		c.Type = geo.Boolean
	case "date":
		c.Type = geo.Date
	case "timestamptz":
		c.Type = geo.DateTime
	case "timestamp":
		c.Type, c.expr = geo.DateTime, `(`+col+` AT TIME ZONE 'UTC')`
	case "text":
		c.Type = geo.Text
	case "bytea", "geometry", "geography", "raster":
		return column{}, false
	default:
		// varchar, json, arrays, uuid...: as their text.
		c.Type, c.expr = geo.Text, col+`::text`
	}
	return c, true
}

// ids of features identified by the fid are the fid in decimal.
func formatFID(fid int64) string { return strconv.FormatInt(fid, 10) }
