// Package gpkg is the GeoPackage store (SQLite through go-sqlite3): layers, queries,
// edits, audit, backup, and the write transaction of ingest's imports; it imports geo,
// geo/cql2, geo/geojson (the audit's GeoJSON) and geo/ingest.
package gpkg

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"
)

// Store is a layer store kept in one OGC GeoPackage file. It is the only
// code that talks to SQLite. One writer connection serialises writes; a
// pool of read-only connections serves queries concurrently (WAL).
type Store struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	// geoms holds the prepared geometry literals of running queries.
	geoms *geometries
	// dataset has the layers' profiles, whose rules writes pass.
	dataset *geo.Dataset

	mu      sync.Mutex
	tables  map[string]*table // cache of table metadata, dropped on every write
	recheck time.Duration     // see defaultRecheck
	// maxBoxes bounds the layers whose envelopes are kept (boxes.go).
	maxBoxes int64
	// readSlots holds a token per page being read (readSlot).
	readSlots chan struct{}
}

// table is what the store knows of one feature table.
type table struct {
	geo.Layer
	fidCol  string
	geomCol string
	idCol   string // "" when the fid identifies features
	rtree   string // "" when the table has no spatial index
	// raw holds the declared types (in lower case) of the columns the
	// driver would convert, which queries read as they are stored
	// (rowValue does the driver's conversion).
	raw map[string]string
	// boxes are the features' envelopes, read on the first bbox query
	// (boxes.go).
	boxesMu sync.Mutex
	boxes   *boxes
	// checked is when the entry was last compared with the file (unix
	// nanoseconds), so that hot paths look at most once per recheck.
	checked atomic.Int64
}

// gpkgApplicationID is "GPKG" as a big-endian int32 (GeoPackage 1.2+).
const gpkgApplicationID = 0x47504B47

// Open opens an existing GeoPackage. A missing file, or one that is not a
// GeoPackage, is an error that says so.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Look before opening for writing: the writer's pragmas would turn any
	// SQLite file, or an empty one, into a WAL database.
	probe := sql.OpenDB(connector{dsn: "file:" + escapePath(path) + "?mode=ro"})
	err := check(ctx, probe, path)
	probe.Close()
	if err != nil {
		return nil, err
	}
	return open(path, opts)
}

func escapePath(path string) string { return (&url.URL{Path: path}).EscapedPath() }

// Create makes a new, empty GeoPackage at path; the file must not exist.
func Create(ctx context.Context, path string, opts ...Option) (*Store, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	// The schema is written before the file turns to WAL, so that the
	// application id lands in the file header itself: GDAL reads it from
	// the file, not through SQLite, and would not see it in the WAL.
	db := sql.OpenDB(connector{dsn: "file:" + escapePath(path) + "?_journal_mode=DELETE"})
	err = createSchema(ctx, db)
	db.Close()
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return open(path, opts)
}

