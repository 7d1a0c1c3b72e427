package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
)

const attacksJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"2015-04-18-jalalabad-bank","geometry":{"type":"Point","coordinates":[70.45153,34.42647]},"properties":{"date":"2015-04-18","city":"Jalalabad","killed":33,"wounded":100,"source_url":"https://a.example/1?x=1&y=2 | https://b.example/2"}},
{"type":"Feature","id":"2021-08-26-kabul-airport","geometry":{"type":"Point","coordinates":[69.2125,34.5627]},"properties":{"date":"2021-08-26","city":"Kabul","killed":183,"wounded":null,"source_url":"https://c.example/3"}},
{"type":"Feature","id":"2024-01-03-kerman","geometry":{"type":"Point","coordinates":[57.0786,30.2832]},"properties":{"date":"2024-01-03","city":"Kerman","killed":95,"wounded":284,"source_url":"https://d.example/4"}}
]}`

const regionsJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[60,30],[70,30],[70,38],[60,38],[60,30]]]},"properties":{"name":"box","approximation":true}}
]}`

// newTestServer serves a real GeoPackage in a temporary directory.
func newTestServer(t *testing.T, cfgs ...Config) (*httptest.Server, *gpkg.Store) {
	t.Helper()
	s, store := newTestHandler(t, cfgs...)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, store
}

// defaultDataset is the default data's description (data/profiles.json),
// which khorasan serve gives the store and the server.
func defaultDataset(tb testing.TB) *geo.Dataset {
	tb.Helper()
	ds, err := data.Dataset()
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

// newTestHandler is newTestServer's handler, for tests that call it in
// process (with httptest.NewRecorder, so every request has finished when
// ServeHTTP returns).
func newTestHandler(t *testing.T, cfgs ...Config) (*Server, *gpkg.Store) {
	t.Helper()
	ctx := context.Background()
	cfg := Config{}
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	if cfg.Dataset == nil {
		cfg.Dataset = defaultDataset(t)
	}
	if cfg.BasemapDetail == nil {
		cfg.BasemapDetail = data.Basemap() // as khorasan serve draws it
	}
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "test.gpkg"), gpkg.WithDataset(cfg.Dataset))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, layer := range []struct{ name, doc string }{{"attacks", attacksJSON}, {"regions", regionsJSON}} {
		name, doc := layer.name, layer.doc
		info := geo.LayerInfo{Name: name, Title: strings.ToUpper(name[:1]) + name[1:], Description: "test layer " + name, Attribution: "credit for " + name}
		if _, err := store.ImportGeoJSON(ctx, info, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	page := fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>Khorasan</title>")},
		"app.js":     {Data: []byte("console.log('map')")},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Static = page
	return New(cfg, store, log), store
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// Ask for identity unless the case asks otherwise, so bodies are plain.
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, body}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return v
}

