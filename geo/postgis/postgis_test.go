package postgis

import (
	"context"
	"os"
	"testing"

	"github.com/khorasan/khorasan/geo/storetest"
	"github.com/khorasan/khorasan/internal/pgtest"
)

// cluster is the package's throwaway PostgreSQL, shared by its tests;
// each test gets a database of its own.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// newStore opens a store on a new database, with the default data's
// profiles.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), cluster.Database(t), WithDataset(storetest.Dataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContract runs the store contract (geo/storetest) on PostGIS, as
// geo/gpkg runs it on GeoPackage files.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return newStore(t) })
}
