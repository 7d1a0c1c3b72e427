package basemap

import (
	"context"
	"image"
	"os"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
)

// testStore is one GeoPackage for the package's tests (tiletest.Open).
var testStore *gpkg.Store

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "basemap-test-")
	if err != nil {
		panic(err)
	}
	code := 1
	func() {
		defer os.RemoveAll(dir)
		s, err := tiletest.Open(context.Background(), dir)
		if err != nil {
			panic(err)
		}
		defer s.Close()
		testStore = s
		code = m.Run()
	}()
	os.Exit(code)
}

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
