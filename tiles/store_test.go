package tiles

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb"
)

// testStore is one GeoPackage for the package's tests: the embedded
// default layers, a dense cluster of points around Kabul ("dense", with a
// killed column) and a square ("square") for the seam test.
var testStore *gpkg.Store

func TestMain(m *testing.M) { os.Exit(tiletest.Main(m, func(s *gpkg.Store) { testStore = s })) }

func layers(t testing.TB, names ...string) []geo.Layer {
	t.Helper()
	return tiletest.Layers(t, testStore, names...)
}

// spreadPoints is n points over the region (44..80 E, 24..44 N) shaped
// like bench/genpoints's events, the same for the same seed.
func spreadPoints(n int, seed uint64) iter.Seq2[geo.Feature, error] {
	return func(yield func(geo.Feature, error) bool) {
		r := rand.New(rand.NewPCG(seed, 3))
		start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			f := geo.Feature{
				ID:       fmt.Sprintf("synthetic-%d", i),
				Geometry: orb.Point{44 + 36*r.Float64(), 24 + 20*r.Float64()},
				Properties: map[string]any{
					"date":        start.AddDate(0, 0, r.IntN(3650)).Format(time.DateOnly),
					"killed":      int64(r.IntN(60)),
					"attribution": []string{"claimed", "attributed", "disputed"}[r.IntN(3)],
					"synthetic":   true,
				},
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

var spreadSchema = geo.Schema{GeometryType: "POINT", HasID: true, Columns: []geo.Column{
	{Name: "date", Type: geo.Date}, {Name: "killed", Type: geo.Integer},
	{Name: "attribution", Type: geo.Text}, {Name: "synthetic", Type: geo.Boolean}}}