func TestRoutes(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		name        string
		path        string
		status      int
		contentType string
		check       func(t *testing.T, doc map[string]any)
	}{
		{"health", "/healthz", 200, "application/json", nil},
		{"landing page links to the data", "/api/", 200, "application/json", func(t *testing.T, doc map[string]any) {
			if !strings.Contains(string(mustJSON(doc["links"])), `"rel":"data"`) {
				t.Errorf("no data link: %v", doc["links"])
			}
		}},
		{"collections list every layer with its extent", "/api/collections", 200, "application/json", func(t *testing.T, doc map[string]any) {
			cs := doc["collections"].([]any)
			if len(cs) != 2 {
				t.Fatalf("got %d collections", len(cs))
			}
			c := cs[0].(map[string]any)
			if c["id"] != "attacks" && c["id"] != "regions" || c["title"] == "" || c["description"] == "" {
				t.Errorf("collection: %v", c)
			}
			bbox := c["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
			if len(bbox) != 4 {
				t.Errorf("bbox %v", bbox)
			}
		}},
		{"one collection", "/api/collections/attacks", 200, "application/json", func(t *testing.T, doc map[string]any) {
			bbox := doc["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
			want := []any{57.0786, 30.2832, 70.45153, 34.5627}
			if string(mustJSON(bbox)) != string(mustJSON(want)) {
				t.Errorf("bbox = %v, want %v", bbox, want)
			}
			if doc["attribution"] != "credit for attacks" {
				t.Errorf("attribution %v", doc["attribution"])
			}
		}},
		{"items", "/api/collections/attacks/items", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			if doc["type"] != "FeatureCollection" || doc["numberMatched"] != 3.0 || doc["numberReturned"] != 3.0 {
				t.Errorf("doc: %v", doc)
			}
			f := doc["features"].([]any)[0].(map[string]any)
			if f["id"] != "2015-04-18-jalalabad-bank" {
				t.Errorf("first id %v", f["id"])
			}
			p := f["properties"].(map[string]any)
			if p["killed"] != 33.0 || p["date"] != "2015-04-18" || p["source_url"] != "https://a.example/1?x=1&y=2 | https://b.example/2" {
				t.Errorf("properties %v", p)
			}
		}},
		{"limit pages with a next link", "/api/collections/attacks/items?limit=2", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			if doc["numberReturned"] != 2.0 || doc["numberMatched"] != 3.0 {
				t.Errorf("doc: %v", doc)
			}
			if !strings.Contains(string(mustJSON(doc["links"])), `"rel":"next"`) || !strings.Contains(string(mustJSON(doc["links"])), "offset=2") {
				t.Errorf("links: %v", doc["links"])
			}
		}},
		{"last page has no next link", "/api/collections/attacks/items?limit=2&offset=2", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			links := string(mustJSON(doc["links"]))
			if doc["numberReturned"] != 1.0 || strings.Contains(links, `"rel":"next"`) || !strings.Contains(links, `"rel":"prev"`) {
				t.Errorf("doc: %v", doc)
			}
		}},
		{"limit over the maximum is clamped", "/api/collections/attacks/items?limit=20000", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			if !strings.Contains(string(mustJSON(doc["links"])), "limit=10000") {
				t.Errorf("links: %v", doc["links"])
			}
		}},
		{"bbox selects through the R-tree", "/api/collections/attacks/items?bbox=68,33,71,35", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			if doc["numberMatched"] != 2.0 || len(doc["features"].([]any)) != 2 {
				t.Errorf("doc: %v", doc)
			}
		}},
		{"polygon found by a bbox inside it", "/api/collections/regions/items?bbox=65,34,66,35", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			f := doc["features"].([]any)[0].(map[string]any)
			if f["id"] != 1.0 || f["properties"].(map[string]any)["approximation"] != true {
				t.Errorf("feature %v", f)
			}
		}},
		{"one feature", "/api/collections/attacks/items/2024-01-03-kerman", 200, "application/geo+json", func(t *testing.T, doc map[string]any) {
			if doc["id"] != "2024-01-03-kerman" || doc["properties"].(map[string]any)["wounded"] != 284.0 {
				t.Errorf("doc %v", doc)
			}
		}},
		{"feature by fid", "/api/collections/regions/items/1", 200, "application/geo+json", nil},
		{"the page", "/", 200, "text/html; charset=utf-8", nil},
		{"a script of the page", "/app.js", 200, "text/javascript; charset=utf-8", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, srv.URL+c.path, nil)
			if res.status != c.status || res.header.Get("Content-Type") != c.contentType {
				t.Fatalf("got %d %q, want %d %q\n%s", res.status, res.header.Get("Content-Type"), c.status, c.contentType, res.body)
			}
			if c.check != nil {
				c.check(t, decode(t, res.body))
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		name   string
		path   string
		status int
		param  string // the parameter the problem must name
	}{
		{"bbox not numbers", "/api/collections/attacks/items?bbox=abc", 400, "bbox"},
		{"bbox with 3 numbers", "/api/collections/attacks/items?bbox=1,2,3", 400, "bbox"},
		{"bbox min longitude over max", "/api/collections/attacks/items?bbox=70,30,60,35", 400, "bbox"},
		{"bbox min latitude over max", "/api/collections/attacks/items?bbox=60,35,70,30", 400, "bbox"},
		{"bbox latitude out of range", "/api/collections/attacks/items?bbox=60,-95,70,30", 400, "bbox"},
		{"bbox NaN", "/api/collections/attacks/items?bbox=NaN,1,2,3", 400, "bbox"},
		{"negative limit", "/api/collections/attacks/items?limit=-1", 400, "limit"},
		{"zero limit", "/api/collections/attacks/items?limit=0", 400, "limit"},
		{"limit not a number", "/api/collections/attacks/items?limit=ten", 400, "limit"},
		{"negative offset", "/api/collections/attacks/items?offset=-5", 400, "offset"},
		{"unknown parameter", "/api/collections/attacks/items?colour=red", 400, "colour"},
		{"repeated parameter", "/api/collections/attacks/items?limit=1&limit=2", 400, "limit"},
		{"unknown format", "/api/collections/attacks/items?f=shapefile", 400, "f"},
		{"unknown collection", "/api/collections/nope", 404, ""},
		{"items of an unknown collection", "/api/collections/nope/items", 404, ""},
		{"unknown feature", "/api/collections/attacks/items/nope", 404, ""},
		{"unknown fid", "/api/collections/regions/items/99", 404, ""},
		{"fid that is not a number", "/api/collections/regions/items/abc", 404, ""},
		{"unknown page", "/nope.html", 404, ""},
		{"unknown api path", "/api/nope", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, srv.URL+c.path, nil)
			if res.status != c.status {
				t.Fatalf("status %d, want %d\n%s", res.status, c.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			doc := decode(t, res.body)
			if doc["status"] != float64(c.status) || doc["title"] == "" || doc["detail"] == "" {
				t.Errorf("problem %v", doc)
			}
			if c.param != "" && !strings.Contains(doc["detail"].(string), c.param) {
				t.Errorf("detail %q does not name %q", doc["detail"], c.param)
			}
		})
	}
	// A 405 says, in Allow, what the path does take.
	for _, c := range []struct{ name, method, path, allow string }{
		{"POST on the collections", "POST", "/api/collections", "GET, HEAD, OPTIONS"},
		{"PUT on a layer's items", "PUT", "/api/collections/attacks/items", "GET, HEAD, POST, OPTIONS"},
		{"POST on a feature", "POST", "/api/collections/attacks/items/x", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
		{"DELETE on the health check", "DELETE", "/healthz", "GET, HEAD, OPTIONS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 405 || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("got %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			if got := res.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}

func TestGzip(t *testing.T) {
	srv, _ := newTestServer(t)
	res := get(t, srv.URL+"/api/collections/attacks/items", map[string]string{"Accept-Encoding": "gzip"})
	if res.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if decode(t, plain)["numberReturned"] != 3.0 {
		t.Errorf("body %s", plain)
	}
	if res := get(t, srv.URL+"/api/collections/attacks/items", map[string]string{"Accept-Encoding": "gzip;q=0"}); res.header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still compressed")
	}
}

// Forwarding headers used to be trusted from any client, so anyone could
// put a host of theirs into links served with Cache-Control: public.
// They count only from the proxies Config.TrustedProxies names, and
// --base-url wins over everything.
func TestLinksFollowOnlyTrustedProxies(t *testing.T) {
	loopback, _ := ParseTrustedProxies("127.0.0.0/8, ::1")
	elsewhere, _ := ParseTrustedProxies("10.0.0.0/8")
	trusted, _ := newTestServer(t, Config{TrustedProxies: loopback})
	untrusted, _ := newTestServer(t, Config{TrustedProxies: elsewhere})
	none, _ := newTestServer(t)
	based, _ := newTestServer(t, Config{TrustedProxies: loopback, BaseURL: "https://maps.example.com/khorasan/"})
	xfwd := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "maps.example.org"}
	cases := map[string]struct {
		srv    *httptest.Server
		header map[string]string
		want   string // "" is the server's own URL
	}{
		"X-Forwarded from a trusted proxy": {trusted, xfwd, "https://maps.example.org"},
		"Forwarded from a trusted proxy":   {trusted, map[string]string{"Forwarded": `for=1.2.3.4;proto=https;host="maps.example.net"`}, "https://maps.example.net"},
		// The client sent its own element; the proxy appended the one about
		// the client, which is the one that counts.
		"Forwarded element the client sent": {trusted, map[string]string{"Forwarded": `host=evil.example;proto=https, for=1.2.3.4;host=maps.example.net;proto=https`}, "https://maps.example.net"},
		// Two trusted proxies: the element about the outer one's client counts.
		"Forwarded through two proxies":          {trusted, map[string]string{"Forwarded": `for=1.2.3.4;host=maps.example.net;proto=https, for=127.0.0.2;host=inner.local`}, "https://maps.example.net"},
		"X-Forwarded-Host the client sent first": {trusted, map[string]string{"X-Forwarded-Host": "evil.example, maps.example.org"}, "http://maps.example.org"},
		"X-Forwarded-Host with a path":           {trusted, map[string]string{"X-Forwarded-Host": "evil.example/x?"}, ""},
		"X-Forwarded-Host with user info":        {trusted, map[string]string{"X-Forwarded-Host": "maps.example.org@evil.example"}, ""},
		"X-Forwarded-Proto not http":             {trusted, map[string]string{"X-Forwarded-Proto": "javascript"}, ""},
		"X-Forwarded from an untrusted peer":     {untrusted, xfwd, ""},
		"Forwarded from an untrusted peer":       {untrusted, map[string]string{"Forwarded": `proto=https;host=evil.example`}, ""},
		"X-Forwarded with no proxies trusted":    {none, xfwd, ""},
		"Forwarded with no proxies trusted":      {none, map[string]string{"Forwarded": `proto=https;host=evil.example`}, ""},
		"direct":                                 {trusted, nil, ""},
		"base URL wins":                          {based, xfwd, "https://maps.example.com/khorasan"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			want := c.want
			if want == "" {
				want = c.srv.URL
			}
			want += "/api/collections?f=json"
			res := get(t, c.srv.URL+"/api/collections", c.header)
			doc := decode(t, res.body)
			if got := doc["links"].([]any)[0].(map[string]any)["href"]; got != want {
				t.Errorf("self link %v, want %v", got, want)
			}
			// A cached page made for one host is never served for another.
			if again := decode(t, get(t, c.srv.URL+"/api/collections/attacks/items", nil).body); c.want != "" && c.srv != based && strings.Contains(fmt.Sprint(again["links"]), c.want) {
				t.Errorf("a request without the headers got links to %s", c.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8,192.168.1.7 ::1 fd00::/8,")
	if err != nil || fmt.Sprint(got) != "[10.0.0.0/8 192.168.1.7/32 ::1/128 fd00::/8]" {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0", "1.2.3.4/8/8"} {
		if _, err := ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if got, err := ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	for addr, want := range map[string]bool{"10.1.2.3:5": true, "[::ffff:10.1.2.3]:80": true, "11.0.0.1:5": false, "_hidden": false, "unknown": false, "": false} {
		if trusts(nil, addr) {
			t.Errorf("no proxies trust %q", addr)
		}
		tp, _ := ParseTrustedProxies("10.0.0.0/8")
		if trusts(tp, addr) != want {
			t.Errorf("trusts(10.0.0.0/8, %q) = %v", addr, !want)
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestTimeoutIsAProblem(t *testing.T) {
	srv, _ := newTestServer(t, Config{RequestTimeout: time.Nanosecond})
	res := get(t, srv.URL+"/api/collections/attacks/items", nil)
	if res.status != http.StatusServiceUnavailable || res.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("got %d %q: %s", res.status, res.header.Get("Content-Type"), res.body)
	}
}
