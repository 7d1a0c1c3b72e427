package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tests/testserver"
)

// TestTilesPage runs tiles.test.mjs and bigevents.test.mjs: the page on
// the offline basemap with a synthetic 100,000-point events layer
// ("events", from bench/genpoints, imported before the page opens) that
// it must draw from vector tiles and stay responsive, and whose
// category filters, clusters and heat map work through the API and the
// tiles beside the attacks.
func TestTilesPage(t *testing.T) {
	needBrowser(t)
	bin := testserver.Build(t)
	dir := t.TempDir()
	srv := testserver.Start(t, bin, filepath.Join(dir, "khorasan.gpkg"))

	points := filepath.Join(dir, "events.geojson")
	f, err := os.Create(points)
	if err != nil {
		t.Fatal(err)
	}
	gen := exec.Command("go", "run", "../../bench/genpoints", "-n", "100000")
	gen.Stdout, gen.Stderr = f, os.Stderr
	if err := gen.Run(); err != nil {
		t.Fatalf("genpoints: %v", err)
	}
	f.Close()
	// The running server sees the new layer: the store rereads layers
	// another process rewrote.
	if out, err := exec.Command(bin, "import", "--db", srv.DB, "--layer", "events", "--title", "Synthetic events (generated)", points).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}

	// The page filters a layer this large through the API; the expected
	// count comes from the database.
	store, err := gpkg.Open(context.Background(), srv.DB)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := cql2.Parse("attribution = 'claimed' AND killed >= 50 AND date >= DATE('2018-01-01') AND date <= DATE('2019-12-31')")
	if err != nil {
		t.Fatal(err)
	}
	filtered, err := store.Count(context.Background(), "events", geo.Query{Filter: filter})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}

	runNode(t, 4*time.Minute, []string{"KHORASAN_URL=" + srv.URL, "EXPECTED={}", "BIG_LAYER=events", "BIG_LAYER_COUNT=100000", fmt.Sprintf("BIG_LAYER_FILTERED=%d", filtered)}, "tiles.test.mjs", "bigevents.test.mjs")
}
