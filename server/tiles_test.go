package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb/encoding/mvt"
)

const tileAttacks = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"kabul-airport","geometry":{"type":"Point","coordinates":[69.2125,34.5627]},"properties":{"killed":183,"city":"Kabul"}},
{"type":"Feature","id":"kerman","geometry":{"type":"Point","coordinates":[57.0786,30.2832]},"properties":{"killed":95,"city":"Kerman"}}]}`

const tileRegions = `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[60,30],[70,30],[70,38],[60,38],[60,30]]]},"properties":{"name":"box"}}]}`

// newTileServer serves a real GeoPackage with two small layers.
func newTileServer(t *testing.T, cfg TilesConfig) (*httptest.Server, *gpkg.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "tiles.gpkg"), gpkg.WithDataset(defaultDataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for name, doc := range map[string]string{"attacks": tileAttacks, "regions": tileRegions} {
		if _, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: name, Attribution: "credit " + name}, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(New(Config{Static: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, Tiles: cfg}, store, log))
	t.Cleanup(srv.Close)
	return srv, store
}

func fetch(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestTileBadInputIsProblemJSON(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{})
	cases := map[string]struct {
		path   string
		status int
	}{
		"zoom beyond the maximum":         {"/tiles/attacks/15/0/0.mvt", 400},
		"x outside 0..2^z-1":              {"/tiles/attacks/2/4/0.mvt", 400},
		"y outside 0..2^z-1":              {"/tiles/attacks/2/0/4.mvt", 400},
		"negative y is rejected":          {"/tiles/attacks/2/0/-1.mvt", 400},
		"negative z is rejected":          {"/tiles/attacks/-2/0/0.mvt", 400},
		"non-number x":                    {"/tiles/attacks/2/abc/0.mvt", 400},
		"plus sign is not a number":       {"/tiles/attacks/2/+1/0.mvt", 400},
		"huge zoom":                       {"/tiles/attacks/99999999999/0/0.mvt", 400},
		"unknown layer":                   {"/tiles/nosuch/0/0/0.mvt", 404},
		"one unknown layer of two":        {"/tiles/attacks,nosuch/0/0/0.mvt", 404},
		"empty layer in list":             {"/tiles/attacks,/0/0/0.mvt", 400},
		"unknown extension":               {"/tiles/attacks/0/0/0.pbf", 404},
		"no extension":                    {"/tiles/attacks/0/0/0", 404},
		"png of a vector layer":           {"/tiles/attacks/0/0/0.png", 404},
		"basemap beyond its zoom":         {"/tiles/basemap/11/0/0.png", 400},
		"unknown parameter":               {"/tiles/attacks/0/0/0.mvt?foo=1", 400},
		"tilejson of an unknown layer":    {"/tiles/nosuch.json", 404},
		"too deep a path":                 {"/tiles/attacks/0/0/0/0.mvt", 404},
		"@2x on a vector tile is not a y": {"/tiles/attacks/0/0/0@2x.mvt", 400},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, body := fetch(t, srv.URL+c.path)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q: %s", ct, body)
			}
			var p problem
			if err := json.Unmarshal(body, &p); err != nil || p.Status != c.status || p.Detail == "" {
				t.Fatalf("problem %+v (%v): %s", p, err, body)
			}
		})
	}
}

func TestVectorTileIsCachedAndRevalidated(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{})
	url := srv.URL + "/tiles/regions,attacks/4/11/6.mvt"
	res, body := fetch(t, url)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("status %d type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res.Header.Get("X-Tile-Cache") != "miss" {
		t.Errorf("first request: X-Tile-Cache %q", res.Header.Get("X-Tile-Cache"))
	}
	ls, err := mvt.Unmarshal(body)
	if err != nil || len(ls) != 2 || ls[0].Name != "attacks" || ls[1].Name != "regions" {
		t.Fatalf("layers %v, %v", ls, err)
	}
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("ETag %q Cache-Control %q", etag, res.Header.Get("Cache-Control"))
	}

	res2, body2 := fetch(t, url)
	if res2.Header.Get("X-Tile-Cache") != "hit" || !bytes.Equal(body, body2) || res2.Header.Get("ETag") != etag {
		t.Errorf("second request: cache %q, same body %v, ETag %q (first %q)", res2.Header.Get("X-Tile-Cache"), bytes.Equal(body, body2), res2.Header.Get("ETag"), etag)
	}
	// The same layers in the other order are the same tile.
	if res3, _ := fetch(t, srv.URL+"/tiles/attacks,regions/4/11/6.mvt"); res3.Header.Get("ETag") != etag {
		t.Error("layer order changes the ETag")
	}

	res, _ = fetch(t, url, "If-None-Match", etag)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: status %d", res.StatusCode)
	}

	res, gz := fetch(t, url, "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	gzTag := res.Header.Get("ETag")
	if gzTag == etag || !strings.HasSuffix(gzTag, `-gzip"`) {
		t.Errorf("gzipped tile has ETag %q (identity %q)", gzTag, etag)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, body) {
		t.Error("gunzipped tile differs from the identity tile")
	}
	res, _ = fetch(t, url, "Accept-Encoding", "gzip", "If-None-Match", gzTag)
	if res.StatusCode != http.StatusNotModified || res.Header.Get("ETag") != gzTag {
		t.Errorf("If-None-Match with the gzip ETag: status %d ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
}

func TestImportChangesETagsOfThatLayerOnly(t *testing.T) {
	srv, store := newTileServer(t, TilesConfig{})
	attacks, regions := srv.URL+"/tiles/attacks/4/11/6.mvt", srv.URL+"/tiles/regions/4/11/6.mvt"
	a1, _ := fetch(t, attacks)
	r1, _ := fetch(t, regions)
	doc := strings.Replace(tileAttacks, `"killed":183`, `"killed":184`, 1)
	if _, err := store.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "attacks"}, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	a2, body := fetch(t, attacks)
	r2, _ := fetch(t, regions)
	if a2.Header.Get("ETag") == a1.Header.Get("ETag") || a2.Header.Get("X-Tile-Cache") != "miss" {
		t.Errorf("attacks tile after its import: ETag %q (was %q), cache %q", a2.Header.Get("ETag"), a1.Header.Get("ETag"), a2.Header.Get("X-Tile-Cache"))
	}
	if !bytes.Contains(body, []byte("Kabul")) {
		t.Error("new attacks tile lacks its features")
	}
	if r2.Header.Get("ETag") != r1.Header.Get("ETag") || r2.Header.Get("X-Tile-Cache") != "hit" {
		t.Errorf("regions tile after an attacks import: ETag %q (was %q), cache %q", r2.Header.Get("ETag"), r1.Header.Get("ETag"), r2.Header.Get("X-Tile-Cache"))
	}
	if res, _ := fetch(t, attacks, "If-None-Match", a1.Header.Get("ETag")); res.StatusCode != 200 {
		t.Errorf("the old ETag still answers %d", res.StatusCode)
	}
}