func open(path string, opts []Option) (*Store, error) {
	// Pragmas live in the DSN because they are per connection.
	// A 64 MiB page cache per connection keeps a bbox query's row lookups
	// in memory rather than in read(2) calls.
	common := "_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_cache_size=-65536"
	name := escapePath(path)
	geoms := newGeometries()
	writer := sql.OpenDB(connector{dsn: "file:" + name + "?" + common + "&_txlock=immediate", geoms: geoms})
	writer.SetMaxOpenConns(1)
	// The writer connection must exist before readers so that the file is
	// in WAL mode when they attach.
	if err := writer.Ping(); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers keep their prepared statements: most queries are the same
	// few texts with other arguments (a feature by id, a page by fids).
	reader := sql.OpenDB(connector{dsn: "file:" + name + "?" + common + "&_query_only=true&_stmt_cache_size=64", geoms: geoms})
	readers := max(4, 2*runtime.NumCPU())
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	s := &Store{path: path, writer: writer, reader: reader, geoms: geoms, tables: map[string]*table{}, recheck: defaultRecheck, maxBoxes: maxBoxes,
		readSlots: make(chan struct{}, readers)}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Option sets up a store as it opens.
type Option func(*Store)

// WithDataset gives the store the profiles whose rules every write to
// their layers must pass (geo.Profile.Check); without it no layer has
// rules.
func WithDataset(d *geo.Dataset) Option {
	return func(s *Store) { s.dataset = d }
}

// describedBy is the dataset's profile of a layer, nil when it does not
// describe it: what an import falls back to when the layer stores none.
func (s *Store) describedBy(layer string) *geo.Profile {
	if p, ok := s.dataset.Profile(layer); ok {
		return &p
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// Path is the file the store keeps.
func (s *Store) Path() string { return s.path }

func check(ctx context.Context, db *sql.DB, path string) error {
	var n int
	err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys')`).Scan(&n)
	if err != nil {
		return fmt.Errorf("%s is not a GeoPackage: %w", path, err)
	}
	if n != 3 {
		return fmt.Errorf("%s is not a GeoPackage: it has no gpkg_contents, gpkg_geometry_columns and gpkg_spatial_ref_sys tables", path)
	}
	return nil
}

// connector opens go-sqlite3 connections with the GeoPackage SQL functions
// that the R-tree triggers call, without registering a driver globally.
// geoms is where the filters' geometry literals are found (a store's
// own; nil for connections that run no filters).
type connector struct {
	dsn   string
	geoms *geometries
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.Driver().Open(c.dsn) }

func (c connector) Driver() driver.Driver {
	return &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error { return registerFunctions(conn, c.geoms) }}
}

func registerFunctions(conn *sqlite3.SQLiteConn, geoms *geometries) error {
	bound := func(pick func(orb.Bound) float64) func([]byte) (any, error) {
		return func(b []byte) (any, error) {
			bd, ok, err := geometryBound(b)
			if err != nil || !ok {
				return nil, err
			}
			return pick(bd), nil
		}
	}
	funcs := map[string]any{
		"ST_MinX": bound(func(b orb.Bound) float64 { return b.Min[0] }),
		"ST_MaxX": bound(func(b orb.Bound) float64 { return b.Max[0] }),
		"ST_MinY": bound(func(b orb.Bound) float64 { return b.Min[1] }),
		"ST_MaxY": bound(func(b orb.Bound) float64 { return b.Max[1] }),
		"ST_IsEmpty": func(b []byte) (bool, error) {
			_, ok, err := geometryBound(b)
			return !ok, err
		},
		"khorasan_intersects": newIntersects(geoms), // CQL2 S_INTERSECTS, see filter.go
		// One call per row for the exact bbox test, instead of four ST_*.
		"khorasan_envelope_intersects": func(b []byte, minX, minY, maxX, maxY float64) (bool, error) {
			bd, ok, err := geometryBound(b)
			if err != nil || !ok {
				return false, err
			}
			return bd.Min[0] <= maxX && bd.Max[0] >= minX && bd.Min[1] <= maxY && bd.Max[1] >= minY, nil
		},
	}
	for name, fn := range funcs {
		if err := conn.RegisterFunc(name, fn, true); err != nil {
			return err
		}
	}
	return nil
}

// quote makes an SQL identifier of any name.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

var layerNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

// reservedPrefixes start the names of tables the store or GeoPackage
// itself keeps: the system tables, R-trees, SQLite's own, and ours (the
// audit log, khorasan_audit). Table names compare without case in SQLite.
var reservedPrefixes = []string{"gpkg_", "rtree_", "sqlite_", "khorasan_"}

// CheckLayerName refuses names that cannot be a layer: they become table
// names, so they are plain identifiers and never a name the store uses.
// Every write path calls it first, so a reserved name is a 400 in every
// import mode, before any input is read.
func CheckLayerName(name string) error {
	if !layerNameRE.MatchString(name) {
		return geo.Invalidf("layer name", "%q must start with a letter, hold only letters, digits and _, and be at most 63 long", name)
	}
	return checkReserved(name)
}

// checkReserved refuses a name the store keeps for itself. Feature edits
// check only this, so that layers GDAL named freely stay editable.
func checkReserved(name string) error {
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return geo.Invalidf("layer name", "%q is reserved for the store's own tables (names starting with gpkg_, rtree_, sqlite_ or khorasan_, such as the audit log %s); choose another name", name, auditTable)
		}
	}
	return nil
}

const schemaSQL = `
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
`

func createSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schemaSQL); err != nil {
		return err
	}
	return tx.Commit()
}
