package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Items pages written by the store's GeoJSONFeatures are the bytes of
// those made of Features, headers and all.
func TestItemsFromGeoJSONStoreAreTheSameBytes(t *testing.T) {
	features, store := newTestHandler(t)
	cfg := features.cfg
	cfg.GeoJSON = store
	rows := New(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, path := range []string{
		"/api/collections/attacks/items", "/api/collections/attacks/items?limit=2&sortby=-killed",
		"/api/collections/attacks/items?bbox=60,25,75,40&limit=3", "/api/collections/attacks/items?bbox=60,25,75,40&limit=3&offset=2",
		"/api/collections/attacks/items?properties=killed,date", "/api/collections/attacks/items?properties=",
		"/api/collections/attacks/items?filter=killed%3E10", "/api/collections/attacks/items?datetime=2020-01-01/..",
		"/api/collections/regions/items", "/api/collections/regions/items?bbox=50,20,80,45",
		"/api/collections/attacks/items?f=csv", "/api/collections/attacks/items?f=kml", "/api/collections/attacks/items?offset=999999",
	} {
		for _, enc := range []string{"identity", "gzip"} {
			get := func(h http.Handler) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Accept-Encoding", enc)
				h.ServeHTTP(rec, req)
				return rec
			}
			want, got := get(features), get(rows)
			if want.Code != http.StatusOK && path != "/api/collections/attacks/items?properties=" {
				t.Errorf("%s: status %d", path, want.Code)
			}
			if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("%s (%s): status %d, %d bytes; from Features %d, %d bytes\n%.400s\n%.400s", path, enc, got.Code, got.Body.Len(), want.Code, want.Body.Len(), got.Body, want.Body)
			}
			for _, h := range []string{"ETag", "Content-Type", "Content-Encoding", "Link", "Content-Length"} {
				if got.Header().Get(h) != want.Header().Get(h) {
					t.Errorf("%s (%s): %s %q, from Features %q", path, enc, h, got.Header().Get(h), want.Header().Get(h))
				}
			}
		}
	}
}
