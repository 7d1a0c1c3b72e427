package server

import (
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// / and the OGC HTML pages had no Content-Security-Policy, the OGC pages
// no nosniff, and / could be framed by any site. Every response now has
// nosniff and a strict policy (no inline script or style) framed by this
// site only; /embed keeps --frame-ancestors, an SVG figure its own.
func TestSecurityHeaders(t *testing.T) {
	srv, _ := newRenderServer(t, Config{Static: os.DirFS("../static"), FrameAncestors: "https://reports.example.org"})
	_, body := roundTrip(t, "GET", srv.URL+"/api/collections/attacks/items?limit=1&f=json", "Accept-Encoding", "identity")
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindSubmatch(body)
	if id == nil {
		t.Fatalf("no feature id in %.200s", body)
	}
	feature := "/api/collections/attacks/items/" + url.PathEscape(string(id[1]))
	const page = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors "
	cases := map[string]struct {
		path, csp, xfo string
	}{
		"the page":                 {"/", page + "'self'", "SAMEORIGIN"},
		"the page by name":         {"/index.html", page + "'self'", "SAMEORIGIN"},
		"a script":                 {"/app.js", page + "'self'", "SAMEORIGIN"},
		"landing as HTML":          {"/api/?f=html", page + "'self'", "SAMEORIGIN"},
		"collections as HTML":      {"/api/collections?f=html", page + "'self'", "SAMEORIGIN"},
		"a collection as HTML":     {"/api/collections/attacks?f=html", page + "'self'", "SAMEORIGIN"},
		"items as HTML":            {"/api/collections/attacks/items?limit=3&f=html", page + "'self'", "SAMEORIGIN"},
		"a feature as HTML":        {feature + "?f=html", page + "'self'", "SAMEORIGIN"},
		"queryables as HTML":       {"/api/collections/attacks/queryables?f=html", page + "'self'", "SAMEORIGIN"},
		"conformance as HTML":      {"/api/conformance?f=html", page + "'self'", "SAMEORIGIN"},
		"API definition as HTML":   {"/api/openapi?f=html", page + "'self'", "SAMEORIGIN"},
		"JSON":                     {"/api/collections", page + "'self'", "SAMEORIGIN"},
		"a vector tile":            {"/tiles/attacks/3/5/3.mvt", page + "'self'", "SAMEORIGIN"},
		"a problem":                {"/api/collections/nope", page + "'self'", "SAMEORIGIN"},
		"a missing file":           {"/nope.js", page + "'self'", "SAMEORIGIN"},
		"the embed keeps its flag": {"/embed", page + "https://reports.example.org", ""},
		"the embed as a file":      {"/embed.html", page + "https://reports.example.org", ""},
		"an SVG figure":            {"/render?layers=khorasan&width=200&height=150&format=svg", "default-src 'none'; style-src 'unsafe-inline'", "SAMEORIGIN"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, body := roundTrip(t, "GET", srv.URL+c.path, "Accept-Encoding", "identity")
			h := res.Header
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if got := h.Values("Content-Security-Policy"); len(got) != 1 || got[0] != c.csp {
				t.Errorf("Content-Security-Policy %q\nwant %q", got, c.csp)
			}
			if got := h.Get("X-Frame-Options"); got != c.xfo {
				t.Errorf("X-Frame-Options %q, want %q", got, c.xfo)
			}
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				checkNoInline(t, body)
			}
		})
	}
}

var (
	scriptTagRE = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineRE    = regexp.MustCompile(`(?i)<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
)

// checkNoInline fails on what a policy without 'unsafe-inline' refuses in
// a page: script elements without src (JSON data blocks are not run),
// style elements and attributes, event handler attributes.
func checkNoInline(t *testing.T, page []byte) {
	t.Helper()
	for _, tag := range scriptTagRE.FindAll(page, -1) {
		if !strings.Contains(string(tag), " src=") && !strings.Contains(string(tag), `type="application/json"`) {
			t.Errorf("inline script %s", tag)
		}
	}
	if m := inlineRE.Find(page); m != nil {
		t.Errorf("inline style or handler %q", m)
	}
}

// The static pages hold nothing the policy refuses either.
func TestStaticPagesHaveNoInlineCode(t *testing.T) {
	for _, name := range []string{"index.html", "embed.html"} {
		page, err := os.ReadFile("../static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { checkNoInline(t, page) })
	}
}

func TestTileSource(t *testing.T) {
	for tpl, want := range map[string]string{
		"": "",
		"https://tile.example.org/{z}/{x}/{y}.png":     "https://tile.example.org",
		"https://{s}.tile.example.org/{z}/{x}/{y}.png": "https://*.tile.example.org",
		"HTTP://tiles.example.org:8080/{z}/{x}/{y}":    "http://tiles.example.org:8080",
		"https://tiles-{s}.example.org/{z}/{x}/{y}":    "https:",
		"https://a.example.org;script-src *":           "https:",
		"ftp://tile.example.org/{z}/{x}/{y}":           "",
		"//tile.example.org/{z}/{x}/{y}":               "",
	} {
		if got := tileSource(tpl); got != want {
			t.Errorf("tileSource(%q) = %q, want %q", tpl, got, want)
		}
	}
	// With --tile-url the page may show that basemap's images.
	s := New(Config{Tiles: TilesConfig{BasemapURL: "https://{s}.tile.example.org/{z}/{x}/{y}.png"}}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !strings.Contains(s.csp, "img-src 'self' data: blob: https://*.tile.example.org;") {
		t.Errorf("policy %q", s.csp)
	}
}
