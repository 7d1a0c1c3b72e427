// Package browser runs the page's headless-browser test (map.test.mjs,
// playwright-core driving Debian's chromium) against a real khorasan
// server built from this tree.
package browser

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
)

func TestMapPage(t *testing.T) {
	for _, need := range []string{"node", "/usr/bin/chromium"} {
		if _, err := exec.LookPath(need); err != nil {
			t.Fatalf("%s not found: run make test, which installs what the browser test needs", need)
		}
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatal("tests/browser/node_modules is missing: run make test (it runs npm ci here)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "khorasan")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/khorasan")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}

	addr := freeAddr(t)
	db := filepath.Join(dir, "khorasan.gpkg")
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	server := exec.Command(bin, "serve", "--addr", addr, "--db", db)
	server.Stderr = logFile
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		server.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server did not shut down cleanly: %v", err)
			}
		case <-time.After(15 * time.Second):
			server.Process.Kill()
			t.Error("server did not stop on SIGTERM")
		}
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("server log:\n%s", log)
		}
	}()
	waitHealthy(t, "http://"+addr+"/healthz", exited)

	// The expected count comes from the database itself, not from the page.
	store, err := geo.Open(context.Background(), db)
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
	node.Env = append(os.Environ(), "KHORASAN_URL=http://"+addr, fmt.Sprintf("EXPECTED_ATTACKS=%d", attacks))
	out, err := node.CombinedOutput()
	t.Logf("map.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string, exited <-chan error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited at start: %v", err)
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server did not become healthy in 60 s")
}
