package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
)

// roundTrip sends one request without following redirects or
// decompressing, and returns the response and its whole body.
func roundTrip(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
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

// HEAD on /, /embed and static files sent the ETag of an empty body:
// etags hashed what the handler wrote, and for HEAD it wrote nothing. A
// HEAD must carry the GET's validators and entity headers on every
// route, in both encodings, and no body.
func TestHeadMatchesGet(t *testing.T) {
	srv, _ := newRenderServer(t, Config{Static: os.DirFS("../static")})
	// A feature id from the data, whatever the default data holds.
	_, body := roundTrip(t, "GET", srv.URL+"/api/collections/attacks/items?limit=1", "Accept-Encoding", "identity")
	var page struct{ Features []struct{ ID string } }
	if err := json.Unmarshal(body, &page); err != nil || len(page.Features) != 1 {
		t.Fatalf("items: %v %.200s", err, body)
	}
	feature := "/api/collections/attacks/items/" + url.PathEscape(page.Features[0].ID)

	paths := map[string]string{
		"the page":            "/",
		"the page by name":    "/index.html",
		"the embed":           "/embed?layers=attacks",
		"a script":            "/app.js",
		"a style sheet":       "/style.css",
		"the map style":       "/style.json",
		"vendored Leaflet":    "/vendor/leaflet/leaflet.js",
		"a vendored image":    "/vendor/leaflet/images/marker-icon.png",
		"landing at /api":     "/api",
		"landing":             "/api/",
		"landing as HTML":     "/api/?f=html",
		"conformance":         "/api/conformance",
		"OpenAPI":             "/api/openapi",
		"collections":         "/api/collections",
		"collections as HTML": "/api/collections?f=html",
		"a collection":        "/api/collections/attacks",
		"queryables":          "/api/collections/attacks/queryables",
		"a layer profile":     "/api/collections/attacks/profile",
		"items":               "/api/collections/attacks/items?limit=5",
		"items as HTML":       "/api/collections/attacks/items?limit=5&f=html",
		"a feature":           feature,
		"a feature as HTML":   feature + "?f=html",
		"a layer export":      "/api/collections/cities/export?f=csv",
		"TileJSON":            "/tiles/attacks.json",
		"a vector tile":       "/tiles/attacks/3/5/3.mvt",
		"a basemap tile":      "/tiles/basemap/3/5/3.png",
		"the page config":     "/config.json",
		"health":              "/healthz",
		"a figure":            "/render?layers=khorasan&width=200&height=150&format=png",
		"a missing file":      "/no-such-file.js",
		"a missing layer":     "/api/collections/nope",
	}
	compared := []string{"ETag", "Content-Type", "Content-Encoding", "Content-Length", "Cache-Control", "Location"}
	for name, path := range paths {
		for _, enc := range []string{"identity", "gzip"} {
			t.Run(name+"/"+enc, func(t *testing.T) {
				get, getBody := roundTrip(t, "GET", srv.URL+path, "Accept-Encoding", enc)
				head, headBody := roundTrip(t, "HEAD", srv.URL+path, "Accept-Encoding", enc)
				if head.StatusCode != get.StatusCode {
					t.Errorf("HEAD %d, GET %d", head.StatusCode, get.StatusCode)
				}
				if get.StatusCode == http.StatusOK && (get.Header.Get("ETag") == "" || len(getBody) == 0) {
					t.Errorf("GET: ETag %q, %d bytes", get.Header.Get("ETag"), len(getBody))
				}
				for _, h := range compared {
					g, hd := get.Header.Get(h), head.Header.Get(h)
					if h == "Content-Length" && hd == "" {
						continue // HEAD may leave it out; if it sends one, it is the GET's
					}
					if g != hd {
						t.Errorf("%s: HEAD %q, GET %q", h, hd, g)
					}
				}
				if len(headBody) != 0 {
					t.Errorf("HEAD has %d bytes of body", len(headBody))
				}
				// The GET's ETag revalidates the HEAD too.
				if etag := get.Header.Get("ETag"); etag != "" {
					if res, _ := roundTrip(t, "HEAD", srv.URL+path, "Accept-Encoding", enc, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
						t.Errorf("HEAD with If-None-Match %s: %d", etag, res.StatusCode)
					}
				}
			})
		}
	}
}
