package server

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
)

// defaultResponseCacheBytes bounds the cache of items responses.
const defaultResponseCacheBytes = 64 << 20

// cachedHeaders are the response headers kept with a cached body.
var cachedHeaders = []string{"Content-Type", "Content-Disposition", "Link", "Cache-Control"}

// responseKey names an items response: the layer and its version (so an
// import or edit misses), the format, the base URL the links use, and the
// query in canonical order.
func responseKey(l geo.Layer, format, base string, q url.Values) string {
	return strings.Join([]string{"items", l.Name, l.Changed, strconv.FormatInt(l.Count, 10), format, base, q.Encode()}, "\x00")
}

// responseRecorder keeps what a handler writes, for the cache.
type responseRecorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) WriteHeader(int)             {}
func (r *responseRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }

// entry is the recorded response with its strong ETag and, for bodies
// worth it, a gzipped copy made once.
func (r *responseRecorder) entry() tiles.Entry {
	body := r.body.Bytes()
	h := http.Header{}
	h.Set("ETag", bodyETag(body))
	for _, k := range cachedHeaders {
		if v := r.header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	e := tiles.Entry{Body: body, Meta: h}
	if len(body) > 1024 && compressible(h.Get("Content-Type")) {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
		zw.Write(body)
		zw.Close()
		e.Gzip = gz.Bytes()
	}
	return e
}

// writeCached sends a kept response, gzipped when the client takes it, and
// answers If-None-Match itself.
func writeCached(w http.ResponseWriter, r *http.Request, e tiles.Entry) error {
	h := w.Header()
	for k, v := range e.Meta.(http.Header) {
		h[k] = slices.Clone(v) // the entry is shared between requests
	}
	body := e.Body
	if e.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = e.Gzip
		h.Set("Content-Encoding", "gzip")
		h.Set("ETag", strings.TrimSuffix(h.Get("ETag"), `"`)+`-gzip"`)
	}
	if matches(r.Header.Get("If-None-Match"), h.Get("ETag")) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(body)
	return err
}
