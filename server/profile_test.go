package server

import (
	"context"
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

// TestPutProfile: PUT /api/collections/{id}/profile stores a profile (a
// token is needed), GET answers it, a profile that does not fit the
// layer is a 400 naming the field and leaves the stored one, and DELETE
// gives the dataset's (here, a generic one) back.
func TestPutProfile(t *testing.T) {
	srv, store, _ := newEditServer(t, "alice:"+aliceToken, 0)
	open, _, _ := newEditServer(t, "", 0)
	url := srv.URL + "/api/collections/places/profile"
	mine := `{"kind":"places","categories":[{"property":"name","title":"City","values":["Kabul","Herat"],"colors":{"Kabul":"#c0392b"}}],"label":"name","popup":["name","killed"]}`
	current := func() string {
		t.Helper()
		res := get(t, url, nil)
		if res.status != http.StatusOK {
			t.Fatalf("GET: %d %s", res.status, res.body)
		}
		return strings.TrimSpace(string(res.body))
	}
	if got := current(); got != `{"kind":"generic","magnitude":"killed"}` {
		t.Errorf("before: %s", got)
	}
	json := map[string]string{"Content-Type": "application/json"}
	for name, c := range map[string]struct {
		url    string
		header map[string]string
		status int
		want   string
	}{
		"no token":              {url, json, http.StatusUnauthorized, "bearer token"},
		"a wrong token":         {url, with(bearer("nope"), "Content-Type", "application/json"), http.StatusUnauthorized, "bearer token"},
		"writes off":            {open.URL + "/api/collections/places/profile", with(bearer(aliceToken)), http.StatusForbidden, "writes are off"},
		"an unknown layer":      {srv.URL + "/api/collections/nope/profile", bearer(aliceToken), http.StatusNotFound, "nope"},
		"a reserved layer name": {srv.URL + "/api/collections/khorasan_audit/profile", bearer(aliceToken), http.StatusBadRequest, "reserved"},
		"not JSON":              {url, with(bearer(aliceToken), "Content-Type", "text/csv"), http.StatusUnsupportedMediaType, "application/json"},
	} {
		t.Run(name, func(t *testing.T) {
			res := send(t, http.MethodPut, c.url, mine, c.header)
			if res.status != c.status || !strings.Contains(string(res.body), c.want) {
				t.Errorf("%d %s, want %d saying %s", res.status, res.body, c.status, c.want)
			}
		})
	}
	res := send(t, http.MethodPut, url, mine, with(bearer(aliceToken), "Content-Type", "application/json"))
	if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != mine || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("PUT: %d %s %v", res.status, res.body, res.header)
	}
	if got := current(); got != mine {
		t.Errorf("GET after PUT: %s", got)
	}
	for name, c := range map[string]struct{ body, field string }{
		"a field the layer lacks":         {`{"kind":"places","label":"title"}`, `label: the layer has no property \"title\"`},
		"a colour that is not one":        {`{"kind":"places","categories":[{"property":"name","values":["Kabul"],"colors":{"Kabul":"crimson"}}]}`, `colour \"crimson\"`},
		"a magnitude that is not numeric": {`{"kind":"places","magnitude":"name"}`, `magnitude: property \"name\" is text, not a number`},
		"a time that is not a date":       {`{"kind":"events","time":"killed"}`, `time: property \"killed\" is an integer`},
		"an unknown key":                  {`{"kind":"places","colour":"#000"}`, `unknown field \"colour\"`},
		"not a profile":                   {`[1]`, "profile"},
	} {
		t.Run(name, func(t *testing.T) {
			res := send(t, http.MethodPut, url, c.body, bearer(aliceToken))
			if res.status != http.StatusBadRequest || res.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(res.body), c.field) {
				t.Errorf("%d %s, want a 400 naming %s", res.status, res.body, c.field)
			}
			if got := current(); got != mine {
				t.Errorf("the stored profile became %s", got)
			}
		})
	}
	h, err := store.History(context.Background(), geo.HistoryQuery{Layer: "places"})
	if err != nil || len(h) == 0 || h[0].Action != "profile" || h[0].Actor != "alice" {
		t.Errorf("history: %+v %v", h, err)
	}
	// The collection links to its profile.
	col := get(t, srv.URL+"/api/collections/places", nil)
	if !strings.Contains(string(col.body), `{"href":"`+url+`","rel":"describedby","type":"application/json"`) {
		t.Errorf("the collection does not link to its profile: %s", col.body)
	}
	res = send(t, http.MethodDelete, url, "", bearer(aliceToken))
	if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != `{"kind":"generic","magnitude":"killed"}` {
		t.Errorf("DELETE: %d %s", res.status, res.body)
	}
	if got := current(); got != `{"kind":"generic","magnitude":"killed"}` {
		t.Errorf("after DELETE: %s", got)
	}
}

