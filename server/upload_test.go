package server

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo/ingest"
)

func TestImportOverHTTP(t *testing.T) {
	srv, store, _ := newEditServer(t, "alice:"+aliceToken, 4096)
	items := srv.URL + "/api/collections/sheet/items"
	csvAuth := with(bearer(aliceToken), "Content-Type", "text/csv")
	file := "id,lat,lon,n\na,1,2,3\nb,3,4,5\n"
	res := send(t, "POST", items+"?mode=create&dry-run", file, csvAuth)
	if res.status != 200 || !strings.Contains(string(res.body), `"inserted":2`) {
		t.Errorf("dry run: %d %s", res.status, res.body)
	}
	if _, err := store.Layer(context.Background(), "sheet"); err == nil {
		t.Error("the dry run made the layer")
	}
	res = send(t, "POST", items+"?mode=create&title=Sheet", file, csvAuth)
	if res.status != 201 || !strings.Contains(string(res.body), `"inserted":2`) {
		t.Errorf("create: %d %s", res.status, res.body)
	}
	// The 201 of a new layer is the report as JSON, as the 200 is.
	if ct, loc := res.header.Get("Content-Type"), res.header.Get("Location"); ct != "application/json" || !strings.HasSuffix(loc, "/api/collections/sheet") {
		t.Errorf("create: Content-Type %q, Location %q", ct, loc)
	}
	// Refused rows: 400 with the report, line by line, and nothing written.
	res = send(t, "POST", items+"?mode=upsert", "id,lat,lon,n\na,1,2,4\nc,95,4,5\nd,3,4,x\n", csvAuth)
	if res.status != 400 {
		t.Fatalf("bad rows: %d %s", res.status, res.body)
	}
	var p struct {
		Report ingest.Report
	}
	json.Unmarshal(res.body, &p)
	if len(p.Report.Errors) != 2 || p.Report.Errors[0].Line != 3 || p.Report.Errors[1].Line != 4 {
		t.Errorf("report %+v", p.Report)
	}
	if f := featuresOf(t, store, "sheet"); f["a"].Properties["n"] != int64(3) {
		t.Errorf("a refused import changed a: %v", f["a"])
	}
	// A body over the limit is 413, and a type it does not read 415.
	big := "id,lat,lon,n\n" + strings.Repeat("a,1,2,3\n", 1000)
	if r := send(t, "POST", items+"?mode=append", big, csvAuth); r.status != 413 {
		t.Errorf("big body: %d %s", r.status, r.body)
	}
	if r := send(t, "POST", items, "x", with(bearer(aliceToken), "Content-Type", "image/png")); r.status != 415 {
		t.Errorf("image/png: %d", r.status)
	}
	if r := send(t, "POST", items+"?mode=sideways", file, csvAuth); r.status != 400 {
		t.Errorf("bad mode: %d", r.status)
	}
	if r := send(t, "POST", srv.URL+"/api/collections/sheet/items?mode=create", file, csvAuth); r.status != 409 {
		t.Errorf("create over a layer: %d %s", r.status, r.body)
	}
	// Exports of the whole layer.
	if r := get(t, srv.URL+"/api/collections/sheet/export?f=gpkg", nil); r.status != 200 || !bytes.HasPrefix(r.body, []byte("SQLite format 3\x00")) {
		t.Errorf("gpkg export: %d %.40q", r.status, r.body)
	}
	if r := get(t, srv.URL+"/api/collections/sheet/export?f=csv", nil); r.status != 200 || !strings.HasPrefix(string(r.body), "id,longitude,latitude,n\n") {
		t.Errorf("csv export: %d %s", r.status, r.body)
	}
	if r := get(t, srv.URL+"/api/collections/sheet/export?f=kml", nil); r.status != 200 || !strings.Contains(string(r.body), "<Placemark>") {
		t.Errorf("kml export: %d %s", r.status, r.body)
	}
	if r := get(t, srv.URL+"/api/collections/sheet/export?f=shp", nil); r.status != 400 {
		t.Errorf("shp export: %d", r.status)
	}
	// f= empty exported GeoJSON, where every other endpoint refuses it.
	if r := get(t, srv.URL+"/api/collections/sheet/export?f=", nil); r.status != 400 || !strings.Contains(string(r.body), `"name":"f"`) {
		t.Errorf("empty f export: %d %s", r.status, r.body)
	}
	if r := send(t, "GET", srv.URL+"/api/backup", "", bearer(aliceToken)); r.status != 200 || !bytes.HasPrefix(r.body, []byte("SQLite format 3\x00")) {
		t.Errorf("backup: %d %.40q", r.status, r.body)
	}
}
