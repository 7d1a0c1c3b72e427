package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/postgis"
	"github.com/khorasan/khorasan/geo/storecopy"
	"github.com/khorasan/khorasan/server"
)

// store is what the commands need of a database; each store package
// gives one (gpkg.Store for a GeoPackage file, postgis.Store for a
// PostgreSQL database, with pgStore's GeoPackage exports).
type store interface {
	server.Store
	server.Editor
	storecopy.Source
	storecopy.Target
	// ImportGeoJSON loads a layer without its profile's rules or an audit
	// entry: the embedded default data.
	ImportGeoJSON(ctx context.Context, info geo.LayerInfo, data []byte) (int64, error)
	// SetProfile stores a layer's profile (nil removes it), refusing one
	// that does not fit the layer (khorasan layer profile).
	SetProfile(ctx context.Context, layer string, p *geo.Profile, actor string) (geo.Layer, error)
	io.Closer
}

// dbUsage is the help of every --db flag.
const dbUsage = "the database: a GeoPackage file, or PostgreSQL with PostGIS as postgres://user:password@host:port/dbname?sslmode=... (env KHORASAN_DB)"

// dbFlag adds --db to a command's flags.
func dbFlag(fl *flag.FlagSet, getenv func(string) string) *string {
	return fl.String("db", envOr(getenv, "KHORASAN_DB", "khorasan.gpkg"), dbUsage)
}

// dbFlags adds --db and --db-read to the flags of a command that reads.
func dbFlags(fl *flag.FlagSet, getenv func(string) string) (db, read *string) {
	db = dbFlag(fl, getenv)
	read = fl.String("db-read", getenv("KHORASAN_DB_READ"), "with a PostgreSQL --db: a second PostgreSQL URL for reads, such as a streaming replica; writes always go to --db (env KHORASAN_DB_READ)")
	return db, read
}

// isPostgres reports whether db names a PostgreSQL database rather than
// a GeoPackage file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// shown is db as logs and messages may show it: a URL without its
// password.
func shown(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// storeOption is an optional setting of openStore.
type storeOption func(*storeOptions)

type storeOptions struct{ read string }

// readFrom sends a PostgreSQL store's reads to a second database (a
// replica); "" reads from the primary.
func readFrom(dsn string) storeOption { return func(o *storeOptions) { o.read = dsn } }

// openStore opens the database with the default data's profiles, whose
// rules every write to their layers passes. A GeoPackage must exist; a
// PostgreSQL database gets khorasan's tables on first use.
func openStore(ctx context.Context, db string, opts ...storeOption) (store, error) {
	var o storeOptions
	for _, opt := range opts {
		opt(&o)
	}
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	if isPostgres(db) {
		pgOpts := []postgis.Option{postgis.WithDataset(ds)}
		if o.read != "" {
			if !isPostgres(o.read) {
				return nil, &usageError{fmt.Sprintf("--db-read %q is not a postgres:// URL", shown(o.read))}
			}
			pgOpts = append(pgOpts, postgis.WithReadDSN(o.read))
		}
		s, err := postgis.Open(ctx, db, pgOpts...)
		if err != nil {
			return nil, err
		}
		return pgStore{s}, nil
	}
	if o.read != "" {
		return nil, &usageError{"--db-read needs a PostgreSQL --db; a GeoPackage is read where it is"}
	}
	s, err := gpkg.Open(ctx, db, gpkg.WithDataset(ds))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// createStore makes a new, empty GeoPackage at path, as openStore opens it.
func createStore(ctx context.Context, path string) (store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	s, err := gpkg.Create(ctx, path, gpkg.WithDataset(ds))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// exists reports whether the database is there to open: a file that
// exists, or any PostgreSQL URL (its tables are made on first use).
func exists(db string) (bool, error) {
	if isPostgres(db) {
		return true, nil
	}
	_, err := os.Stat(db)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// pgStore is a PostGIS store with the GeoPackage files the server's
// backup and export write: a copy through storecopy, so that the store
// package needs no GeoPackage of its own.
type pgStore struct{ *postgis.Store }

// Backup writes every layer and the audit log to a new GeoPackage at
// path, from one snapshot of the database: one moment's state, whatever
// other servers write meanwhile.
func (s pgStore) Backup(ctx context.Context, path string) error {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return err
	}
	defer snap.Close()
	_, err = copyIntoNewFile(ctx, path, func(dst store) (storecopy.Report, error) {
		return storecopy.Copy(ctx, dst, snap)
	})
	return err
}

// ExportLayer writes one layer to a new GeoPackage at path.
func (s pgStore) ExportLayer(ctx context.Context, layer, path string) error {
	l, err := s.Layer(ctx, layer)
	if err != nil {
		return err
	}
	_, err = copyIntoNewFile(ctx, path, func(dst store) (storecopy.Report, error) {
		n, err := storecopy.Layer(ctx, dst, s, l)
		return storecopy.Report{Layers: []storecopy.LayerCopy{{Name: l.Name, Features: n}}}, err
	})
	return err
}

// shellQuote quotes s for a POSIX shell when it needs it (a URL's ? and
// &), so that a command the logs suggest can be pasted as it is.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,", r)
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