// TestPutProfileIfMatch: GET gives the profile's ETag; a PUT or DELETE
// whose If-Match holds another one is a 412 problem and the stored
// profile stays; the current ETag (or *) passes, and the answer carries
// the new ETag; without If-Match the last write wins, as before.
func TestPutProfileIfMatch(t *testing.T) {
	srv, _, _ := newEditServer(t, "alice:"+aliceToken, 0)
	url := srv.URL + "/api/collections/places/profile"
	first := `{"kind":"places","label":"name"}`
	second := `{"kind":"places","label":"name","popup":["name"]}`
	read := func() (string, string) {
		t.Helper()
		res := get(t, url, nil)
		if res.status != http.StatusOK || res.header.Get("ETag") == "" {
			t.Fatalf("GET: %d %s %v", res.status, res.body, res.header)
		}
		return strings.TrimSpace(string(res.body)), res.header.Get("ETag")
	}
	put := func(body, ifMatch string) response {
		t.Helper()
		h := with(bearer(aliceToken), "Content-Type", "application/json")
		if ifMatch != "" {
			h = with(h, "If-Match", ifMatch)
		}
		return send(t, http.MethodPut, url, body, h)
	}
	_, generic := read()
	if res := put(first, ""); res.status != http.StatusOK {
		t.Fatalf("PUT without If-Match: %d %s", res.status, res.body)
	}
	body, tag := read()
	if body != first || tag == generic {
		t.Fatalf("after PUT: %s %s (before %s)", body, tag, generic)
	}
	for name, ifMatch := range map[string]string{
		"the ETag before the last write": generic,
		"a made-up ETag":                 `"nope"`,
		"a list without the current one": generic + `, "nope"`,
	} {
		t.Run(name, func(t *testing.T) {
			res := put(second, ifMatch)
			if res.status != http.StatusPreconditionFailed || res.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(res.body), "If-Match") {
				t.Errorf("%d %s, want a 412 problem", res.status, res.body)
			}
			if got, now := read(); got != first || now != tag {
				t.Errorf("the stored profile became %s (%s)", got, now)
			}
		})
	}
	t.Run("a stale DELETE", func(t *testing.T) {
		res := send(t, http.MethodDelete, url, "", with(bearer(aliceToken), "If-Match", generic))
		if res.status != http.StatusPreconditionFailed {
			t.Errorf("%d %s, want 412", res.status, res.body)
		}
		if got, _ := read(); got != first {
			t.Errorf("the stored profile became %s", got)
		}
	})
	res := put(second, tag)
	if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != second {
		t.Fatalf("PUT with the current ETag: %d %s", res.status, res.body)
	}
	body, tag2 := read()
	if body != second || res.header.Get("ETag") != tag2 || tag2 == tag {
		t.Errorf("after: %s, GET ETag %s, PUT answered %s (before %s)", body, tag2, res.header.Get("ETag"), tag)
	}
	if res := put(first, gzipETag(tag2)); res.status != http.StatusOK {
		t.Errorf("the gzip ETag of the current profile: %d %s", res.status, res.body)
	}
	if res := put(second, "*"); res.status != http.StatusOK {
		t.Errorf("If-Match *: %d %s", res.status, res.body)
	}
	_, tag3 := read()
	res = send(t, http.MethodDelete, url, "", with(bearer(aliceToken), "If-Match", tag3))
	if res.status != http.StatusOK {
		t.Errorf("DELETE with the current ETag: %d %s", res.status, res.body)
	}
	if _, now := read(); now != generic {
		t.Errorf("after DELETE the ETag is %s, want the generic profile's %s", now, generic)
	}
}
