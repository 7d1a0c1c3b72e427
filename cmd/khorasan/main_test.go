package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
)

func khorasan(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	err = run(context.Background(), append([]string{"khorasan"}, args...), env, &out, &errOut)
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// counts is the number of features in every layer of a GeoPackage.
func counts(t *testing.T, db string) map[string]int64 {
	t.Helper()
	s, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	layers, err := s.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int64{}
	for _, l := range layers {
		n[l.Name] = l.Count
	}
	return n
}

const placesJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"kabul","geometry":{"type":"Point","coordinates":[69.17233,34.52813]},"properties":{"name":"Kabul","killed":5}},
{"type":"Feature","id":"herat","geometry":{"type":"Point","coordinates":[62.19967,34.34817]},"properties":{"name":"Herat","killed":0}}
]}`

func TestImportRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.gpkg")
	good := writeFile(t, dir, "good.geojson", placesJSON)
	if _, _, err := khorasan(t, "import", "--db", db, "--layer", "places", good); err != nil {
		t.Fatal(err)
	}
	before := counts(t, db)
	cases := []struct {
		name    string
		content string
		want    []string // what the message must say
	}{
		{"malformed JSON", "{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Feature\",,}]}", []string{"malformed_JSON.geojson", "line 2, column 31"}},
		{"latitude 200", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69,34]},"properties":{}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[69,200]},"properties":{}}]}`, []string{"latitude_200.geojson", "feature 2", `"b"`, "line 3", "latitude 200"}},
		{"a CSV file", "id,lat,lon\n1,34,69\n", []string{"a_CSV_file.geojson", "line 1, column 1", "not valid JSON"}},
		{"a JSON array", "[1,2,3]", []string{"not GeoJSON"}},
		{"an unknown type", `{"type":"Topology"}`, []string{`"Topology"`}},
		{"empty file", "", []string{"empty_file.geojson", "JSON"}},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[60,30],[61,30],[61,31],[60,31]]]}`, []string{"ring", "not closed"}},
		{"wrong coordinates shape", `{"type":"Feature","geometry":{"type":"Point","coordinates":"here"},"properties":{}}`, []string{"feature 1", "geometry"}},
		{"mixed value types", `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":null,"properties":{"fid":1}}]}`, []string{`"fid"`, "reserved"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".geojson", c.content)
			for _, layer := range []string{"places", "fresh"} {
				_, _, err := khorasan(t, "import", "--db", db, "--layer", layer, file)
				if err == nil {
					t.Fatal("import succeeded")
				}
				if exitCode(err) == 0 {
					t.Errorf("exit code 0 for %v", err)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("message %q does not say %q", err, w)
					}
				}
				if after := counts(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("database changed: %v, was %v", after, before)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, _, err := khorasan(t, "import", "--db", db, "--layer", "places", filepath.Join(dir, "nope.geojson"))
		if !errors.Is(err, fs.ErrNotExist) || exitCode(err) == 0 {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad layer name", func(t *testing.T) {
		_, _, err := khorasan(t, "import", "--db", db, "--layer", "gpkg_contents", good)
		if exitCode(err) != 2 {
			t.Errorf("err = %v, exit %d", err, exitCode(err))
		}
	})
	t.Run("--default with a file or of a layer with no default data", func(t *testing.T) {
		for name, args := range map[string][]string{
			"a file too":  {"--layer", "attacks", "--default", good},
			"no such one": {"--layer", "places", "--default"},
		} {
			_, _, err := khorasan(t, append([]string{"import", "--db", db, "--mode", "upsert"}, args...)...)
			if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "default") {
				t.Errorf("%s: err = %v, exit %d", name, err, exitCode(err))
			}
		}
		if after := counts(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("database changed: %v, was %v", after, before)
		}
	})
	// The audit log's table passed the name check once and failed later
	// with "run the import again"; in every mode it is a usage error now.
	t.Run("audit table", func(t *testing.T) {
		before := counts(t, db)
		for _, mode := range []string{"create", "append", "upsert", "replace"} {
			_, _, err := khorasan(t, "import", "--db", db, "--layer", "khorasan_audit", "--mode", mode, good)
			if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), `"khorasan_audit" is reserved`) {
				t.Errorf("mode %s: err = %v, exit %d", mode, err, exitCode(err))
			}
		}
		if after := counts(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("database changed: %v, was %v", after, before)
		}
	})
}

func TestImportReplacesAndExportRoundTrips(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.gpkg")
	file := writeFile(t, dir, "places.geojson", placesJSON)
	for range 2 { // the second import replaces the first
		out, _, err := khorasan(t, "import", "--db", db, "--layer", "places", "--title", "Places", file)
		if err != nil || !strings.Contains(out, "imported 2 features") {
			t.Fatalf("%q, %v", out, err)
		}
	}
	if n := counts(t, db); n["places"] != 2 {
		t.Fatalf("counts %v", n)
	}
	out, _, err := khorasan(t, "export", "--db", db, "--layer", "places")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := geojson.ReadAll(strings.NewReader(out))
	if err != nil {
		t.Fatalf("export is not GeoJSON: %v\n%s", err, out)
	}
	want, _, _ := geojson.ReadAll(strings.NewReader(placesJSON))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exported\n%v\nwant\n%v", got, want)
	}
	out, _, err = khorasan(t, "export", "--db", db, "--layer", "places", "--format", "csv")
	wantCSV := "id,longitude,latitude,name,killed\nkabul,69.17233,34.52813,Kabul,5\nherat,62.19967,34.34817,Herat,0\n"
	if err != nil || out != wantCSV {
		t.Errorf("csv %q, %v; want %q", out, err, wantCSV)
	}
	_, _, err = khorasan(t, "export", "--db", db, "--layer", "nope")
	if !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("unknown layer: %v", err)
	}
	_, _, err = khorasan(t, "export", "--db", db, "--layer", "places", "--format", "shp")
	if exitCode(err) != 2 {
		t.Errorf("bad format: %v", err)
	}
}

