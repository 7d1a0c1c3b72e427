package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// cors lets pages on any origin read the map's data: it is public, and
// scripts and notebooks on other hosts are among its users.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Type, Content-Encoding")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Accept, Accept-Encoding, If-None-Match, Content-Type")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// etags gives every successful GET a strong ETag, the hash of its body, and
// answers If-None-Match with 304. A handler that sets its own ETag (the
// tile handlers, from the layer version) streams straight through, and so
// does one that flushes (a long items page, see responseRecorder).
func etags(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet { // HEAD arrives as GET (headAsGet)
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{w: w}
		next.ServeHTTP(buf, r)
		if buf.passthrough {
			return
		}
		h := w.Header()
		status := buf.status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusOK && h.Get("ETag") == "" {
			h.Set("ETag", bodyETag(buf.body.Bytes()))
		}
		if etag := h.Get("ETag"); status == http.StatusOK && etag != "" && matches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if status == http.StatusOK && h.Get("Content-Length") == "" {
			h.Set("Content-Length", strconv.Itoa(buf.body.Len()))
		}
		w.WriteHeader(status)
		w.Write(buf.body.Bytes()) // for HEAD, headAsGet drops it
	})
}

// matches applies If-None-Match's weak comparison. The gzip layer marks
// the ETag of a compressed body with a suffix; both name the same
// resource state.
func matches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	norm := func(tag string) string {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		return strings.TrimSuffix(strings.TrimSuffix(tag, `"`), "-gzip")
	}
	want := norm(etag)
	return slices.ContainsFunc(strings.Split(ifNoneMatch, ","), func(tag string) bool {
		return strings.TrimSpace(tag) == "*" || norm(tag) == want
	})
}

// bufferedWriter holds a body until it is complete, unless the handler
// set an ETag of its own before writing, in which case it passes through.
type bufferedWriter struct {
	w           http.ResponseWriter
	status      int
	body        bytes.Buffer
	passthrough bool
}

func (b *bufferedWriter) Header() http.Header { return b.w.Header() }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status != 0 {
		return
	}
	b.status = status
	if b.w.Header().Get("ETag") != "" || status != http.StatusOK {
		b.passthrough = true
		b.w.WriteHeader(status)
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.WriteHeader(http.StatusOK)
	}
	if b.passthrough {
		return b.w.Write(p)
	}
	return b.body.Write(p)
}

// Flush says the handler streams: what is held is sent, without an
// ETag, and the rest passes through.
func (b *bufferedWriter) Flush() {
	if !b.passthrough {
		b.passthrough = true
		if b.status == 0 {
			b.status = http.StatusOK
		}
		b.w.WriteHeader(b.status)
		b.w.Write(b.body.Bytes())
		b.body = bytes.Buffer{}
	}
	http.NewResponseController(b.w).Flush()
}

func (b *bufferedWriter) Unwrap() http.ResponseWriter { return b.w }

// cacheFor sets how long shared caches may keep a response. Data changes
// only through imports, so a minute of staleness is a fair trade for
// letting a proxy absorb the load; revalidation with the ETag is cheap.
func cacheFor(w http.ResponseWriter, seconds int) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(seconds)+", must-revalidate")
}

// bodyETag is the strong ETag of a response body: a hash of its bytes.
func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}
