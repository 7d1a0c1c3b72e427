// Package browser runs the page's headless-browser test (map.test.mjs,
// playwright-core driving Debian's chromium) against a real khorasan
// server built from this tree.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tests/testserver"
)

// needBrowser stops the test when what the browser tests run on is
// missing: node, Debian's chromium and the npm packages.
func needBrowser(t *testing.T) {
	t.Helper()
	for _, need := range []string{"node", "/usr/bin/chromium"} {
		if _, err := exec.LookPath(need); err != nil {
			t.Fatalf("%s not found: run make test, which installs what the browser test needs", need)
		}
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatal("tests/browser/node_modules is missing: run make test (it runs npm ci here)")
	}
}

// runNode runs the given .mjs files with Node's test runner, one file at
// a time, with env added to the environment, and fails the test when
// they fail (or outlast timeout).
func runNode(t *testing.T, timeout time.Duration, env []string, files ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	node := exec.CommandContext(ctx, "node", append([]string{"--test", "--test-reporter=spec", "--test-concurrency=1"}, files...)...)
	node.Env = append(os.Environ(), env...)
	out, err := node.CombinedOutput()
	t.Logf("%s:\n%s", strings.Join(files, ", "), out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}

// serveWithACLED serves the default data with the ACLED sample
// (geo/csv/testdata/acled.csv) imported as a second events layer,
// "acled".
func serveWithACLED(t *testing.T) *testserver.Server {
	t.Helper()
	bin := testserver.Build(t)
	srv := testserver.Start(t, bin, filepath.Join(t.TempDir(), "khorasan.gpkg"))
	sample, err := filepath.Abs("../../geo/csv/testdata/acled.csv")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "import", "--db", srv.DB, "--layer", "acled", "--mode", "create", sample).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	return srv
}

func TestMapPage(t *testing.T) {
	needBrowser(t)
	srv := testserver.Start(t, testserver.Build(t), filepath.Join(t.TempDir(), "khorasan.gpkg"))

	// The expected count comes from the database itself, not from the page.
	store, err := gpkg.Open(context.Background(), srv.DB)
	if err != nil {
		t.Fatal(err)
	}
	attacks, err := store.Count(context.Background(), "attacks", geo.Query{})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}

	runNode(t, 4*time.Minute, []string{"KHORASAN_URL=" + srv.URL, fmt.Sprintf("EXPECTED_ATTACKS=%d", attacks)}, "map.test.mjs")
}
