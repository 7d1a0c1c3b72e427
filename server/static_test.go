package server

import (
	"encoding/json"
	"testing"
)

// TestStaticErrorsAreProblems pins the static files' own errors, which
// http.FileServer wrote as text/plain: a Range past the end (416) and a
// Range that is not one.
func TestStaticErrorsAreProblems(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		name   string
		rng    string
		status int
	}{
		{"range past the end was text/plain", "bytes=99999999999-", 416},
		{"range garbage was text/plain", "bytes=a-b", 416},
		{"range within the file is still served", "bytes=0-3", 206},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, srv.URL+"/app.js", map[string]string{"Range": c.rng})
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if c.status < 400 {
				if string(res.body) != "cons" {
					t.Errorf("body %q", res.body)
				}
				return
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q: %s", ct, res.body)
			}
			var p problem
			if err := json.Unmarshal(res.body, &p); err != nil || p.Status != c.status || p.Detail == "" {
				t.Errorf("problem %+v (%v): %s", p, err, res.body)
			}
		})
	}
}
