package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// statusRecorder remembers what a handler answered, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("query", r.URL.RawQuery),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// headAsGet answers HEAD as the GET it stands for, so both carry the same
// headers: the ETag that etags hashes from the body (a handler that wrote
// no body for HEAD got the hash of nothing), Content-Encoding, and the
// Content-Length that etags and the handlers set. The handlers below see
// a GET and write its body, which headWriter drops. HEAD costs what GET
// costs; the access log and the metrics, outside, still see HEAD.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
		next.ServeHTTP(&headWriter{ResponseWriter: w}, r)
	})
}

// headWriter drops a body. net/http drops one written to a HEAD
// response too, but not before a GET reached here, and not in tests
// that call the handler directly.
type headWriter struct {
	http.ResponseWriter
	wrote bool
}

func (h *headWriter) WriteHeader(status int) {
	h.wrote = true
	h.ResponseWriter.WriteHeader(status)
}

func (h *headWriter) Write(b []byte) (int, error) {
	if !h.wrote {
		// What net/http would tell the GET's client.
		if h.Header().Get("Content-Type") == "" {
			h.Header().Set("Content-Type", http.DetectContentType(b))
		}
		h.WriteHeader(http.StatusOK)
	}
	return len(b), nil
}

func (h *headWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