func TestServeCreatesTheDefaultData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "khorasan.gpkg")
	s, err := openOrSeed(context.Background(), db, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Every feature of every embedded file is in the database.
	var manifest []manifestEntry
	raw, _ := fs.ReadFile(data.FS, "layers.json")
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	got := counts(t, db)
	for _, m := range manifest {
		doc, _ := fs.ReadFile(data.FS, m.File)
		var fc struct{ Features []json.RawMessage }
		json.Unmarshal(doc, &fc)
		if got[m.Name] != int64(len(fc.Features)) || len(fc.Features) == 0 {
			t.Errorf("layer %s: %d features in the database, %d in %s", m.Name, got[m.Name], len(fc.Features), m.File)
		}
	}
	if len(got) != len(manifest) {
		t.Errorf("layers %v", got)
	}

	// GDAL opens the file without a warning, counts the same features, and
	// finds every geometry valid.
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo not found: install gdal-bin (make test does it)")
	}
	for _, m := range manifest {
		cmd := exec.Command(ogrinfo, "-ro", "-q", db, "-dialect", "SQLite", "-sql",
			fmt.Sprintf("SELECT count(*) AS n, sum(NOT ST_IsValid(geom)) AS invalid FROM %s", m.Name))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("ogrinfo: %v\n%s", err, stderr.String())
		}
		want := fmt.Sprintf("n (Integer) = %d", got[m.Name])
		if !strings.Contains(string(out), want) || !strings.Contains(string(out), "invalid (Integer) = 0") {
			t.Errorf("layer %s through GDAL:\n%s\nwant %q and no invalid geometry", m.Name, out, want)
		}
	}
}

func TestServeRefusesWhatIsNotAGeoPackage(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"text":   "this is a text file, not a database\n",
		"sqlite": "", // an empty file opens as an empty SQLite database
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			db := writeFile(t, dir, name+".gpkg", content)
			_, _, err := khorasan(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
			if err == nil || !strings.Contains(err.Error(), "not a GeoPackage") {
				t.Errorf("err = %v", err)
			}
			if after, _ := os.ReadFile(db); string(after) != content {
				t.Errorf("the file was changed")
			}
		})
	}
}

func TestServeAndShutDown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "khorasan.gpkg")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"khorasan", "serve", "--db", db, "--addr", addr}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("healthz %d", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestHelp(t *testing.T) {
	cases := map[string]string{
		"serve":  "Serve the map page",
		"import": "Import a GeoJSON file",
		"export": "Write a layer",
	}
	for cmd, want := range cases {
		t.Run(cmd, func(t *testing.T) {
			_, stderr, err := khorasan(t, cmd, "--help")
			if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
				t.Errorf("err = %v", err)
			}
			if !strings.Contains(stderr, want) || !strings.Contains(stderr, "--db") && !strings.Contains(stderr, "-db") {
				t.Errorf("help says:\n%s", stderr)
			}
		})
	}
	if _, _, err := khorasan(t, "frobnicate"); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServe runs serve on a free port until the test ends.
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"khorasan", "serve", "--addr", addr}, args...), func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Links follow X-Forwarded-Host only from the proxies --trusted-proxies
// (or KHORASAN_TRUSTED_PROXIES) names; a bad list is a usage error.
func TestServeTrustsOnlyNamedProxies(t *testing.T) {
	db := filepath.Join(t.TempDir(), "khorasan.gpkg")
	selfLink := func(addr string) string {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/collections", nil)
		req.Header.Set("X-Forwarded-Host", "maps.example.org")
		req.Header.Set("X-Forwarded-Proto", "https")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc struct{ Links []struct{ Href string } }
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || len(doc.Links) == 0 {
			t.Fatalf("collections: %v", err)
		}
		return doc.Links[0].Href
	}
	cases := []struct {
		name  string
		env   map[string]string
		args  []string
		proxy bool
	}{
		{"no flag", nil, nil, false},
		{"flag naming another network", nil, []string{"--trusted-proxies", "10.0.0.0/8"}, false},
		{"flag naming loopback", nil, []string{"--trusted-proxies", "10.0.0.0/8, 127.0.0.1"}, true},
		{"environment", map[string]string{"KHORASAN_TRUSTED_PROXIES": "127.0.0.0/8"}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := startServe(t, c.env, append([]string{"--db", db}, c.args...)...)
			want := "http://" + addr + "/api/collections?f=json"
			if c.proxy {
				want = "https://maps.example.org/api/collections?f=json"
			}
			if got := selfLink(addr); got != want {
				t.Errorf("self link %s, want %s", got, want)
			}
		})
	}
	_, _, err := khorasan(t, "serve", "--db", db, "--addr", "127.0.0.1:0", "--trusted-proxies", "10.0.0.0/40")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "10.0.0.0/40") {
		t.Errorf("bad list: %v, exit %d", err, exitCode(err))
	}
}
