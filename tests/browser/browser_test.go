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

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "map.test.mjs")
	node.Env = append(os.Environ(), "KHORASAN_URL="+srv.URL, fmt.Sprintf("EXPECTED_ATTACKS=%d", attacks))
	out, err := node.CombinedOutput()
	t.Logf("map.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}
