package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// testDataset describes the test server's attacks layer and leaves its
// regions layer out.
const testDataset = `{
  "magnitude": "killed",
  "layers": {
    "attacks": {
      "kind": "events", "noun": "an attack", "geometry": "Point", "time": "date",
      "magnitude": "killed", "counts": ["killed", "wounded"],
      "categories": [{"property": "attribution", "values": ["claimed", "attributed", "disputed"]}],
      "label": "name"
    },
    "absent": {"kind": "places", "label": "name"}
  }
}`

// TestProfile: /api/collections/{id}/profile answers the layer's
// profile as the dataset describes it, generic for a layer it leaves
// out, and errors as the other collection routes do.
func TestProfile(t *testing.T) {
	ds, err := geo.ParseDataset([]byte(testDataset))
	if err != nil {
		t.Fatal(err)
	}
	described, _ := newTestServer(t, Config{Dataset: ds})
	undescribed, _ := newTestServer(t, Config{Dataset: &geo.Dataset{}})
	attacks := `{"kind":"events","noun":"an attack","geometry":"Point","time":"date","magnitude":"killed","counts":["killed","wounded"],` +
		`"categories":[{"property":"attribution","values":["claimed","attributed","disputed"]}],"label":"name"}`
	cases := []struct {
		name   string
		base   string
		path   string
		header map[string]string
		status int
		body   string // the whole body for a 200, a part of the problem's otherwise
	}{
		{name: "a described layer is its profile", base: described.URL, path: "/api/collections/attacks/profile", status: 200, body: attacks},
		{name: "f=json is the same", base: described.URL, path: "/api/collections/attacks/profile?f=json", status: 200, body: attacks},
		{name: "Accept: text/html still gets JSON", base: described.URL, path: "/api/collections/attacks/profile", header: map[string]string{"Accept": "text/html"}, status: 200, body: attacks},
		{name: "a layer the dataset leaves out is generic", base: described.URL, path: "/api/collections/regions/profile", status: 200, body: `{"kind":"generic"}`},
		{name: "without a dataset every layer is generic", base: undescribed.URL, path: "/api/collections/attacks/profile", status: 200, body: `{"kind":"generic"}`},
		{name: "a described layer that is not stored is 404", base: described.URL, path: "/api/collections/absent/profile", status: 404, body: "absent"},
		{name: "an unknown layer is 404", base: described.URL, path: "/api/collections/nope/profile", status: 404, body: "nope"},
		{name: "a profile has no HTML page", base: described.URL, path: "/api/collections/attacks/profile?f=html", status: 400, body: `\"html\" is not offered here`},
		{name: "an unknown parameter is refused", base: described.URL, path: "/api/collections/attacks/profile?limit=1", status: 400, body: "not a parameter of this endpoint"},
		{name: "f given twice is refused", base: described.URL, path: "/api/collections/attacks/profile?f=json&f=json", status: 400, body: "more than once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, c.base+c.path, c.header)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			body := strings.TrimSpace(string(res.body))
			if c.status != http.StatusOK {
				if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if !strings.Contains(body, c.body) {
					t.Errorf("the problem does not say %s: %s", c.body, body)
				}
				return
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if body != c.body {
				t.Errorf("body\n%s\nwant\n%s", body, c.body)
			}
			if cc := res.header.Get("Cache-Control"); cc != "public, max-age=60, must-revalidate" {
				t.Errorf("Cache-Control %q", cc)
			}
			etag := res.header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			again := get(t, c.base+c.path, map[string]string{"If-None-Match": etag})
			if again.status != http.StatusNotModified || len(again.body) != 0 {
				t.Errorf("If-None-Match %s: %d with %d bytes", etag, again.status, len(again.body))
			}
		})
	}
}
