package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// defaultDB is a GeoPackage of the embedded default data.
func defaultDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "default.gpkg")
	store, err := createStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := seed(ctx, store, data.FS); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestTilesExportRefusesBadInput(t *testing.T) {
	db := defaultDB(t)
	dir := t.TempDir()
	existing := writeFile(t, dir, "there.pmtiles", "x")
	cases := map[string]struct {
		args  []string
		usage bool
	}{
		"no command":           {[]string{"tiles"}, true},
		"unknown command":      {[]string{"tiles", "import"}, true},
		"no layers":            {[]string{"tiles", "export", "--db", db, "--out", filepath.Join(dir, "a.pmtiles")}, true},
		"no out":               {[]string{"tiles", "export", "--db", db, "--layers", "attacks"}, true},
		"unknown format":       {[]string{"tiles", "export", "--db", db, "--layers", "attacks", "--out", filepath.Join(dir, "a.zip")}, true},
		"maxzoom beyond 14":    {[]string{"tiles", "export", "--db", db, "--layers", "attacks", "--maxzoom", "15", "--out", filepath.Join(dir, "a.pmtiles")}, true},
		"minzoom over maxzoom": {[]string{"tiles", "export", "--db", db, "--layers", "attacks", "--minzoom", "5", "--maxzoom", "3", "--out", filepath.Join(dir, "a.pmtiles")}, true},
		"unknown layer":        {[]string{"tiles", "export", "--db", db, "--layers", "attacks,nosuch", "--out", filepath.Join(dir, "a.pmtiles")}, false},
		"out exists":           {[]string{"tiles", "export", "--db", db, "--layers", "attacks", "--out", existing}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := khorasan(t, c.args...)
			var ue *usageError
			if err == nil || errors.As(err, &ue) != c.usage {
				t.Fatalf("err %v, want a usage error: %v", err, c.usage)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "x" {
		t.Error("an existing file was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.pmtiles")); err == nil {
		t.Error("a failed export left its file")
	}
}

// TestTilesExportMBTilesOpensInGDAL: GDAL's MBTiles driver reads the
// archive, its vector layers and their fields.
func TestTilesExportMBTilesOpensInGDAL(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo not found: install gdal-bin (make deps does)")
	}
	db := defaultDB(t)
	out := filepath.Join(t.TempDir(), "region.mbtiles")
	stdout, stderr, err := khorasan(t, "tiles", "export", "--db", db, "--layers", "attacks,borders", "--minzoom", "0", "--maxzoom", "4", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "wrote ") || strings.Contains(stderr, "[") {
		t.Errorf("stdout %q; stderr (not a terminal, so no bar) %q", stdout, stderr)
	}
	info, err := exec.Command("ogrinfo", "-ro", "-so", out).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, info)
	}
	for _, want := range []string{"MBTiles", "attacks", "borders"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("ogrinfo does not show %q:\n%s", want, info)
		}
	}
	// GDAL and QGIS called every layer "Unknown" before the metadata
	// carried tilestats' geometry types.
	list, err := exec.Command("ogrinfo", "-ro", "-q", out).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, list)
	}
	for _, want := range []string{"attacks (Multi Point)", "borders (Multi Polygon)"} {
		if !bytes.Contains(list, []byte(want)) {
			t.Errorf("ogrinfo does not list %q:\n%s", want, list)
		}
	}
	all, err := exec.Command("ogrinfo", "-ro", "-al", "-q", out, "attacks").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo attacks: %v\n%s", err, all)
	}
	for _, want := range []string{"2015-04-18-jalalabad-bank", "killed", "Jalalabad", "POINT ("} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("GDAL's attacks lack %q", want)
		}
	}
}

var (
	pmtilesOnce sync.Once
	pmtilesBin  string
	pmtilesErr  error
)

// pmtilesCLI builds go-pmtiles' command (module proxy, or the module
// cache) once per test run; it is a test tool, never linked into khorasan.
func pmtilesCLI(t *testing.T) string {
	pmtilesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pmtiles-cli-")
		if err != nil {
			pmtilesErr = err
			return
		}
		cmd := exec.Command("go", "install", "github.com/protomaps/go-pmtiles@v1.31.2")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			pmtilesErr = errors.New("go install github.com/protomaps/go-pmtiles@v1.31.2: " + err.Error() + "\n" + string(out))
			return
		}
		pmtilesBin = filepath.Join(dir, "go-pmtiles")
	})
	if pmtilesErr != nil {
		t.Fatalf("cannot build the pmtiles verifier (needs the Go module proxy or a module cache holding it): %v", pmtilesErr)
	}
	return pmtilesBin
}

// TestTilesExportPMTilesVerifies: go-pmtiles verifies the archive and
// reads back the same tile the server makes.
func TestTilesExportPMTilesVerifies(t *testing.T) {
	db := defaultDB(t)
	out := filepath.Join(t.TempDir(), "region.pmtiles")
	if _, stderr, err := khorasan(t, "tiles", "export", "--db", db, "--layers", "attacks,borders", "--maxzoom", "5", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cli := pmtilesCLI(t)
	res, err := exec.Command(cli, "verify", out).CombinedOutput()
	if err != nil || bytes.Contains(res, []byte("Invalid")) {
		t.Fatalf("pmtiles verify: %v\n%s", err, res)
	}
	show, err := exec.Command(cli, "show", out).CombinedOutput()
	if err != nil || !bytes.Contains(show, []byte("tile type: Vector Protobuf (MVT)")) && !bytes.Contains(show, []byte("mvt")) {
		t.Errorf("pmtiles show: %v\n%s", err, show)
	}

	kabul := maptile.At(orb.Point{69.2, 34.5}, 5)
	got, err := exec.Command(cli, "tile", out, "5", itoa(int(kabul.X)), itoa(int(kabul.Y))).Output()
	if err != nil {
		t.Fatalf("pmtiles tile: %v", err)
	}
	if zr, err := gzip.NewReader(bytes.NewReader(got)); err == nil {
		got, _ = io.ReadAll(zr)
	}
	store, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a, _ := store.Layer(context.Background(), "attacks")
	b, _ := store.Layer(context.Background(), "borders")
	// The server cuts tiles from the layers in memory (tiles.Index).
	enc := &tiles.Encoder{Source: store, Index: tiles.NewIndex(store)}
	if err := enc.Index.Warm(context.Background(), []geo.Layer{a, b}); err != nil {
		t.Fatal(err)
	}
	want, err := enc.Encode(context.Background(), []geo.Layer{a, b}, kabul)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, err := mvt.Unmarshal(got)
		t.Fatalf("the archive's tile 5/%d/%d differs from the server's (%d vs %d bytes; decodes: %v)", kabul.X, kabul.Y, len(got), len(want), err == nil && len(gl) == 2)
	}
}

func TestProgressLine(t *testing.T) {
	cases := map[string]struct {
		done, total int
		want        string
	}{
		"start":  {0, 200, "[..........]   0%  0/200 tiles"},
		"half":   {100, 200, "[#####.....]  50%  100/200 tiles"},
		"done":   {200, 200, "[##########] 100%  200/200 tiles"},
		"no job": {0, 0, "[##########] 100%  0/0 tiles"},
	}
	for name, c := range cases {
		if got := progressLine(c.done, c.total, 10); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
	if p := newProgress(&bytes.Buffer{}); p.on {
		t.Error("a bar on a buffer, which is not a terminal")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
