// Package static runs the unit tests of the page's pure ES modules
// (static/state.js, store.js, dates.js, profiles.js, aggregate.js) with node's test
// runner: no browser, no server.
package static

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

func TestPageModules(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: the page's module tests need Node 20 or later on PATH (see README, make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "state.test.mjs", "page.test.mjs", "profiles.test.mjs", "aggregate.test.mjs")
	out, err := node.CombinedOutput()
	t.Logf("state.test.mjs, page.test.mjs, profiles.test.mjs, aggregate.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("node --test failed: %v", err)
	}
}
