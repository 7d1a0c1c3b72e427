package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
)

// Routes whose query string is the page's own state (the map's link, as
// static/state.js writes it: country=AFG&country=PAK), not parameters
// for the server: strictQuery leaves them alone.
const (
	pageRoute  = "page"
	embedRoute = "embed"
)

// strictQuery is router middleware that refuses, before any handler
// reads it, a query that url.Query would read otherwise than it was
// written: a pair that cannot be unescaped (%zz) or holds a raw ';' is
// dropped there without a word, so a bad bbox or filter returned the
// whole layer and /api/history?layer=%zz everybody's edits; and a
// parameter given twice, of which handlers read the first.
func (s *Server) strictQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := mux.CurrentRoute(r); route != nil && (route.GetName() == pageRoute || route.GetName() == embedRoute) {
			next.ServeHTTP(w, r)
			return
		}
		if err := checkQuery(r.URL.RawQuery); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkQuery reads a raw query as url.ParseQuery does, but fails on what
// ParseQuery skips, and on a name given twice, with a *ParamError naming
// the parameter.
func checkQuery(raw string) error {
	seen := map[string]bool{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return &ParamError{Name: rawName, Reason: "is not a percent-encoded parameter name (" + err.Error() + ")"}
		}
		if strings.Contains(rawName, ";") {
			return &ParamError{Name: name, Reason: "holds a ';': separate parameters with '&', and write a ';' in a name as %3B"}
		}
		if _, err := url.QueryUnescape(rawValue); err != nil {
			return &ParamError{Name: name, Reason: "has a value that is not percent-encoded: " + err.Error() + "; write a '%' as %25"}
		}
		if strings.Contains(rawValue, ";") {
			return &ParamError{Name: name, Reason: "has a ';' in its value: write it as %3B (a ';' does not separate parameters)"}
		}
		if seen[name] {
			return &ParamError{Name: name, Reason: "is given more than once"}
		}
		seen[name] = true
	}
	if len(seen) > maxQueryParams {
		return &ParamError{Name: "query", Reason: "has " + strconv.Itoa(len(seen)) + " parameters; at most " + strconv.Itoa(maxQueryParams)}
	}
	return nil
}

// maxQueryParams is far past any endpoint's parameters and property
// filters (a layer has tens of properties).
const maxQueryParams = 1000