func TestTileCacheOff(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{CacheBytes: -1})
	url := srv.URL + "/tiles/attacks/0/0/0.mvt"
	fetch(t, url)
	res, plain := fetch(t, url)
	if res.Header.Get("X-Tile-Cache") != "miss" {
		t.Errorf("cache off, second request: %q", res.Header.Get("X-Tile-Cache"))
	}
	if res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a client that takes no gzip got %q", res.Header.Get("Content-Encoding"))
	}
	// Without a cache a tile is still gzipped for a client that takes it.
	res, gz := fetch(t, url, "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("cache off, Accept-Encoding gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, plain) {
		t.Error("the gzipped tile is not the plain one")
	}
}

func TestTileJSON(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{})
	res, body := fetch(t, srv.URL+"/tiles/regions,attacks.json")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	var tj struct {
		TileJSON     string   `json:"tilejson"`
		Tiles        []string `json:"tiles"`
		Bounds       []float64
		Center       []float64
		MinZoom      *int `json:"minzoom"`
		MaxZoom      int  `json:"maxzoom"`
		Attribution  string
		VectorLayers []struct {
			ID     string
			Fields map[string]string
		} `json:"vector_layers"`
		Thinning map[string]any `json:"khorasan:thinning"`
	}
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != srv.URL+"/tiles/attacks,regions/{z}/{x}/{y}.mvt" ||
		len(tj.Bounds) != 4 || len(tj.Center) != 3 || tj.MinZoom == nil || tj.MaxZoom != 14 {
		t.Fatalf("TileJSON %s", body)
	}
	if len(tj.VectorLayers) != 2 || tj.VectorLayers[0].Fields["killed"] != "Number" || tj.VectorLayers[0].Fields["id"] != "String" {
		t.Errorf("vector_layers %+v", tj.VectorLayers)
	}
	if tj.Thinning == nil || !strings.Contains(string(body), "most killed first") {
		t.Errorf("thinning not described: %s", body)
	}
	if !strings.Contains(tj.Attribution, "credit attacks") || !strings.Contains(tj.Attribution, "credit regions") {
		t.Errorf("attribution %q", tj.Attribution)
	}
}

func TestPageConfig(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{})
	_, body := fetch(t, srv.URL+"/config.json")
	if !strings.Contains(string(body), `"offline":true`) || !strings.Contains(string(body), "tiles/basemap/{z}/{x}/{y}{r}.png") {
		t.Errorf("offline config: %s", body)
	}
	srv, _ = newTileServer(t, TilesConfig{BasemapURL: "https://tiles.example/{z}/{x}/{y}.png", BasemapAttribution: "© example"})
	_, body = fetch(t, srv.URL+"/config.json")
	if !strings.Contains(string(body), `"url":"https://tiles.example/{z}/{x}/{y}.png"`) || !strings.Contains(string(body), `"offline":false`) {
		t.Errorf("online config: %s", body)
	}
}

