package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// gzipLevel is one of the compression levels gzipPool keeps writers of.
type gzipLevel int

const (
	// gzipDefault is gzip's default level: responses, compressed by
	// gzipResponses as they are written or once for the response cache.
	gzipDefault gzipLevel = iota
	// gzipFast is gzip's best speed: vector tiles (see gzipTile) and
	// long items pages, compressed as they stream (preferSpeed).
	gzipFast
)

// gzipPool keeps gzip writers between uses, by level: each holds
// hundreds of kilobytes of state, too much to make for every response.
// The Server has one, used by every compression it does.
type gzipPool struct {
	pools [gzipFast + 1]sync.Pool
}

// writer is a gzip writer of the level, writing to w; give it back to
// release after Close.
func (p *gzipPool) writer(l gzipLevel, w io.Writer) *gzip.Writer {
	zw, _ := p.pools[l].Get().(*gzip.Writer)
	if zw == nil {
		level := gzip.DefaultCompression
		if l == gzipFast {
			level = gzip.BestSpeed
		}
		zw, _ = gzip.NewWriterLevel(w, level)
		return zw
	}
	zw.Reset(w)
	return zw
}

// release keeps zw, made by writer at level l, for another use.
func (p *gzipPool) release(l gzipLevel, zw *gzip.Writer) { p.pools[l].Put(zw) }

// compress is b gzipped at level l.
func (p *gzipPool) compress(l gzipLevel, b []byte) []byte {
	var buf bytes.Buffer
	zw := p.writer(l, &buf)
	zw.Write(b)
	zw.Close()
	p.release(l, zw)
	return buf.Bytes()
}

// gzipETag is the strong ETag of the gzipped body of a representation
// tagged etag: the bytes differ, so the tag does too.
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gzip"` }

// gzipResponses compresses text responses for clients that accept gzip.
func (s *Server) gzipResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, pool: s.gzip}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, "gzip") && name != "*" {
			continue
		}
		q := quality(params)
		return q > 0
	}
	return false
}

// gzipWriter decides at the first write whether the body is worth
// compressing, from its Content-Type.
type gzipWriter struct {
	http.ResponseWriter
	pool    *gzipPool
	gz      *gzip.Writer
	level   gzipLevel
	decided bool
}

// preferSpeed asks for gzip's best speed, before the header: a long
// items page is compressed as it is sent, every time (it is never
// kept), and at the default level that cost ten times its making (1.2 s
// of CPU for 21 MB of the 1:10m countries); at best speed the bytes are
// somewhat more.
func (g *gzipWriter) preferSpeed() {
	if !g.decided {
		g.level = gzipFast
	}
}

// preferGzipSpeed calls preferSpeed on the gzipWriter among the
// writers w wraps, if there is one.
func preferGzipSpeed(w http.ResponseWriter) {
	for {
		if g, ok := w.(*gzipWriter); ok {
			g.preferSpeed()
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(ct)
	return strings.HasPrefix(ct, "text/") || strings.HasSuffix(ct, "json") ||
		strings.HasSuffix(ct, "javascript") || strings.HasSuffix(ct, "xml") ||
		ct == "image/svg+xml" || ct == "application/vnd.mapbox-vector-tile"
}

func (g *gzipWriter) WriteHeader(status int) {
	if !g.decided {
		g.decided = true
		h := g.Header()
		if status != http.StatusNoContent && status != http.StatusNotModified &&
			h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
				// The bytes differ from the identity body's, so the strong
				// validator must differ too.
				h.Set("ETag", gzipETag(etag))
			}
			g.gz = g.pool.writer(g.level, g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		g.gz.Close()
		g.pool.release(g.level, g.gz)
		g.gz = nil
	}
}

// Flush sends what is compressed so far.
func (g *gzipWriter) Flush() {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
