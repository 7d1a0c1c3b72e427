package tiles

import (
	"encoding/json"
	"net/url"
	"regexp"
	"testing"
)

// semver is semver.org's version (MAJOR.MINOR.PATCH, optional
// pre-release and build), anchored: TileJSON 3.0.0's version and
// tilejson are semver strings.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// TestTileJSONKeepsThe300Rules: strict clients refused our version (the
// ETag, quotes and all). The document, as JSON, against TileJSON 3.0.0.
func TestTileJSONKeepsThe300Rules(t *testing.T) {
	tj := NewTileJSON(layers(t, defaultLayerNames(t)...), "https://example.org/tiles/a,b/{z}/{x}/{y}.mvt", 0)
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["tilejson"] != "3.0.0" {
		t.Errorf("tilejson %v", doc["tilejson"])
	}
	if v, ok := doc["version"].(string); ok && !semver.MatchString(v) {
		t.Errorf("version %q is not semver", v)
	}
	tiles, _ := doc["tiles"].([]any)
	if len(tiles) == 0 {
		t.Error("no tiles endpoint")
	}
	for _, u := range tiles {
		s, _ := u.(string)
		if p, err := url.Parse(s); err != nil || !p.IsAbs() {
			t.Errorf("tile URL %q is not absolute", s)
		}
	}
	zoom := func(name string, v any) float64 {
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) || f < 0 || f > 30 {
			t.Errorf("%s %v is not an integer 0..30", name, v)
		}
		return f
	}
	minz, maxz := zoom("minzoom", doc["minzoom"]), zoom("maxzoom", doc["maxzoom"])
	if minz > maxz {
		t.Errorf("minzoom %v > maxzoom %v", minz, maxz)
	}
	vls, _ := doc["vector_layers"].([]any)
	if len(vls) == 0 {
		t.Fatal("no vector_layers")
	}
	for _, v := range vls {
		vl, _ := v.(map[string]any)
		if id, _ := vl["id"].(string); id == "" {
			t.Errorf("vector layer without id: %v", vl)
		}
		fields, ok := vl["fields"].(map[string]any)
		if !ok {
			t.Errorf("vector layer %v without fields", vl["id"])
		}
		for k, f := range fields {
			if _, ok := f.(string); !ok {
				t.Errorf("field %s of %v is %v, not a string", k, vl["id"], f)
			}
		}
	}
	bounds, _ := doc["bounds"].([]any)
	if len(bounds) != 4 {
		t.Fatalf("bounds %v", doc["bounds"])
	}
	w, s, e, n := bounds[0].(float64), bounds[1].(float64), bounds[2].(float64), bounds[3].(float64)
	if w < -180 || e > 180 || s < -90 || n > 90 || w > e || s > n {
		t.Errorf("bounds %v out of range", bounds)
	}
	center, _ := doc["center"].([]any)
	if len(center) != 3 {
		t.Fatalf("center %v", doc["center"])
	}
	cx, cy, cz := center[0].(float64), center[1].(float64), center[2].(float64)
	if cx < w || cx > e || cy < s || cy > n || cz != float64(int(cz)) || cz < minz || cz > maxz {
		t.Errorf("center %v outside bounds %v or zooms %v..%v", center, bounds, minz, maxz)
	}
	for _, k := range []string{"attribution", "description", "name", "scheme"} {
		if v, ok := doc[k]; ok {
			if _, ok := v.(string); !ok {
				t.Errorf("%s is %v, not a string", k, v)
			}
		}
	}
}
