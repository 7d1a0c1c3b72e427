package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/geo/params"
)

// handlerFunc is a handler that returns its error; errorHandler turns
// the error into one problem+json response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// ParamError is a query parameter that cannot be used; the parsers of
// geo/params and tiles/figure return it too.
type ParamError = params.Error

// statusError carries a status of its own (405, 406, ...).
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// bodyReadError is a request body that could not be read to its end:
// the client stalled past the read deadline, cut it short or garbled its
// chunked encoding. Nothing was written.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// busyError is a 503 that tells the client when to come back: the server
// is at a bound it keeps (the render pixel budget), not failing.
type busyError struct {
	retryAfter time.Duration
	msg        string
}

func (e *busyError) Error() string { return e.msg }

// problem is an RFC 9457 problem detail.
type problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Instance      string         `json:"instance,omitempty"`
	InvalidParams []invalidParam `json:"invalid-params,omitempty"`
	// Report lists the features an import refused, by line.
	Report *ingest.Report `json:"report,omitempty"`
}

type invalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError is the one place that decides what an error tells the client:
// the client's mistakes are explained, everything else is logged and
// reported as a bare 500 without detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problem{Type: "about:blank", Instance: r.URL.RequestURI()}
	var pe *ParamError
	var ie *geo.InvalidError
	var se *statusError
	var re *ingest.RejectedError
	var be *busyError
	var bre *bodyReadError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &bre):
		// Before "the client went away": net/http cancels the request's
		// context when its body fails, and the client is often still there.
		switch {
		case errors.As(err, &mbe):
			p.Status, p.Detail = http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than the %d bytes taken here", mbe.Limit)
		case errors.Is(err, os.ErrDeadlineExceeded):
			p.Status, p.Detail = http.StatusRequestTimeout, "the request body did not arrive in time (it stalled short of its length); nothing was written"
		default:
			p.Status, p.Detail = http.StatusBadRequest, "the request body is malformed or cut short ("+bre.err.Error()+"); nothing was written"
		}
	case errors.As(err, &be):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(be.retryAfter.Seconds()))))
		p.Status, p.Detail = http.StatusServiceUnavailable, be.msg
	case errors.As(err, &re):
		p.Status, p.Detail, p.Report = http.StatusBadRequest, re.Error(), re.Report
	case errors.As(err, &pe):
		p.Status, p.Detail = http.StatusBadRequest, pe.Error()
		p.InvalidParams = []invalidParam{{Name: pe.Name, Reason: pe.Reason}}
	case errors.As(err, &ie):
		p.Status, p.Detail = http.StatusBadRequest, ie.Error()
	case errors.Is(err, geo.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, err.Error()
	case errors.As(err, &se):
		p.Status, p.Detail = se.status, se.msg
	case errors.Is(err, geo.ErrBusy):
		// Another process (khorasan import) held the file longer than the
		// busy timeout; nothing was written.
		w.Header().Set("Retry-After", "2")
		p.Status, p.Detail = http.StatusServiceUnavailable, "the database is busy with another write (an import?); nothing was written, try again"
	case errors.Is(r.Context().Err(), context.Canceled) || errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		s.log.DebugContext(r.Context(), "request ended by client", "path", r.URL.Path, "err", err)
		return
	case errors.Is(r.Context().Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		// The server's own time limit (the timeout middleware) ran out; the
		// database driver may report it as an interrupted query.
		w.Header().Set("Retry-After", "5")
		p.Status, p.Detail = http.StatusServiceUnavailable, "the request took too long; narrow it (bbox, limit, filter) and try again"
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Status = http.StatusInternalServerError
	}
	p.Title = http.StatusText(p.Status)
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p problem) {
	body, _ := marshal(p)
	h := w.Header()
	h.Del("ETag")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &statusError{http.StatusNotFound, "no such page: " + r.URL.Path})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed []string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, &statusError{http.StatusMethodNotAllowed, "method " + r.Method + " is not allowed here; use " + strings.Join(allowed, ", ")})
}

// allowedMethods lists the methods the router takes on the request's
// path, for the Allow header of a 405. OPTIONS is always there: the CORS
// middleware answers it.
func allowedMethods(router *mux.Router, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return append(out, http.MethodOptions)
}
