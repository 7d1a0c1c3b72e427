// Package teststore opens the store a test server runs on, a GeoPackage
// file or a PostgreSQL database, so that tests read what is really there.
package teststore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/postgis"
)

// Store is what the tests read of either store.
type Store interface {
	Layers(ctx context.Context) ([]geo.Layer, error)
	Layer(ctx context.Context, name string) (geo.Layer, error)
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
	Count(ctx context.Context, layer string, q geo.Query) (int64, error)
	History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error)
	Close() error
}

// IsPostgres reports whether db is a PostgreSQL URL, as --db reads it.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open opens db; the caller closes it.
func Open(t testing.TB, db string) Store {
	t.Helper()
	var s Store
	var err error
	if IsPostgres(db) {
		s, err = postgis.Open(context.Background(), db)
	} else {
		s, err = gpkg.Open(context.Background(), db)
	}
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	return s
}

// Count is the number of features of layer that q selects, in db.
func Count(t testing.TB, db, layer string, q geo.Query) int64 {
	t.Helper()
	s := Open(t, db)
	defer s.Close()
	n, err := s.Count(context.Background(), layer, q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Features are all the features of layer in db, in the store's order.
func Features(t testing.TB, db, layer string) []geo.Feature {
	t.Helper()
	s := Open(t, db)
	defer s.Close()
	var fs []geo.Feature
	if err := s.Features(context.Background(), layer, geo.Query{}, func(f geo.Feature) error {
		fs = append(fs, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return fs
}

// Exists reports whether db has layer.
func Exists(t testing.TB, db, layer string) bool {
	t.Helper()
	s := Open(t, db)
	defer s.Close()
	_, err := s.Layer(context.Background(), layer)
	if errors.Is(err, geo.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
