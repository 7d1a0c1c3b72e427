package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// Layers lists the feature layers in the order they were first created.
func (s *Store) Layers(ctx context.Context) ([]geo.Layer, error) {
	ls, err := s.layers(ctx)
	return ls, busy(err)
}

func (s *Store) layers(ctx context.Context) ([]geo.Layer, error) {
	rows, err := s.reader.QueryContext(ctx,
		`SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	layers := make([]geo.Layer, 0, len(names))
	for _, name := range names {
		t, err := s.table(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", name, err)
		}
		layers = append(layers, s.described(t.Layer))
	}
	return layers, nil
}

// Layer describes one layer; ErrNotFound when there is none by that name.
func (s *Store) Layer(ctx context.Context, name string) (geo.Layer, error) {
	l, err := s.layer(ctx, name)
	return l, busy(err)
}

func (s *Store) layer(ctx context.Context, name string) (geo.Layer, error) {
	t, err := s.table(ctx, name)
	if err != nil {
		return geo.Layer{}, err
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
// it is compared with the file again. The store's own writes drop the cache
// at once; this bounds how long another process's write goes unseen (a
// query that no longer fits the table is retried at once, see withTable).
const defaultRecheck = time.Second

// table returns what the store knows of a layer. The cache is checked
// against gpkg_contents.last_change at most once per recheck, so a layer
// another process rewrote (khorasan import, GDAL) is read again, not served
// stale, while tile and feature requests do not pay a query each.
func (s *Store) table(ctx context.Context, name string) (*table, error) {
	s.mu.Lock()
	t, ok := s.tables[name]
	s.mu.Unlock()
	now := time.Now().UnixNano()
	if ok && now-t.checked.Load() < int64(s.recheck) {
		return t, nil
	}
	if ok {
		var changed sql.NullString
		err := s.reader.QueryRowContext(ctx, `SELECT last_change FROM gpkg_contents WHERE table_name = ?`, name).Scan(&changed)
		if err == nil && changed.String == t.Changed {
			t.checked.Store(now)
			return t, nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	t, err := loadTable(ctx, s.reader, name)
	if err != nil {
		return nil, err
	}
	t.checked.Store(now)
	s.mu.Lock()
	s.tables[name] = t
	s.mu.Unlock()
	return t, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func loadTable(ctx context.Context, db querier, name string) (*table, error) {
	t := &table{}
	var title, desc, changed sql.NullString
	var minX, minY, maxX, maxY sql.NullFloat64
	err := db.QueryRowContext(ctx, `
SELECT c.table_name, c.identifier, c.description, c.last_change, c.min_x, c.min_y, c.max_x, c.max_y,
       g.column_name, g.geometry_type_name
FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
WHERE c.table_name = ? AND c.data_type = 'features'`, name).Scan(
		&t.Name, &title, &desc, &changed, &minX, &minY, &maxX, &maxY, &t.geomCol, &t.Schema.GeometryType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("layer %q: %w", name, geo.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	t.Title = title.String
	if t.Title == "" {
		t.Title = t.Name
	}
	t.Description, t.Changed = desc.String, changed.String
	t.Schema.GeometryType = strings.ToUpper(t.Schema.GeometryType)

	if err := t.loadColumns(ctx, db); err != nil {
		return nil, err
	}
	md, err := readMetadata(ctx, db, t.Name)
	if err != nil {
		return nil, err
	}
	t.Attribution, t.Version = md.Attribution, md.Version
	if t.StoredProfile, err = readProfile(ctx, db, t.Name); err != nil {
		return nil, err
	}
	var rtree sql.NullString
	candidate := "rtree_" + t.Name + "_" + t.geomCol
	if err := db.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, candidate).Scan(&rtree); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	t.rtree = rtree.String

	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t.Name)).Scan(&t.Count); err != nil {
		return nil, err
	}
	if c, ok := t.DateColumn(); ok {
		var first, last sql.NullString
		err := db.QueryRowContext(ctx, `SELECT min(`+quote(c.Name)+`), max(`+quote(c.Name)+`) FROM `+quote(t.Name)).Scan(&first, &last)
		if err != nil {
			return nil, err
		}
		t.TimeExtent = [2]string{readDate(c.Type, first.String), readDate(c.Type, last.String)}
	}
	if minX.Valid && minY.Valid && maxX.Valid && maxY.Valid {
		t.Bounds = orb.Bound{Min: orb.Point{minX.Float64, minY.Float64}, Max: orb.Point{maxX.Float64, maxY.Float64}}
	} else if t.rtree != "" && t.Count > 0 {
		// Some writers leave the contents extent empty; the index knows it.
		err := db.QueryRowContext(ctx, `SELECT min(minx), min(miny), max(maxx), max(maxy) FROM `+quote(t.rtree)).
			Scan(&minX, &minY, &maxX, &maxY)
		if err != nil {
			return nil, err
		}
		if minX.Valid {
			t.Bounds = orb.Bound{Min: orb.Point{minX.Float64, minY.Float64}, Max: orb.Point{maxX.Float64, maxY.Float64}}
		}
	}
	return t, nil
}

// loadColumns reads the attribute columns and their types, mapping the
// type names GDAL writes onto ours.
func (t *table) loadColumns(ctx context.Context, db querier) error {
	rows, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?)`, t.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, decl string
		var pk int
		if err := rows.Scan(&name, &decl, &pk); err != nil {
			return err
		}
		switch {
		case pk == 1:
			t.fidCol = name
		case strings.EqualFold(name, t.geomCol):
			t.geomCol = name
		default:
			typ, ok := columnType(decl)
			if !ok {
				continue // BLOBs have no place in GeoJSON; leave them out
			}
			t.Schema.Columns = append(t.Schema.Columns, geo.Column{Name: name, Type: typ})
			if d := strings.ToLower(decl); driverConverts(d) {
				if t.raw == nil {
					t.raw = map[string]string{}
				}
				t.raw[name] = d
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if t.fidCol == "" {
		return fmt.Errorf("table %q has no integer primary key", t.Name)
	}
	// A unique, text "id" column carries the features' own ids.
	for i, c := range t.Schema.Columns {
		if c.Name != idColumn || c.Type != geo.Text {
			continue
		}
		unique, err := uniqueColumn(ctx, db, t.Name, c.Name)
		if err != nil {
			return err
		}
		if unique {
			t.idCol = c.Name
			t.Schema.HasID = true
			t.Schema.Columns = append(t.Schema.Columns[:i:i], t.Schema.Columns[i+1:]...)
		}
		break
	}
	return nil
}

func columnType(decl string) (geo.ColumnType, bool) {
	d := strings.ToUpper(strings.TrimSpace(decl))
	if i := strings.IndexByte(d, '('); i >= 0 {
		d = strings.TrimSpace(d[:i]) // TEXT(255)
	}
	switch d {
	case "INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT":
		return geo.Integer, true
	case "REAL", "FLOAT", "DOUBLE":
		return geo.Real, true
	case "BOOLEAN":
		return geo.Boolean, true
	case "DATE":
		return geo.Date, true
	case "DATETIME":
		return geo.DateTime, true
	case "BLOB":
		return "", false
	}
	return geo.Text, true
}

func uniqueColumn(ctx context.Context, db querier, tableName, column string) (bool, error) {
	rows, err := db.QueryContext(ctx, `
SELECT il.name FROM pragma_index_list(?) il
WHERE il."unique" = 1 AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1
  AND (SELECT name FROM pragma_index_info(il.name)) = ?`, tableName, column)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// readDate normalises what SQLite's min/max return for a date column (the
// driver does not convert aggregates).
func readDate(t geo.ColumnType, s string) string {
	if s == "" {
		return ""
	}
	if v, ok := readValue(t, s).(string); ok {
		return v
	}
	return s
}
