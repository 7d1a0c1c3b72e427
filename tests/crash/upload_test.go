package crash

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/tests/testserver"
)

// spooling waits until the server holds a file open in dir (the upload it
// spools), reading its descriptors in /proc.
func spooling(t *testing.T, pid int, dir string) {
	t.Helper()
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		entries, err := os.ReadDir(fds)
		if err != nil {
			t.Fatalf("reading the server's descriptors: %v", err)
		}
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server opened no file in its TMPDIR within 60 s of the upload's start")
}

// TestKillDuringHTTPImport pins issue 10.10: SIGKILL during an import
// over HTTP left the whole uploaded body in $TMPDIR/khorasan-upload-*
// for good. Killed while the body arrives or after all of it was sent
// (spooled, or being imported), the server leaves nothing in its TMPDIR.
func TestKillDuringHTTPImport(t *testing.T) {
	bin := testserver.Build(t)
	csv := filepath.Join(t.TempDir(), "upload.csv")
	writeCSV(t, csv, 200_000, 1)
	body, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		whole bool // the whole body is sent before the kill
	}{
		{"while-the-body-arrives", false},
		{"after-the-body-was-sent", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			url, cmd := startServe(t, bin, filepath.Join(t.TempDir(), "upload.gpkg"), "TMPDIR="+tmp)
			pr, pw := io.Pipe()
			req, err := http.NewRequest("POST", url+"/api/collections/events/items?mode=create", pr)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+token)
			answered := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
				}
				answered <- err
			}()
			half := len(body) / 2
			if _, err := pw.Write(body[:half]); err != nil {
				t.Fatal(err)
			}
			spooling(t, cmd.Process.Pid, tmp)
			if tc.whole {
				if _, err := pw.Write(body[half:]); err != nil {
					t.Fatal(err)
				}
				pw.Close()
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			pw.CloseWithError(io.ErrClosedPipe)
			<-answered
			entries, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				fi, _ := e.Info()
				t.Errorf("left in TMPDIR after SIGKILL: %s (%d bytes)", e.Name(), fi.Size())
			}
		})
	}
}
