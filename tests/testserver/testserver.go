// Package testserver builds the khorasan binary from this tree and runs
// it on a free loopback port, for tests that drive it with real clients.
package testserver

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Server is a running khorasan serve.
type Server struct {
	URL string // http://127.0.0.1:PORT
	DB  string // the GeoPackage it serves
	Bin string // the binary, for other subcommands
	PID int    // the server's process, for /proc/PID (memory)
}

// Build compiles cmd/khorasan into a temporary directory.
func Build(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "khorasan")
	build := exec.Command("go", "build", "-o", bin, "./cmd/khorasan")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// Start serves db (created from the default data when it does not exist)
// and stops the server, checking it shuts down cleanly, when the test ends.
func Start(t *testing.T, bin, db string, args ...string) *Server {
	t.Helper()
	addr := freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--db", db}, args...)...)
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		defer logFile.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server did not shut down cleanly: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Error("server did not stop on SIGTERM")
		}
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("server log:\n%s", log)
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("server exited at start: %v\n%s", err, log)
		default:
		}
		if res, err := http.Get(url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return &Server{URL: url, DB: db, Bin: bin, PID: cmd.Process.Pid}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not become healthy in 60 s")
		}
		time.Sleep(100 * time.Millisecond)
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
