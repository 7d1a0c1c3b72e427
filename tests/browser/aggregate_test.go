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

// TestAggregates runs aggregate.test.mjs: the page's choropleth (per
// country and per hexagon) and its month-by-month comparison, on the
// default data with the ACLED sample (geo/csv/testdata/acled.csv)
// imported as a second events layer, every number held to the API's
// /aggregate.
func TestAggregates(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "aggregate.test.mjs")
	node.Env = append(os.Environ(), "KHORASAN_URL="+srv.URL, "EXPECTED={}")
	out, err := node.CombinedOutput()
	t.Logf("aggregate.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}
