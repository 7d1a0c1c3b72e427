// Package layout holds tests of the project's shape: which package may
// import which (docs/ARCHITECTURE.md), and that make fuzz knows every
// fuzz target.
package layout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/khorasan/khorasan/"

// allowed lists, for each package of the product, the project packages
// it may import directly. Imports flow one way: cmd → server →
// tiles/figure → tiles/basemap → tiles/draw → tiles → geo → geo/cql2.
var allowed = map[string][]string{
	"geo/cql2":                {},
	"geo":                     {"geo/cql2"},
	"geo/params":              {"geo", "geo/cql2"},
	"geo/geojson":             {"geo"},
	"geo/csv":                 {"geo"},
	"geo/kml":                 {"geo"},
	"geo/ingest":              {"geo", "geo/csv", "geo/geojson", "geo/kml"},
	"geo/gpkg":                {"geo", "geo/cql2", "geo/geojson", "geo/ingest"},
	"geo/storecopy":           {"geo"},
	"geo/aggregate":           {"geo", "geo/cql2"},
	"geo/postgis":             {"geo", "geo/cql2", "geo/csv", "geo/geojson", "geo/ingest"},
	"geo/storetest":           {"data", "geo", "geo/cql2", "geo/csv", "geo/geojson", "geo/ingest", "internal/testio"},
	"internal/pgtest":         {},
	"tiles":                   {"geo", "geo/cql2"},
	"tiles/draw":              {"tiles"},
	"tiles/basemap":           {"geo", "tiles", "tiles/draw"},
	"tiles/figure":            {"geo", "geo/aggregate", "geo/cql2", "geo/params", "tiles", "tiles/basemap", "tiles/draw"},
	"tiles/pack":              {"geo", "tiles"},
	"tiles/internal/tiletest": {"data", "geo", "geo/gpkg"},
	"internal/testio":         {"geo"},
	"server/cache":            {},
	"server":                  {"geo", "geo/aggregate", "geo/cql2", "geo/csv", "geo/geojson", "geo/ingest", "geo/kml", "geo/params", "server/cache", "tiles", "tiles/basemap", "tiles/figure"},
	"static":                  {},
	"data":                    {"geo"},
	"cmd/khorasan":            {"data", "geo", "geo/cql2", "geo/csv", "geo/geojson", "geo/gpkg", "geo/ingest", "geo/kml", "geo/params", "geo/postgis", "geo/storecopy", "server", "static", "tiles", "tiles/figure", "tiles/pack"},
	"data/gendata":            {},
}

// drivers may be imported only by the package that owns the database; a
// driver's subpackages count as the driver.
var drivers = map[string][]string{
	"github.com/mattn/go-sqlite3": {"geo/gpkg", "tiles/pack"},
	"github.com/jackc/pgx/v5":     {"geo/postgis"},
}

// driverOwners is who may import imp, when it is (part of) a driver.
func driverOwners(imp string) ([]string, bool) {
	for d, owners := range drivers {
		if imp == d || strings.HasPrefix(imp, d+"/") {
			return owners, true
		}
	}
	return nil, false
}

type listed struct {
	ImportPath string
	Imports    []string
}

func goList(t *testing.T) []listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

func TestImportsFlowOneWay(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range goList(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		may, product := allowed[name]
		seen[name] = product
		for _, imp := range p.Imports {
			if owners, ok := driverOwners(imp); ok && !slices.Contains(owners, name) {
				t.Errorf("%s imports %s; only %v may", name, imp, owners)
			}
			ours, isOurs := strings.CutPrefix(imp, module)
			if !isOurs || !product {
				continue
			}
			if !slices.Contains(may, ours) {
				t.Errorf("%s imports %s; it may import only %v", name, ours, may)
			}
		}
	}
	for name := range allowed {
		if _, ok := seen[name]; !ok {
			t.Errorf("package %s is in the rules but not in the module: update the rules", name)
		}
	}
}

// Every FuzzXxx function is listed in the Makefile's FUZZ_TARGETS, so that
// make fuzz searches with it.
func TestMakefileListsEveryFuzzTarget(t *testing.T) {
	dir := root(t)
	var found []string
	fuzzFunc := regexp.MustCompile(`^func (Fuzz\w+)\(\w+ \*testing\.F\)`)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(dir, filepath.Dir(path))
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				found = append(found, filepath.ToSlash(rel)+":"+m[1])
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	listedTargets := fuzzTargets(string(makefile))
	sort.Strings(found)
	sort.Strings(listedTargets)
	if len(found) == 0 {
		t.Fatal("found no fuzz targets at all")
	}
	if !slices.Equal(found, listedTargets) {
		t.Errorf("Makefile FUZZ_TARGETS = %v\nthe code has %v", listedTargets, found)
	}
}

// fuzzTargets reads FUZZ_TARGETS := a b \ c from a Makefile.
func fuzzTargets(makefile string) []string {
	_, rest, ok := strings.Cut(makefile, "FUZZ_TARGETS :=")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(rest, "\n") {
		cont := strings.HasSuffix(strings.TrimSpace(line), `\`)
		out = append(out, strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), `\`))...)
		if !cont {
			break
		}
	}
	return out
}

// TestNoStoreBelowTheStore reads go list -deps (what each package links,
// not only what it imports): server (which reaches the store through
// interfaces it declares), the domain, the formats and tiles never reach
// a store (geo/gpkg, geo/postgis) or a driver; nothing but a main imports server, nothing
// imports a command, and geo imports none of its subpackages but geo/cql2.
func TestNoStoreBelowTheStore(t *testing.T) {
	noStore := []string{"server", "server/cache", "geo", "geo/cql2", "geo/params", "geo/geojson", "geo/csv", "geo/kml", "geo/ingest", "geo/storecopy",
		"tiles", "tiles/draw", "tiles/basemap", "tiles/figure"}
	forbidden := []string{module + "geo/gpkg", module + "geo/postgis", "github.com/mattn/go-sqlite3", "github.com/jackc/pgx/v5"}
	for _, name := range noStore {
		cmd := exec.Command("go", "list", "-deps", "./"+name)
		cmd.Dir = root(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", name, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if slices.ContainsFunc(forbidden, func(f string) bool { return dep == f || strings.HasPrefix(dep, f+"/") }) {
				t.Errorf("%s depends on %s", name, dep)
			}
		}
	}
	for _, p := range goList(t) {
		name := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			ours, isOurs := strings.CutPrefix(imp, module)
			if !isOurs {
				continue
			}
			if (ours == "server" && !strings.HasPrefix(name, "cmd/")) || strings.HasPrefix(ours, "cmd/") {
				t.Errorf("%s imports %s; only a main wires the server", name, ours)
			}
			if name == "geo" && strings.HasPrefix(ours, "geo/") && ours != "geo/cql2" {
				t.Errorf("geo imports %s; the domain imports only geo/cql2", ours)
			}
		}
	}
}
