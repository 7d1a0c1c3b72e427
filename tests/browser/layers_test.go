package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/khorasan/khorasan/tests/testserver"
)

// TestTwoEventsLayers runs layers.test.mjs: the default data with the
// ACLED sample (geo/csv/testdata/acled.csv) imported as a second events
// layer, picked beside the attacks in the map page, carried by the link
// and drawn by the embed page.
func TestTwoEventsLayers(t *testing.T) {
	needBrowser(t)
	bin := testserver.Build(t)
	srv := testserver.Start(t, bin, filepath.Join(t.TempDir(), "khorasan.gpkg"))
	sample, err := filepath.Abs("../../geo/csv/testdata/acled.csv")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "import", "--db", srv.DB, "--layer", "acled", "--mode", "create", sample).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "layers.test.mjs")
	node.Env = append(os.Environ(), "KHORASAN_URL="+srv.URL, "EXPECTED={}")
	out, err := node.CombinedOutput()
	t.Logf("layers.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}
