// Package oapi tests the OGC API - Features with real clients: GDAL's
// OAPIF driver, OWSLib and an OpenAPI validator, against a real server on
// a GeoPackage and on PostGIS.
package oapi

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/pgtest"
	"github.com/khorasan/khorasan/tests/testserver"
	"github.com/khorasan/khorasan/tests/teststore"
	"github.com/paulmach/orb"
)

// debianPython is the interpreter Debian's python3-owslib installs into.
const debianPython = "/usr/bin/python3"

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run make test, which installs what these tests need", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// count reads the expected numbers straight from the store behind the
// server: its GeoPackage or its PostgreSQL database.
func count(t *testing.T, db, layer string, q geo.Query) int64 {
	t.Helper()
	return teststore.Count(t, db, layer, q)
}

// TestRealClients runs the same clients with the same assertions against
// a server on a GeoPackage and a server on PostGIS, each seeded with the
// default data.
func TestRealClients(t *testing.T) {
	need(t, "ogrinfo", "ogr2ogr", debianPython, "node")
	if _, err := os.Stat("node_modules/@apidevtools/swagger-parser"); err != nil {
		t.Fatal("tests/oapi/node_modules is missing: run make test (it runs npm ci here)")
	}
	bin := testserver.Build(t)
	for _, backend := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"GeoPackage", func(t *testing.T) string { return filepath.Join(t.TempDir(), "khorasan.gpkg") }},
		{"PostGIS", func(t *testing.T) string { return pgtest.New(t) }},
	} {
		t.Run(backend.name, func(t *testing.T) {
			realClients(t, testserver.Start(t, bin, backend.db(t)))
		})
	}
}

func realClients(t *testing.T, srv *testserver.Server) {
	api := srv.URL + "/api"
	layers := []string{"khorasan", "borders", "attacks", "cities"}

	t.Run("OpenAPI validator accepts the definition", func(t *testing.T) {
		t.Log(run(t, "node", "validate-openapi.mjs", api+"/openapi"))
	})

	t.Run("GDAL lists every collection with its count and types", func(t *testing.T) {
		out := run(t, "ogrinfo", "-ro", "-so", "-al", "OAPIF:"+api)
		for _, l := range layers {
			want := count(t, srv.DB, l, geo.Query{})
			re := regexp.MustCompile(`(?s)Layer name: ` + l + `\n.*?Feature Count: (\d+)`)
			m := re.FindStringSubmatch(out)
			if m == nil || m[1] != strconv.FormatInt(want, 10) {
				t.Errorf("layer %s: GDAL says %v, the database %d", l, m, want)
			}
		}
		for _, field := range []string{"killed: Integer", "date: Date", "attribution: String", "source_url: String"} {
			if !strings.Contains(out, field) {
				t.Errorf("GDAL does not see field %q", field)
			}
		}
		if t.Failed() {
			t.Log(out)
		}
	})

	t.Run("ogr2ogr copies attacks and the copy equals the source", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.gpkg")
		run(t, "ogr2ogr", "-f", "GPKG", copyPath, "OAPIF:"+api, "attacks", "-oo", "PAGE_SIZE=7")
		src := features(t, srv.DB, "attacks")
		got := features(t, copyPath, "attacks")
		if len(got) != len(src) {
			t.Fatalf("copy has %d features, source %d", len(got), len(src))
		}
		for i, f := range src {
			g := got[i]
			// GDAL keeps our string id as an "id" field.
			if g.Properties["id"] != f.ID {
				t.Errorf("feature %d: id %v, want %s", i, g.Properties["id"], f.ID)
			}
			if !reflect.DeepEqual(g.Geometry, f.Geometry) {
				t.Errorf("%s: geometry %v, want %v", f.ID, g.Geometry, f.Geometry)
			}
			for k, v := range f.Properties {
				if fmt.Sprint(g.Properties[k]) != fmt.Sprint(v) {
					t.Errorf("%s.%s: copy %#v, source %#v", f.ID, k, g.Properties[k], v)
				}
			}
		}
	})

	t.Run("ogr2ogr reads every layer to the end", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "all.gpkg")
		run(t, "ogr2ogr", append([]string{"-f", "GPKG", copyPath, "OAPIF:" + api, "-oo", "PAGE_SIZE=50"}, layers...)...)
		for _, l := range layers {
			var want, got []any
			for _, f := range features(t, srv.DB, l) {
				want = append(want, f.ID)
			}
			for _, f := range features(t, copyPath, l) {
				// GDAL keeps a string id as a field, a whole number as
				// the copy's own fid.
				id, ok := f.Properties["id"]
				if !ok {
					id = f.ID
				}
				got = append(got, id)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("layer %s: GDAL read %d features %v, the database has %d %v", l, len(got), got, len(want), want)
			}
		}
	})

	t.Run("GDAL spatial and date filters give the right counts", func(t *testing.T) {
		kabul := orb.Bound{Min: orb.Point{68.9, 34.3}, Max: orb.Point{69.4, 34.7}}
		want := count(t, srv.DB, "attacks", geo.Query{BBox: &kabul})
		out := run(t, "ogrinfo", "-ro", "-so", "OAPIF:"+api, "attacks", "-spat", "68.9", "34.3", "69.4", "34.7")
		if !strings.Contains(out, fmt.Sprintf("Feature Count: %d", want)) || want == 0 {
			t.Errorf("bbox: want %d\n%s", want, out)
		}
		// GDAL 3.10 and later pass datetime to the server with an open
		// option; older GDAL (Debian 12 has 3.6) filters the dates itself.
		args := []string{"-ro", "-so", "OAPIF:" + api, "attacks"}
		if gdalAtLeast(t, 3, 10) {
			args = append(args, "-oo", "DATETIME=2021-01-01/2021-12-31")
		} else {
			args = append(args, "-where", "date >= '2021-01-01' AND date <= '2021-12-31'")
		}
		out = run(t, "ogrinfo", args...)
		want2021 := countWhere(t, srv.DB, "attacks", func(f geo.Feature) bool {
			d, _ := f.Properties["date"].(string)
			return d >= "2021-01-01" && d <= "2021-12-31"
		})
		if !strings.Contains(out, fmt.Sprintf("Feature Count: %d", want2021)) || want2021 == 0 {
			t.Errorf("2021: want %d\n%s", want2021, out)
		}
	})

	t.Run("OWSLib lists, filters and pages to the end", func(t *testing.T) {
		t.Log(run(t, debianPython, "owslib_client.py", api))
	})
}

func features(t *testing.T, db, layer string) []geo.Feature {
	t.Helper()
	return teststore.Features(t, db, layer)
}

func countWhere(t *testing.T, db, layer string, keep func(geo.Feature) bool) int {
	n := 0
	for _, f := range features(t, db, layer) {
		if keep(f) {
			n++
		}
	}
	return n
}

func gdalAtLeast(t *testing.T, major, minor int) bool {
	out := run(t, "ogrinfo", "--version") // GDAL 3.6.2, released 2023/01/02
	m := regexp.MustCompile(`GDAL (\d+)\.(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("cannot read GDAL's version from %q", out)
	}
	maj, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	return maj > major || maj == major && min >= minor
}