func FuzzTilePath(f *testing.F) {
	for _, s := range [][4]string{
		{"attacks", "0", "0", "0.mvt"}, {"basemap", "10", "700", "400@2x.png"}, {"a,b,a", "3", "1", "2.mvt"},
		{"attacks", "-1", "0", "0.mvt"}, {"x", "1", "2", "3.pbf"}, {",", "1", "1", "1.mvt"}, {"basemap", "0", "0", "@2x.png"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, layers, z, x, file string) {
		req, err := parseTilePath(layers, z, x, file)
		if err != nil {
			var pe *ParamError
			var se *statusError
			if !errorsAs(err, &pe) && !errorsAs(err, &se) {
				t.Fatalf("error %T %v is neither a ParamError nor a statusError", err, err)
			}
			return
		}
		max := 14
		if req.format == "png" {
			max = 10
		}
		if req.z < 0 || req.z > max || req.x < 0 || req.x >= 1<<req.z || req.y < 0 || req.y >= 1<<req.z {
			t.Fatalf("accepted %+v", req)
		}
		if len(req.layers) == 0 || len(req.layers) > maxTileLayers || (req.scale != 1 && req.scale != 2) {
			t.Fatalf("accepted %+v", req)
		}
	})
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestBasemapTile(t *testing.T) {
	srv, _ := newTileServer(t, TilesConfig{})
	for _, c := range []struct {
		path string
		size int
	}{{"/tiles/basemap/4/11/6.png", 256}, {"/tiles/basemap/4/11/6@2x.png", 512}, {"/tiles/basemap/4/11/6.png?cities=off", 256}} {
		res, body := fetch(t, srv.URL+c.path, "Accept-Encoding", "gzip")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: status %d, type %q, encoding %q: %s", c.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"), body)
		}
		img, err := png.Decode(bytes.NewReader(body))
		if err != nil || img.Bounds().Dx() != c.size {
			t.Fatalf("%s: %v, %v", c.path, img.Bounds(), err)
		}
		res2, _ := fetch(t, srv.URL+c.path, "If-None-Match", res.Header.Get("ETag"))
		if res2.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation answered %d", c.path, res2.StatusCode)
		}
	}
	if res, _ := fetch(t, srv.URL+"/tiles/basemap/4/11/6.png?cities=maybe"); res.StatusCode != 400 {
		t.Errorf("cities=maybe: %d", res.StatusCode)
	}
}

func TestBasemapTileLang(t *testing.T) {
	srv, _ := newRenderServer(t, Config{Dataset: defaultDataset(t), BasemapDetail: data.Basemap()})
	const path = "/tiles/basemap/5/21/12.png" // Afghanistan
	enRes, en := fetch(t, srv.URL+path)
	ruRes, ru := fetch(t, srv.URL+path+"?lang=ru")
	if enRes.StatusCode != 200 || ruRes.StatusCode != 200 {
		t.Fatalf("status en %d, ru %d: %s", enRes.StatusCode, ruRes.StatusCode, ru)
	}
	if bytes.Equal(en, ru) {
		t.Error("the Russian tile is the English one")
	}
	if enRes.Header.Get("ETag") == ruRes.Header.Get("ETag") {
		t.Error("the Russian and English tiles share an ETag")
	}
	if res, body := fetch(t, srv.URL+path+"?lang=en"); res.Header.Get("ETag") != enRes.Header.Get("ETag") || !bytes.Equal(body, en) {
		t.Error("lang=en is not the default tile")
	}
	// The cache holds each language apart.
	if res, body := fetch(t, srv.URL+path+"?lang=ru"); !bytes.Equal(body, ru) || res.Header.Get("ETag") != ruRes.Header.Get("ETag") {
		t.Error("a second Russian tile differs from the first")
	}
	if res, _ := fetch(t, srv.URL+path+"?lang=ru", "If-None-Match", enRes.Header.Get("ETag")); res.StatusCode != 200 {
		t.Errorf("the English ETag revalidates the Russian tile: %d", res.StatusCode)
	}
	// Persian: the countries in Arabic script, shaped.
	if res, fa := fetch(t, srv.URL+path+"?lang=fa"); res.StatusCode != 200 || bytes.Equal(fa, en) || bytes.Equal(fa, ru) {
		t.Errorf("lang=fa: status %d, or the English or Russian tile", res.StatusCode)
	}
	for _, q := range []string{"lang=de", "lang=RU", "lang=", "lang=ru&lang=en"} {
		res, body := fetch(t, srv.URL+path+"?"+q)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, res.StatusCode)
			continue
		}
		if p := problemOf(t, res, body); len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != "lang" {
			t.Errorf("%s: invalid-params %+v, want lang", q, p.InvalidParams)
		}
	}
}
