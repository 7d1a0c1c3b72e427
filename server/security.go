package server

import (
	"net/http"
	"regexp"
	"strings"
)

// contentSecurityPolicy is the policy of every response: scripts, styles,
// fonts and data only from this server (no inline script or style, no
// eval), images also from data: and blob: URLs (Leaflet) and from the
// --tile-url basemap when there is one, no plugins, and framing by
// frameAncestors. JSON and tiles carry it too: it costs nothing there,
// and a response opened on its own is then held to it as well.
func contentSecurityPolicy(tileURL, frameAncestors string) string {
	img := "'self' data: blob:"
	if src := tileSource(tileURL); src != "" {
		img += " " + src
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors " + frameAncestors
}

// tileHostRE is the host of a tile URL template, where {s} may stand
// for the leftmost label (a.tile.example.org, b.tile...).
var tileHostRE = regexp.MustCompile(`^(\{s\}\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)

// tileSource is the CSP source of a tile URL template
// ("https://{s}.tile.example.org/{z}/{x}/{y}.png" → "https://*.tile.example.org"),
// or its scheme alone when the host is made of other placeholders, or ""
// for none.
func tileSource(tpl string) string {
	scheme, rest, ok := strings.Cut(tpl, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if !tileHostRE.MatchString(host) {
		return scheme + ":"
	}
	return scheme + "://" + strings.Replace(host, "{s}", "*", 1)
}

// securityHeaders gives every response the policy of the page (framed by
// this site only, X-Frame-Options for browsers without frame-ancestors)
// and nosniff, so no response is read as another type than it says. The
// embed page and SVG figures set their own policy over it.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
