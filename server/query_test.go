package server

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
)

// TestQueryThatURLQueryMisreads pins what url.Query used to drop without
// a word: each is a 400 that names the parameter, on every route but the
// page's (whose query is the map's own link).
func TestQueryThatURLQueryMisreads(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		name   string
		path   string
		status int
		param  string
	}{
		{"bad escape in bbox returned the whole layer", "/api/collections/attacks/items?bbox=%zz", 400, "bbox"},
		{"bad escape in a property filter returned every feature", "/api/collections/attacks/items?killed=%zz", 400, "killed"},
		{"bad escape in a name was no parameter at all", "/api/collections/attacks/items?limt%zz=5", 400, "limt%zz"},
		{"semicolon dropped the bbox after it", "/api/collections/attacks/items?limit=1;bbox=1,2,3", 400, "limit"},
		{"semicolon in a filter value dropped the filter", "/api/collections/attacks/items?filter=city='a;b'", 400, "filter"},
		{"history layer bad escape listed every layer", "/api/history?layer=%zz", 400, "layer"},
		{"document f twice answered the first", "/api/collections?f=json&f=html", 400, "f"},
		{"export f twice answered the first", "/api/collections/attacks/export?f=csv&f=kml", 400, "f"},
		{"tile v twice", "/tiles/attacks/3/5/3.mvt?v=1&v=2", 400, "v"},
		{"tile v bad escape", "/tiles/attacks/3/5/3.mvt?v=%zz", 400, "v"},
		{"render width bad escape drew the default", "/render?width=%zz", 400, "width"},
		{"healthz bad escape", "/healthz?x=%zz", 400, "x"},
		{"a thousand and one names", "/healthz?" + manyParams(1001), 400, "query"},
		// The page's own state repeats names and is not the server's to judge.
		{"page link repeats country", "/?country=AFG&country=PAK", 200, ""},
		{"page link with a bad escape", "/?q=%zz", 200, ""},
		{"escaped semicolon is a value", "/api/collections/attacks/items?city=a%3Bb", 200, ""},
		{"empty pairs are nothing", "/api/collections/attacks/items?&&limit=1&", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, srv.URL+c.path, nil)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if c.param == "" {
				return
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p problem
			if err := json.Unmarshal(res.body, &p); err != nil {
				t.Fatal(err)
			}
			if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != c.param {
				t.Errorf("the problem names %+v, want %q: %s", p.InvalidParams, c.param, res.body)
			}
		})
	}
}

func manyParams(n int) string {
	q := url.Values{}
	for i := range n {
		q.Set("p"+strconv.Itoa(i), "1")
	}
	return q.Encode()
}

// FuzzCheckQuery: whatever checkQuery lets through, url.ParseQuery reads
// whole, each name once.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"bbox=1,2,3,4", "a=%zz", "a;b=1", "a=1;b=2", "f=json&f=json", "=1", "&&", "a=%41&b=%2", "%zz=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if checkQuery(raw) != nil {
			return
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("checkQuery passed %q, which ParseQuery refuses: %v", raw, err)
		}
		for name, vs := range q {
			if len(vs) != 1 {
				t.Fatalf("checkQuery passed %q with %s given %d times", raw, name, len(vs))
			}
		}
	})
}
