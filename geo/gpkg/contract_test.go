package gpkg

import (
	"testing"

	"github.com/khorasan/khorasan/geo/storetest"
)

// TestContract runs the store contract (geo/storetest) on GeoPackage
// files; geo/postgis runs the same on PostGIS.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return newStore(t) })
}
