package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
)

const (
	aliceToken = "alice-0123456789abcdef"
	bobToken   = "bob-fedcba9876543210xx"
)

const placesCSV = "id,lat,lon,name,killed\nkabul,34.53,69.17,Kabul,5\nherat,34.35,62.2,Herat,0\n"

// newEditServer serves a store with a "places" layer, with writes on
// when tokens are given, and keeps the server's log.
func newEditServer(t *testing.T, tokens string, maxBody int64) (*httptest.Server, *gpkg.Store, *syncBuffer) {
	t.Helper()
	h, store, logs := newEditHandler(t, tokens, maxBody, Config{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, store, logs
}

// newEditHandler is newEditServer's handler, with more of the config
// given (for servers with timeouts of their own).
func newEditHandler(t *testing.T, tokens string, maxBody int64, cfg Config) (*Server, *gpkg.Store, *syncBuffer) {
	t.Helper()
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "test.gpkg"), gpkg.WithDataset(defaultDataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	src := ingest.Source{Name: "places.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(placesCSV)), nil }}
	if _, err := store.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "places"}, Mode: ingest.ModeCreate, Actor: "setup"}); err != nil {
		t.Fatal(err)
	}
	cfg.Static = fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	cfg.Writes.MaxBodyBytes = maxBody
	cfg.Writes.TempDir = t.TempDir()
	if tokens != "" {
		tk, err := ParseTokens(strings.NewReader(tokens))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Writes.Tokens = tk
	}
	logs := &syncBuffer{}
	return New(cfg, store, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), store, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func send(t *testing.T, method, url, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

const newFeature = `{"type":"Feature","geometry":{"type":"Point","coordinates":[66.97,30.18]},"properties":{"name":"Quetta","killed":7}}`

func featuresOf(t *testing.T, store *gpkg.Store, layer string) map[string]geo.Feature {
	t.Helper()
	out := map[string]geo.Feature{}
	if err := store.Features(context.Background(), layer, geo.Query{}, func(f geo.Feature) error { out[f.ID] = f; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEditAFeature(t *testing.T) {
	srv, store, _ := newEditServer(t, "alice:"+aliceToken+"\nbob:"+bobToken, 0)
	ctx := context.Background()
	items := srv.URL + "/api/collections/places/items"
	auth := with(bearer(aliceToken), "Content-Type", "application/geo+json")
	before, _ := store.Layer(ctx, "places")

	res := send(t, "POST", items, newFeature, auth)
	if res.status != 201 || res.header.Get("ETag") == "" || !strings.Contains(res.header.Get("Location"), "/api/collections/places/items/") {
		t.Fatalf("POST: %d %v %s", res.status, res.header, res.body)
	}
	loc := res.header.Get("Location")
	created := res.header.Get("ETag")
	// The GET of the feature has the same ETag, and 304s on it.
	got := get(t, loc, nil)
	if got.status != 200 || got.header.Get("ETag") != created {
		t.Errorf("GET: %d ETag %q, want %q", got.status, got.header.Get("ETag"), created)
	}
	if r := get(t, loc, map[string]string{"If-None-Match": created}); r.status != 304 {
		t.Errorf("If-None-Match: %d", r.status)
	}
	if r := get(t, loc, map[string]string{"Accept-Encoding": "gzip"}); r.header.Get("ETag") != strings.TrimSuffix(created, `"`)+`-gzip"` {
		t.Errorf("gzip ETag %q", r.header.Get("ETag"))
	}
	// PATCH with the ETag: 200 and a new ETag; with the old one again: 412.
	patch := with(bearer(bobToken), "Content-Type", mergePatchType, "If-Match", created)
	res = send(t, "PATCH", loc, `{"properties":{"killed":9,"name":null}}`, patch)
	if res.status != 200 || res.header.Get("ETag") == created {
		t.Fatalf("PATCH: %d %s", res.status, res.body)
	}
	var f map[string]any
	json.Unmarshal(res.body, &f)
	if p := f["properties"].(map[string]any); p["killed"] != 9.0 || p["name"] != nil {
		t.Errorf("patched %v", p)
	}
	patched := res.header.Get("ETag")
	if r := send(t, "PATCH", loc, `{"properties":{"killed":10}}`, patch); r.status != 412 {
		t.Errorf("stale PATCH: %d %s", r.status, r.body)
	}
	// The gzip form of the tag names the same state.
	gz := strings.TrimSuffix(patched, `"`) + `-gzip"`
	res = send(t, "PUT", loc, `{"type":"Feature","geometry":{"type":"Point","coordinates":[67,30]},"properties":{"name":"Quetta city"}}`,
		with(auth, "If-Match", gz))
	if res.status != 200 {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	json.Unmarshal(res.body, &f)
	if p := f["properties"].(map[string]any); p["killed"] != nil || p["name"] != "Quetta city" {
		t.Errorf("PUT replaces all properties: %v", p)
	}
	// Bad writes are 400s that say why.
	for name, c := range map[string]struct{ method, body string }{
		"unknown property":  {"PATCH", `{"properties":{"colour":"red"}}`},
		"latitude 200":      {"PATCH", `{"geometry":{"type":"Point","coordinates":[67,200]}}`},
		"polygon in points": {"PUT", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{}}`},
		"not JSON":          {"PUT", `{"type":`},
		"wrong type":        {"PATCH", `{"properties":{"killed":"many"}}`},
	} {
		if r := send(t, c.method, loc, c.body, auth); r.status != 400 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := send(t, "DELETE", loc, "", with(auth, "If-Match", created)); r.status != 412 {
		t.Errorf("stale DELETE: %d", r.status)
	}
	if r := send(t, "DELETE", loc, "", auth); r.status != 204 {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if r := get(t, loc, nil); r.status != 404 {
		t.Errorf("GET after DELETE: %d", r.status)
	}
	if r := send(t, "DELETE", loc, "", auth); r.status != 404 {
		t.Errorf("DELETE again: %d", r.status)
	}
	// The layer's version moved on, so caches keyed on it see the edits.
	after, _ := store.Layer(ctx, "places")
	if after.Changed == before.Changed {
		t.Error("last_change did not move")
	}
	// The history, over the API too.
	h := send(t, "GET", srv.URL+"/api/history?layer=places", "", bearer(aliceToken))
	var hist struct{ Entries []geo.AuditEntry }
	if err := json.Unmarshal(h.body, &hist); err != nil || len(hist.Entries) != 5 {
		t.Fatalf("history: %d %s", h.status, h.body)
	}
	var actions []string
	for _, e := range hist.Entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if got := strings.Join(actions, ", "); got != "alice delete, alice update, bob update, alice create, setup import" {
		t.Errorf("history %q", got)
	}
	if r := send(t, "GET", srv.URL+"/api/history", "", nil); r.status != 401 {
		t.Errorf("history without a token: %d", r.status)
	}
}

// An edit moves the layer's version on, so its cached tiles and exports
// are made again.
func TestEditsInvalidateCaches(t *testing.T) {
	srv, _, _ := newEditServer(t, "alice:"+aliceToken, 0)
	urls := []string{srv.URL + "/tiles/places/0/0/0.mvt", srv.URL + "/api/collections/places/export?f=csv"}
	var before []string
	for _, u := range urls {
		r := get(t, u, nil)
		if r.status != 200 || r.header.Get("ETag") == "" {
			t.Fatalf("%s: %d", u, r.status)
		}
		before = append(before, r.header.Get("ETag"))
	}
	for i := range 2 { // twice within a millisecond or so: each is a new version
		res := send(t, "PATCH", srv.URL+"/api/collections/places/items/kabul", fmt.Sprintf(`{"properties":{"killed":%d}}`, 50+i),
			with(bearer(aliceToken), "Content-Type", mergePatchType))
		if res.status != 200 {
			t.Fatalf("PATCH: %d %s", res.status, res.body)
		}
		for j, u := range urls {
			r := get(t, u, nil)
			if r.header.Get("ETag") == before[j] {
				t.Errorf("%s: the same ETag after an edit", u)
			}
			before[j] = r.header.Get("ETag")
		}
	}
}

// Merge patches that cannot apply to a feature are 400s that say why,
// and leave the feature as it was; the RFC 7396 nulls that can apply do.
func TestMergePatch(t *testing.T) {
	srv, store, _ := newEditServer(t, "alice:"+aliceToken, 0)
	kabul := srv.URL + "/api/collections/places/items/kabul"
	auth := with(bearer(aliceToken), "Content-Type", mergePatchType)
	before := featuresOf(t, store, "places")["kabul"]
	for name, c := range map[string]struct{ body, says string }{
		// These two were answered 200 with nothing changed.
		"null patch answered 200":  {`null`, "null"},
		"type change answered 200": {`{"type":"FeatureCollection"}`, `"type"`},
		"type null":                {`{"type":null}`, "always"},
		"type of another case":     {`{"type":"feature","properties":{"killed":1}}`, "always"},
		"array":                    {`[{"op":"replace","path":"/properties/killed","value":1}]`, "JSON object"},
		"string":                   {`"Feature"`, "JSON object"},
		"id change":                {`{"id":"herat"}`, "id"},
		"properties not an object": {`{"properties":5}`, "properties"},
		"unknown member":           {`{"colour":"red"}`, "colour"},
	} {
		r := send(t, "PATCH", kabul, c.body, auth)
		if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(r.body), c.says) {
			t.Errorf("%s: %d %s, want a 400 problem saying %s", name, r.status, r.body, c.says)
		}
	}
	if after := featuresOf(t, store, "places")["kabul"]; fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused patches changed the feature: %v, was %v", after, before)
	}
	// "type":"Feature" changes nothing about the type and is fine; a null
	// member removes one property; "properties": null removes them all.
	if r := send(t, "PATCH", kabul, `{"type":"Feature","properties":{"killed":6}}`, auth); r.status != 200 || !strings.Contains(string(r.body), `"killed":6`) {
		t.Errorf("type Feature: %d %s", r.status, r.body)
	}
	if r := send(t, "PATCH", kabul, `{"properties":{"name":null}}`, auth); r.status != 200 {
		t.Errorf("one null: %d %s", r.status, r.body)
	}
	if p := featuresOf(t, store, "places")["kabul"].Properties; p["name"] != nil || p["killed"] != int64(6) {
		t.Errorf("after one null: %v", p)
	}
	if r := send(t, "PATCH", kabul, `{"properties":null}`, auth); r.status != 200 {
		t.Errorf("properties null: %d %s", r.status, r.body)
	}
	if p := featuresOf(t, store, "places")["kabul"].Properties; p["name"] != nil || p["killed"] != nil {
		t.Errorf("properties null left %v", p)
	}
}

// The audit log's table, and every other name the store keeps, is a 400
// naming the layer over HTTP too: in every import mode, and for single
// features (it used to be "run the import again", which never worked).
func TestWritesRefuseReservedLayers(t *testing.T) {
	srv, store, _ := newEditServer(t, "alice:"+aliceToken, 0)
	csvAuth := with(bearer(aliceToken), "Content-Type", "text/csv")
	jsonAuth := with(bearer(aliceToken), "Content-Type", "application/geo+json")
	file := "id,lat,lon,n\na,1,2,3\n"
	before, _ := store.History(context.Background(), geo.HistoryQuery{})
	for _, layer := range []string{"khorasan_audit", "gpkg_contents", "rtree_places_geom", "sqlite_master"} {
		items := srv.URL + "/api/collections/" + layer + "/items"
		cases := map[string]struct{ method, url, body string }{
			"single feature": {"POST", items, newFeature},
			"put":            {"PUT", items + "/1", newFeature},
			"patch":          {"PATCH", items + "/1", `{"properties":{"n":1}}`},
			"delete":         {"DELETE", items + "/1", ""},
		}
		for _, mode := range []string{"create", "append", "upsert", "replace"} {
			cases["mode "+mode] = struct{ method, url, body string }{"POST", items + "?mode=" + mode, file}
			cases["dry run "+mode] = struct{ method, url, body string }{"POST", items + "?dry-run&mode=" + mode, file}
		}
		for name, c := range cases {
			h := jsonAuth
			if strings.Contains(c.url, "mode=") {
				h = csvAuth
			}
			r := send(t, c.method, c.url, c.body, h)
			if r.status != 400 || !strings.Contains(string(r.body), layer) || !strings.Contains(string(r.body), "reserved") {
				t.Errorf("%s %s: %d %s", layer, name, r.status, r.body)
			}
		}
	}
	if after, _ := store.History(context.Background(), geo.HistoryQuery{}); len(after) != len(before) {
		t.Errorf("history grew from %d to %d entries", len(before), len(after))
	}
}
