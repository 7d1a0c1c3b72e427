package server

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/server/cache"
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

// keepBytes bounds the items responses kept whole: up to it, a response
// is held, gets its strong ETag and goes into the cache; past it, it is
// sent as it is made, so a request's memory stays bounded whatever its
// limit and the size of its features.
const keepBytes = 2 << 20

// responseRecorder keeps what a handler writes, for the cache, until
// the body outgrows limit; then it sends what it holds to w and passes
// the rest on (streaming), without an ETag: through a relay when one can
// be had (relay.go), so that the page is read at the store's pace and
// sent at the client's.
type responseRecorder struct {
	header    http.Header
	body      bytes.Buffer
	w         http.ResponseWriter
	limit     int
	streaming bool
	relays    *relays
	relay     *relay // nil until streaming, and without one
}

func newResponseRecorder(w http.ResponseWriter, limit int, rs *relays) *responseRecorder {
	return &responseRecorder{header: http.Header{}, w: w, limit: limit, relays: rs}
}

func (r *responseRecorder) Header() http.Header { return r.header }
func (r *responseRecorder) WriteHeader(int)     {}

func (r *responseRecorder) Write(p []byte) (int, error) {
	if r.streaming {
		if r.relay != nil {
			return r.relay.Write(p)
		}
		return r.w.Write(p)
	}
	if r.body.Len()+len(p) <= r.limit {
		return r.body.Write(p)
	}
	r.streaming = true
	preferGzipSpeed(r.w)
	h := r.w.Header()
	for _, k := range cachedHeaders {
		if v := r.header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	r.w.WriteHeader(http.StatusOK)
	// Tells the etags middleware that this body will not be held whole.
	http.NewResponseController(r.w).Flush()
	// What is held goes through the relay, as the first bytes of its
	// memory; without one, to the client now.
	held := r.body.Bytes()
	r.body = bytes.Buffer{}
	if r.relay = startRelay(r.relays, r.w, held); r.relay == nil {
		if _, err := r.w.Write(held); err != nil {
			return 0, err
		}
	}
	return r.Write(p)
}

// finish ends a streamed body, failed or whole; for a whole one it
// waits until the client has it, and returns why it could not.
func (r *responseRecorder) finish(failed bool) error {
	if r.relay == nil {
		return nil
	}
	return r.relay.finish(failed)
}

// entry is the recorded response with its strong ETag and, when asked
// for and worth it, a gzipped copy.
func (r *responseRecorder) entry(gz *gzipPool, compress bool) cache.Entry {
	body := r.body.Bytes()
	h := http.Header{}
	h.Set("ETag", bodyETag(body))
	for _, k := range cachedHeaders {
		if v := r.header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	e := cache.Entry{Body: body, Meta: h}
	if compress && gzippable(e) {
		e.Gzip = gz.compress(gzipDefault, body)
	}
	return e
}

// gzippable says a kept response is worth a gzipped copy.
func gzippable(e cache.Entry) bool {
	return len(e.Body) > 1024 && compressible(e.Meta.(http.Header).Get("Content-Type"))
}

// writeCached sends the kept response e; on the first hit that takes
// gzip, it compresses it and keeps the copy with it, under key.
func (s *Server) writeCached(w http.ResponseWriter, r *http.Request, key string, e cache.Entry) error {
	if e.Gzip == nil && gzippable(e) && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		e.Gzip = s.gzip.compress(gzipDefault, e.Body)
		s.responses.Set(key, e)
	}
	return writeCached(w, r, e)
}

// writeCached sends a kept response, gzipped when the client takes it, and
// answers If-None-Match itself.
func writeCached(w http.ResponseWriter, r *http.Request, e cache.Entry) error {
	h := w.Header()
	for k, v := range e.Meta.(http.Header) {
		h[k] = slices.Clone(v) // the entry is shared between requests
	}
	body := e.Body
	if e.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = e.Gzip
		h.Set("Content-Encoding", "gzip")
		h.Set("ETag", gzipETag(h.Get("ETag")))
	}
	if matches(r.Header.Get("If-None-Match"), h.Get("ETag")) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}
