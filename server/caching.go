package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
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
// answers If-None-Match with 304. Bodies are bounded (limit caps features),
// so holding one in memory is fine; handlers that stream or set their own
// ETag pass through.
func etags(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{header: http.Header{}}
		next.ServeHTTP(buf, r)
		h := w.Header()
		for k, v := range buf.header {
			h[k] = v
		}
		status := buf.status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusOK && h.Get("ETag") == "" {
			sum := sha256.Sum256(buf.body.Bytes())
			h.Set("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:18])+`"`)
		}
		if etag := h.Get("ETag"); status == http.StatusOK && etag != "" && matches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(buf.body.Bytes())
		}
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
	for _, tag := range strings.Split(ifNoneMatch, ",") {
		if strings.TrimSpace(tag) == "*" || norm(tag) == want {
			return true
		}
	}
	return false
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// cacheFor sets how long shared caches may keep a response. Data changes
// only through imports, so a minute of staleness is a fair trade for
// letting a proxy absorb the load; revalidation with the ETag is cheap.
func cacheFor(w http.ResponseWriter, seconds int) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(seconds)+", must-revalidate")
}
