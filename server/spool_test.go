package server

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSpoolFileHasNoName pins issue 10.10: an upload spooled to
// khorasan-upload-* stayed there for good when the server was killed. The
// spool file has no name in its directory from the start, and reads back.
func TestSpoolFileHasNoName(t *testing.T) {
	dir := t.TempDir()
	f, done, err := spoolFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, err := io.WriteString(f, "id,lat,lon\na,1,2\n"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the spool file has a name in %s: %v", dir, entries)
	}
	for range 2 { // an import reads it twice
		b, err := io.ReadAll(io.NewSectionReader(f, 0, 17))
		if err != nil || string(b) != "id,lat,lon\na,1,2\n" {
			t.Fatalf("read back %q, %v", b, err)
		}
	}
}

func TestSweepUploads(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for name, mtime := range map[string]time.Time{
		"khorasan-upload-123": old,        // left by a killed server: removed
		"khorasan-upload-456": time.Now(), // may be a running import's: kept
		"other-upload-789":    old,        // not ours: kept
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "khorasan-upload-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	n, err := SweepUploads(dir, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("SweepUploads = %d, %v; want 1 removed", n, err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"khorasan-upload-456", "khorasan-upload-dir", "other-upload-789"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
