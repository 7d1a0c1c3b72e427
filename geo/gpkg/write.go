package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// ReplaceLayer writes a layer whole, creating it or replacing what was
// there, in one transaction: when any feature is refused, or the context
// ends, the file is exactly as before. It returns the number of features
// written. info.Updated, when set, is the layer's last change (a copy
// keeps the source's); otherwise it is now.
func (s *Store) ReplaceLayer(ctx context.Context, info geo.LayerInfo, schema geo.Schema, features iter.Seq2[geo.Feature, error]) (int64, error) {
	if err := CheckLayerName(info.Name); err != nil {
		return 0, err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	defer s.forget()

	if err := dropLayer(ctx, tx, info.Name); err != nil {
		return 0, err
	}
	if err := createLayer(ctx, tx, info, schema); err != nil {
		return 0, err
	}
	if err := writeMetadata(ctx, tx, info); err != nil {
		return 0, err
	}
	if err := writeProfile(ctx, tx, info.Name, info.Profile); err != nil {
		return 0, err
	}
	n, bounds, err := insertFeatures(ctx, tx, info.Name, schema, features)
	if err != nil {
		return 0, err
	}
	if err := createRTreeTriggers(ctx, tx, info.Name, geomColumn, fidColumn); err != nil {
		return 0, err
	}
	if err := touchLayer(ctx, tx, info.Name, bounds, true, info.Updated); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.checkpoint(ctx)
	return n, nil
}

// checkpoint moves what the WAL holds into the file itself, so that the
// .gpkg alone is complete after a write (people copy it, mail it, open it
// in QGIS). It is best effort: readers may hold the WAL, and the next
// checkpoint catches up.
func (s *Store) checkpoint(ctx context.Context) {
	s.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}

// dropLayer removes a feature table and everything that describes it, but
// keeps its gpkg_contents row so the layer keeps its place in the list.
func dropLayer(ctx context.Context, tx *sql.Tx, name string) error {
	var kind sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT data_type FROM gpkg_contents WHERE table_name = ?`, name).Scan(&kind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE lower(name) = lower(?)`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return geo.Invalidf("layer name", "%q is already a table of this file that is not a feature layer", name)
		}
		return nil
	}
	if kind.String != "features" {
		return geo.Invalidf("layer name", "%q is a %s table, not a feature layer", name, kind.String)
	}
	var geomCol string
	if err := tx.QueryRowContext(ctx, `SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?`, name).Scan(&geomCol); err != nil {
		return err
	}
	stmts := []string{
		`DROP TABLE IF EXISTS ` + quote("rtree_"+name+"_"+geomCol),
		`DROP TABLE IF EXISTS ` + quote(name),
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	for _, t := range []string{"gpkg_extensions", "gpkg_geometry_columns"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE table_name = ?`, name); err != nil {
			return err
		}
	}
	return nil
}

func createLayer(ctx context.Context, tx *sql.Tx, info geo.LayerInfo, schema geo.Schema) error {
	name := info.Name
	cols := []string{
		quote(fidColumn) + " INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
		quote(geomColumn) + " " + schema.GeometryType,
	}
	if schema.HasID {
		cols = append(cols, quote(idColumn)+" TEXT NOT NULL UNIQUE")
	}
	for _, c := range schema.Columns {
		cols = append(cols, quote(c.Name)+" "+string(c.Type))
	}
	title := info.Title
	if title == "" {
		title = name
	}
	// The index triggers come after the rows (createRTreeTriggers): a bulk
	// write indexes its rows itself.
	stmts := []string{
		`CREATE TABLE ` + quote(name) + ` (` + strings.Join(cols, ", ") + `)`,
		`CREATE VIRTUAL TABLE ` + quote(rtreeName(name, geomColumn)) + ` USING rtree(id, minx, maxx, miny, maxy)`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create layer %q: %w", name, err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
		VALUES (?, 'features', ?, ?, ?)
		ON CONFLICT (table_name) DO UPDATE SET identifier = excluded.identifier, description = excluded.description`,
		name, title, info.Description, srsWGS84)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: gpkg_contents.identifier") {
			return geo.Invalidf("layer title", "another layer already has the title %q", title)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)`,
		name, geomColumn, schema.GeometryType, srsWGS84); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`,
		name, geomColumn)
	return err
}

func insertFeatures(ctx context.Context, tx *sql.Tx, name string, schema geo.Schema, features iter.Seq2[geo.Feature, error]) (int64, *orb.Bound, error) {
	cols := []string{quote(geomColumn)}
	if schema.HasID {
		cols = append(cols, quote(idColumn))
	}
	for _, c := range schema.Columns {
		cols = append(cols, quote(c.Name))
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+quote(name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`)
	if err != nil {
		return 0, nil, err
	}
	defer stmt.Close()

	var cells []rtreeCell
	var n int64
	var bounds *orb.Bound
	args := make([]any, len(cols))
	for f, err := range features {
		if err != nil {
			return 0, nil, err
		}
		where := geo.FeatureWhere(int(n), f.ID)
		if err := geo.ValidateGeometry(f.Geometry); err != nil {
			return 0, nil, geo.Invalidf(where, "%v", err)
		}
		if err := geo.CheckValidity(f.Geometry); err != nil {
			return 0, nil, geo.Invalidf(where, "%v", err)
		}
		g := geo.Promote(f.Geometry, schema.GeometryType)
		if g != nil && schema.GeometryType != "GEOMETRY" && string(geo.GeometryType(g)) != schema.GeometryType {
			return 0, nil, geo.Invalidf(where, "geometry is a %s, but the layer holds %s", geo.GeometryType(g), schema.GeometryType)
		}
		blob, err := encodeGeometry(g)
		if err != nil {
			return 0, nil, geo.Invalidf(where, "%v", err)
		}
		args[0] = blob
		k := 1
		if schema.HasID {
			if f.ID == "" {
				return 0, nil, geo.Invalidf(where, "feature has no id, but the layer needs one")
			}
			args[k] = f.ID
			k++
		}
		for _, c := range schema.Columns {
			v, err := geo.StoredValue(c, f.Properties[c.Name])
			if err != nil {
				return 0, nil, geo.Invalidf(where, "%v", err)
			}
			args[k] = v
			k++
		}
		for p := range f.Properties {
			if _, ok := schema.Column(p); !ok {
				return 0, nil, geo.Invalidf(where, "property %q is not a column of the layer", p)
			}
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return 0, nil, geo.Invalidf(where, "duplicate id %q", f.ID)
			}
			return 0, nil, fmt.Errorf("%s: %w", where, err)
		}
		if g != nil && !geo.IsEmpty(g) {
			fid, err := res.LastInsertId()
			if err != nil {
				return 0, nil, err
			}
			cells = append(cells, newRTreeCell(fid, g.Bound()))
			bounds = geo.GrowBound(bounds, g)
		}
		n++
	}
	if err := bulkLoadRTree(ctx, tx, name, cells); err != nil {
		return 0, nil, err
	}
	return n, bounds, nil
}
