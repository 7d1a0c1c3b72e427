// Package postgis is the PostgreSQL store (PostGIS through pgx): layers as
// tables beside their metadata and audit log; it imports geo, geo/cql2, geo/csv, geo/geojson and geo/ingest.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/khorasan/khorasan/geo"
)

// Store is a layer store kept in one PostgreSQL database with PostGIS.
// It is the only code that talks to PostgreSQL. Several stores (several
// servers) may share one database: every write is one transaction, and
// the cached layer descriptions follow the others' writes (listen.go).
type Store struct {
	// pool is the primary: every write, and the reads inside writes.
	pool *pgxpool.Pool
	// read is where reads go: pool, or the replica WithReadDSN names.
	read    *pgxpool.Pool
	readDSN string
	// reader is what reads query: read, or a snapshot's transaction.
	reader querier
	// dataset has the layers' profiles, whose rules writes pass.
	dataset *geo.Dataset

	mu      sync.Mutex
	tables  map[string]*table // cache of table descriptions
	recheck time.Duration     // see defaultRecheck
	// listening says the listener is up (listen.go); epoch moves on with
	// every change of listening and notices counts each layer's notices,
	// so that a description read meanwhile is not trusted (markOf).
	listening  bool
	epoch      uint64
	notices    map[string]uint64
	stopListen context.CancelFunc
	listenDone chan struct{}
}

// Option sets up a store as it opens.
type Option func(*Store)

// WithDataset gives the store the profiles whose rules every write to
// their layers must pass (geo.Profile.Check); without it no layer has
// rules.
func WithDataset(d *geo.Dataset) Option {
	return func(s *Store) { s.dataset = d }
}

// WithReadDSN sends the reads (Layers, Layer, Features, Count, Feature,
// History, EachAudit) to another server, a streaming replica of the
// primary Open connects to. Writes, and what they read, go to the
// primary. A replica trails the primary, so a read right after a write
// may not see it yet, and cached layer descriptions are compared with the
// replica once per recheck as well as dropped by the primary's notices.
func WithReadDSN(dsn string) Option {
	return func(s *Store) { s.readDSN = dsn }
}

// Open connects to the database dsn names (postgres://user:pass@host/db)
// and brings its khorasan tables up to date, creating them on first use.
// The database needs PostGIS, or the right to create the extension.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := poolConfig(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redact(dsn), err)
	}
	s := &Store{pool: pool, read: pool, tables: map[string]*table{}, notices: map[string]uint64{}, recheck: defaultRecheck}
	for _, o := range opts {
		o(s)
	}
	s.reader = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", redact(dsn), err)
	}
	if s.readDSN != "" {
		rcfg, err := poolConfig(s.readDSN)
		if err != nil {
			pool.Close()
			return nil, err
		}
		if s.read, err = pgxpool.NewWithConfig(ctx, rcfg); err == nil {
			if err = s.read.Ping(ctx); err != nil {
				s.read.Close()
			}
		}
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("read database %s: %w", redact(s.readDSN), err)
		}
		s.reader = s.read
	}
	lcfg := cfg.ConnConfig.Copy()
	lcfg.RuntimeParams["application_name"] += " listener"
	lctx, stop := context.WithCancel(context.Background())
	s.stopListen, s.listenDone = stop, make(chan struct{})
	go s.listen(lctx, lcfg)
	return s, nil
}

// poolConfig reads a connection string and sets what every connection of
// the store needs.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redact(dsn), err)
	}
	// Values are read and compared in UTC, dates as ISO text, whatever
	// the server's defaults are.
	cfg.ConnConfig.RuntimeParams["TimeZone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["DateStyle"] = "ISO, YMD"
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "khorasan"
	}
	// No statement cache: queries are built per request, and a layer
	// replaced by another server would leave cached plans stale.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	return cfg, nil
}

// redact is a connection string without its password, for messages.
func redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unreadable connection string)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Close stops the listener and releases the connections.
func (s *Store) Close() error {
	s.stopListen()
	<-s.listenDone
	if s.read != s.pool {
		s.read.Close()
	}
	s.pool.Close()
	return nil
}

// describedBy is the dataset's profile of a layer, nil when it does not
// describe it: what an import falls back to when the layer stores none.
func (s *Store) describedBy(layer string) *geo.Profile {
	if p, ok := s.dataset.Profile(layer); ok {
		return &p
	}
	return nil
}

