package basemap

import (
	"image"
	"os"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
)

// testStore is one GeoPackage for the package's tests (tiletest.Open).
var testStore *gpkg.Store

func TestMain(m *testing.M) { os.Exit(tiletest.Main(m, func(s *gpkg.Store) { testStore = s })) }

func layers(t testing.TB, names ...string) []geo.Layer {
	t.Helper()
	return tiletest.Layers(t, testStore, names...)
}

func checkGolden(t *testing.T, img image.Image, name, test string) {
	t.Helper()
	tiletest.CheckGolden(t, img, name, "./tiles/basemap", test, *update)
}

func decodePNG(t testing.TB, b []byte) image.Image { return tiletest.DecodePNG(t, b) }

func absDiff(a, b uint8) int { return tiletest.AbsDiff(a, b) }

// testRenderer draws from the default data's basemap layers.
func testRenderer(t testing.TB) *Renderer {
	borders, cities := tiletest.Basemap(t)
	return &Renderer{Source: testStore, Borders: borders, Cities: cities, Detail: tiletest.Detail()}
}
