package server

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// embedPage is the page /embed serves from the static files: a minimal
// map for iframes, configured by its URL.
const embedPage = "embed.html"

// CheckFrameAncestors checks a CSP frame-ancestors source list (such as
// "*", "'self'" or "'self' https://reports.example.org"): it must not be
// able to end the directive or the header.
func CheckFrameAncestors(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("frame-ancestors is empty; use '*' for any site or 'none' for none")
	}
	if strings.ContainsAny(v, ";,\r\n\x00") {
		return errors.New("frame-ancestors " + strconv.Quote(v) + " may not contain ';', ',' or line breaks: give space-separated sources")
	}
	return nil
}

// embed serves the iframe page. Other sites may frame it: there is no
// X-Frame-Options, and the Content-Security-Policy's frame-ancestors lists
// who may (Config.FrameAncestors, any site by default).
func (s *Server) embed(w http.ResponseWriter, r *http.Request) error {
	page, err := fs.ReadFile(s.cfg.Static, embedPage)
	if errors.Is(err, fs.ErrNotExist) {
		return &statusError{http.StatusNotFound, "the embeddable map page is not installed"}
	}
	if err != nil {
		return err
	}
	h := w.Header()
	s.embedHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	_, err = w.Write(page)
	return err
}

// embedHeaders let other sites frame the embed page, at /embed or as the
// static file embed.html: the page's policy, but framed by
// Config.FrameAncestors, and no X-Frame-Options.
func (s *Server) embedHeaders(h http.Header) {
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", s.embedCSP)
}