// Tables the store keeps for itself, beside the layers' tables.
const (
	migrationsTable = "khorasan_migrations"
	layersTable     = "khorasan_layers"
	auditTable      = "khorasan_audit"
)

// migrations are the schema's versions, in order: version n is
// migrations()[n-1]. A database records the versions it has; Open
// applies the rest. Never edit one that has shipped; add another.
func migrations() []string {
	return []string{
		`CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE khorasan_layers (
  name text PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY,
  title text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  attribution text NOT NULL DEFAULT '',
  version text NOT NULL DEFAULT '',
  changed timestamptz NOT NULL,
  revision bigint NOT NULL DEFAULT 1,
  min_x float8, min_y float8, max_x float8, max_y float8);
COMMENT ON TABLE khorasan_layers IS 'khorasan: the layers it wrote, with their metadata, in the order they were first made';
CREATE TABLE khorasan_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  layer text NOT NULL,
  feature_id text,
  old text,
  new text);
CREATE INDEX khorasan_audit_feature ON khorasan_audit (layer, feature_id);
COMMENT ON TABLE khorasan_audit IS 'khorasan edit history: who changed what, one row per edit or import, with the feature before and after';`,
		`ALTER TABLE khorasan_layers ADD COLUMN profile jsonb;
COMMENT ON COLUMN khorasan_layers.profile IS 'khorasan: the layer''s profile (what it holds, its time, magnitude and categories), as JSON; NULL takes the dataset''s';`,
	}
}

// schemaLock is the advisory lock key that serialises migrations and
// changes to the set of layers across every store on the database.
const schemaLock = 0x6b686f72 // "khor"

// migrate brings the schema to the latest version, under the lock so
// that servers starting together do not race.
func (s *Store) migrate(ctx context.Context) error {
	ms := migrations()
	var have int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+migrationsTable).Scan(&have)
	switch {
	case err == nil && have == len(ms):
		return nil
	case err == nil && have > len(ms):
		return fmt.Errorf("its khorasan schema is version %d, newer than this khorasan knows (%d): upgrade khorasan", have, len(ms))
	case err != nil && !isCode(err, "42P01"): // undefined_table: a new database
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create the khorasan tables: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+migrationsTable).Scan(&have); err != nil {
		return err
	}
	for v := have + 1; v <= len(ms); v++ {
		if _, err := tx.Exec(ctx, ms[v-1]); err != nil {
			if v == 1 && strings.Contains(err.Error(), "postgis") {
				return fmt.Errorf("the database has no PostGIS, and this user may not add it (CREATE EXTENSION postgis, as its owner): %w", err)
			}
			return fmt.Errorf("schema version %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+migrationsTable+` (version) VALUES ($1)`, v); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// quote makes an SQL identifier of any name.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

var layerNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

// reservedPrefixes start the names of tables the store or PostgreSQL and
// PostGIS keep: ours (khorasan_), the catalogs (pg_) and PostGIS's.
var reservedPrefixes = []string{"khorasan_", "pg_", "spatial_ref_sys", "geometry_columns", "geography_columns"}

// CheckLayerName refuses names that cannot be a layer: they become table
// names, so they are plain identifiers and never a name the store uses.
func CheckLayerName(name string) error {
	if !layerNameRE.MatchString(name) {
		return geo.Invalidf("layer name", "%q must start with a letter, hold only letters, digits and _, and be at most 63 long", name)
	}
	return checkReserved(name)
}

// checkReserved refuses a name the store keeps for itself. Feature edits
// check only this, so that layers another tool named freely stay editable.
func checkReserved(name string) error {
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return geo.Invalidf("layer name", "%q is reserved for the database's own tables (names starting with khorasan_ or pg_, and PostGIS's, such as the audit log %s); choose another name", name, auditTable)
		}
	}
	return nil
}

// isCode reports whether err is a PostgreSQL error with that SQLSTATE.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// busy marks errors that mean another writer held the data (a lock
// timeout, a deadlock, a serialisation failure) as geo.ErrBusy, so that
// callers that know no PostgreSQL can tell the client to retry.
func busy(err error) error {
	var pe *pgconn.PgError
	if err == nil || errors.Is(err, geo.ErrBusy) || !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "55P03", "40001", "40P01": // lock_not_available, serialization_failure, deadlock_detected
		return &busyError{err}
	}
	return err
}

type busyError struct{ err error }

func (e *busyError) Error() string        { return e.err.Error() }
func (e *busyError) Unwrap() error        { return e.err }
func (e *busyError) Is(target error) bool { return target == geo.ErrBusy }
