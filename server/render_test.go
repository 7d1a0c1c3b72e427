package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tiles/figure"
)

// newRenderServer serves the default data with the real map style.
func newRenderServer(t *testing.T, cfg Config) (*httptest.Server, *gpkg.Store) {
	t.Helper()
	h, store := newRenderHandler(t, cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, store
}

// newRenderHandler is newRenderServer's handler, for tests that reach
// into it (the render pixel budget).
func newRenderHandler(t *testing.T, cfg Config) (*Server, *gpkg.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "render.gpkg"), gpkg.WithDataset(defaultDataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	raw, err := fs.ReadFile(data.FS, "layers.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ Name, Title, Description, Attribution, File string }
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		doc, err := fs.ReadFile(data.FS, m.File)
		if err != nil {
			t.Fatal(err)
		}
		info := geo.LayerInfo{Name: m.Name, Title: m.Title, Description: m.Description, Attribution: m.Attribution}
		if _, err := store.ImportGeoJSON(ctx, info, doc); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Style == nil {
		if cfg.Style, err = os.ReadFile("../static/style.json"); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Static == nil {
		cfg.Static = fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}
	}
	return New(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil))), store
}

func problemOf(t *testing.T, res *http.Response, body []byte) problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %.300s", ct, body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// svgAttacks counts the attack markers in an SVG figure.
func svgAttacks(t *testing.T, body []byte) int {
	t.Helper()
	i := bytes.Index(body, []byte(`<g id="layer-attacks">`))
	if i < 0 {
		return 0
	}
	rest := body[i:]
	rest = rest[:bytes.Index(rest, []byte("</g>"))]
	return bytes.Count(rest, []byte("<circle"))
}

func TestRenderFormats(t *testing.T) {
	srv, _ := newRenderServer(t, Config{})
	t.Run("PNG is exactly width×scale by height×scale", func(t *testing.T) {
		for _, c := range []struct {
			q    string
			w, h int
		}{
			{"width=300&height=200", 300, 200},
			{"width=300&height=200&scale=2", 600, 400},
			{"width=7&height=5&scale=3&legend=false", 21, 15},
		} {
			res, body := fetch(t, srv.URL+"/render?"+c.q)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("%s: %d %s %.200s", c.q, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			img, err := png.Decode(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
				t.Errorf("%s: %dx%d, want %dx%d", c.q, b.Dx(), b.Dy(), c.w, c.h)
			}
		}
	})
	t.Run("SVG is well-formed XML with the title and legend as text", func(t *testing.T) {
		res, body := fetch(t, srv.URL+"/render?format=svg&width=900&height=600&title="+url.QueryEscape("Attacks <2015–2025> & Khorasan"))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("SVG CSP %q", csp)
		}
		texts := map[string]bool{}
		dec := xml.NewDecoder(bytes.NewReader(body))
		var inText bool
		var root string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if root == "" {
					root = tok.Name.Space + " " + tok.Name.Local
				}
				inText = tok.Name.Local == "text"
			case xml.CharData:
				if inText {
					texts[string(tok)] = true
				}
			case xml.EndElement:
				inText = false
			}
		}
		if root != "http://www.w3.org/2000/svg svg" {
			t.Errorf("root element %q", root)
		}
		for _, want := range []string{"Attacks <2015–2025> & Khorasan", "ISIS-K attacks 2015–2026, by attribution", "Marker area: people killed", "Main outline", "150", "Kabul"} {
			if !texts[want] {
				t.Errorf("no <text> %q", want)
			}
		}
		if n := svgAttacks(t, body); n < 20 {
			t.Errorf("%d attack markers in the SVG", n)
		}
		if bytes.Contains(body, []byte("<image")) {
			t.Error("the SVG embeds a raster; the basemap should be paths")
		}
	})
	t.Run("PDF: pdfinfo reads it, the page is the requested size, pdftoppm renders it", func(t *testing.T) {
		res, body := fetch(t, srv.URL+"/render?format=pdf&width=595&height=842&title=Report+figure")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		checkPDF(t, body, 595, 842, "Report figure")
	})
}

// checkPDF runs poppler's pdfinfo, pdftotext and pdftoppm on a PDF.
func checkPDF(t *testing.T, pdf []byte, w, h int, text string) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install poppler-utils (make deps does)", tool)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "map.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("Page size:       %d x %d pts", w, h); !strings.Contains(string(out), want) {
		t.Errorf("pdfinfo says\n%s\nwant %q", out, want)
	}
	if !regexp.MustCompile(`Pages:\s+1\n`).Match(out) {
		t.Errorf("not one page:\n%s", out)
	}
	txt, err := exec.Command("pdftotext", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, txt)
	}
	for _, want := range []string{text, ", by attribution", "Natural Earth"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("the PDF's text has no %q", want)
		}
	}
	out, err = exec.Command("pdftoppm", "-png", "-r", "36", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 36 dpi: half a point per pixel.
	if b := img.Bounds(); b.Dx() < w/2-1 || b.Dx() > w/2+1 || b.Dy() < h/2-1 || b.Dy() > h/2+1 {
		t.Errorf("pdftoppm drew %dx%d at 36 dpi, want about %dx%d", b.Dx(), b.Dy(), w/2, h/2)
	}
}

func TestRenderBadInput(t *testing.T) {
	srv, _ := newRenderServer(t, Config{})
	cases := map[string]struct {
		query string
		param string
	}{
		"width 0":                       {"width=0", "width"},
		"width 100000":                  {"width=100000", "width"},
		"height not a number":           {"height=tall", "height"},
		"scale 10":                      {"scale=10", "scale"},
		"scale 0.5":                     {"scale=0.5", "scale"},
		"too many pixels":               {"width=4096&height=4096&scale=4", "scale"},
		"unknown format":                {"format=gif", "format"},
		"unknown layer":                 {"layers=attacks,nope", "layers"},
		"empty layer name":              {"layers=attacks,,cities", "layers"},
		"bbox min > max":                {"bbox=70,30,60,40", "bbox"},
		"bbox outside the world":        {"bbox=-200,0,10,10", "bbox"},
		"bbox without area":             {"bbox=60,30,60,40", "bbox"},
		"bbox beyond Mercator":          {"bbox=0,86,10,89", "bbox"},
		"bbox and center":               {"bbox=60,30,70,40&center=65,35&zoom=4", "bbox"},
		"center without zoom":           {"center=65,35", "zoom"},
		"zoom without center":           {"zoom=4", "center"},
		"zoom 30":                       {"center=65,35&zoom=30", "zoom"},
		"center off the world":          {"center=200,35&zoom=3", "center"},
		"legend maybe":                  {"legend=maybe", "legend"},
		"unknown lang":                  {"lang=de", "lang"},
		"title too long":                {"title=" + strings.Repeat("x", 201), "title"},
		"repeated parameter":            {"width=100&width=200", "width"},
		"unknown parameter":             {"colour=red", "colour"},
		"property of no selected layer": {"layers=khorasan&killed=10", "killed"},
		"property value of wrong type":  {"killed=many", "killed"},
		"datetime with no dated layer":  {"layers=khorasan,cities&datetime=2020-01-01/..", "datetime"},
		"bad datetime":                  {"datetime=yesterday", "datetime"},
		"filter syntax":                 {"filter=killed+>", "filter"},
		"filter naming no property":     {"filter=" + url.QueryEscape("colour = 'red'"), "filter"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, body := fetch(t, srv.URL+"/render?"+c.query)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.300s", res.StatusCode, body)
			}
			p := problemOf(t, res, body)
			if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != c.param {
				t.Errorf("invalid-params %+v, want %q named; detail %q", p.InvalidParams, c.param, p.Detail)
			}
		})
	}
}

func TestRenderFilters(t *testing.T) {
	srv, _ := newRenderServer(t, Config{})
	count := func(q string) int {
		t.Helper()
		res, body := fetch(t, srv.URL+"/render?format=svg&width=1200&height=800&bbox=30,10,80,60&"+q)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %.300s", q, res.StatusCode, body)
		}
		return svgAttacks(t, body)
	}
	all := count("layers=attacks")
	since2024 := count("layers=attacks&datetime=2024-01-01/..")
	claimed := count("layers=attacks&attribution=claimed")
	big := count("layers=attacks&filter=" + url.QueryEscape("killed >= 50"))
	if !(all > since2024 && since2024 > 0 && all > claimed && claimed > 0 && all > big && big > 0) {
		t.Errorf("markers: all %d, since 2024 %d, claimed %d, killed >= 50 %d", all, since2024, claimed, big)
	}
	// The filter leaves layers without the property whole: the outlines
	// are still drawn.
	res, body := fetch(t, srv.URL+"/render?format=svg&layers=khorasan,attacks&killed=0")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`<g id="layer-khorasan">`+"\n<path")) {
		t.Errorf("khorasan layer not drawn under an attacks filter: %d", res.StatusCode)
	}
}

func TestRenderPOST(t *testing.T) {
	srv, _ := newRenderServer(t, Config{})
	post := func(ct, query, body string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Post(srv.URL+"/render"+query, ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	long := strings.Repeat("x", 3000)
	res, body := post("application/json", "", `{"bbox":[55,28,72,40],"width":400,"height":300,"layers":["attacks","khorasan"],"format":"svg","legend":true,
		"filter":"killed >= 10 OR name = '`+long+`'","attribution":"claimed","title":null}`)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if n := svgAttacks(t, body); n == 0 {
		t.Error("no attacks drawn")
	}
	for name, c := range map[string]struct {
		ct, query, body string
		status          int
	}{
		"not JSON":      {"text/plain", "", `width=3`, http.StatusUnsupportedMediaType},
		"not an object": {"application/json", "", `[1,2]`, http.StatusBadRequest},
		"a second value after the object was ignored": {"application/json", "", `{}{"width":0}`, http.StatusBadRequest},
		"garbage after the object was ignored":        {"application/json", "", `{"width":100} x`, http.StatusBadRequest},
		"query and body":                              {"application/json", "?width=3", `{}`, http.StatusBadRequest},
		"nested object":                               {"application/json", "", `{"layers":{"a":1}}`, http.StatusBadRequest},
		"bad width in body":                           {"application/json", "", `{"width":0}`, http.StatusBadRequest},
		"body over the limit":                         {"application/json", "", `{"title":"` + strings.Repeat("x", maxRenderBody) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		res, body := post(c.ct, c.query, c.body)
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %.200s", name, res.StatusCode, c.status, body)
		}
		problemOf(t, res, body)
	}
}

func TestRenderTimeoutIs503(t *testing.T) {
	srv, _ := newRenderServer(t, Config{RenderTimeout: time.Nanosecond})
	res, body := fetch(t, srv.URL+"/render?width=2000&height=2000")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %.300s", res.StatusCode, body)
	}
	if p := problemOf(t, res, body); !strings.Contains(p.Detail, "not drawn within") {
		t.Errorf("detail %q", p.Detail)
	}
}

func TestRenderWithoutStyleIs503(t *testing.T) {
	srv, _ := newTestServer(t)
	res, body := fetch(t, srv.URL+"/render")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %.300s", res.StatusCode, body)
	}
	problemOf(t, res, body)
}

func TestRenderRevalidates(t *testing.T) {
	srv, store := newRenderServer(t, Config{})
	u := srv.URL + "/render?format=png&width=200&height=100&layers=attacks"
	res, _ := fetch(t, u)
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || etag == "" {
		t.Fatalf("%d, ETag %q", res.StatusCode, etag)
	}
	if res, _ := fetch(t, u, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", res.StatusCode)
	}
	// A new import changes the figure's ETag.
	doc := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[65,34]},"properties":{"killed":1,"attribution":"claimed","date":"2025-01-01"}}]}`
	time.Sleep(1100 * time.Millisecond) // Changed has a resolution of a second or a millisecond
	if _, err := store.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "attacks"}, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if res, _ := fetch(t, u, "If-None-Match", etag); res.StatusCode != 200 || res.Header.Get("ETag") == etag {
		t.Errorf("after an import: %d, ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), etag)
	}
}

func TestParseFigureLayersDefaultToAll(t *testing.T) {
	_, store := newRenderServer(t, Config{})
	f, err := figure.Parse(context.Background(), store, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range f.Layers {
		names = append(names, l.Layer.Name)
	}
	if strings.Join(names, ",") != "khorasan,borders,attacks,cities" {
		t.Errorf("layers %v", names)
	}
	_, err = figure.Parse(context.Background(), store, url.Values{"layers": {"nope"}})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Name != "layers" || !strings.Contains(pe.Reason, `"nope"`) {
		t.Errorf("unknown layer: %v", err)
	}
}

func TestEmbed(t *testing.T) {
	page := []byte("<!doctype html><title>embed</title>")
	t.Run("any site may frame it by default", func(t *testing.T) {
		s := httptest.NewServer(New(Config{Static: fstest.MapFS{"embed.html": {Data: page}}}, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
		defer s.Close()
		res, body := fetch(t, s.URL+"/embed?bbox=60,30,70,40&layers=attacks")
		if res.StatusCode != 200 || !bytes.Equal(body, page) {
			t.Fatalf("%d %q", res.StatusCode, body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors *") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("CSP %q", csp)
		}
		if xfo := res.Header.Values("X-Frame-Options"); len(xfo) > 0 {
			t.Errorf("X-Frame-Options %q", xfo)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("the flag's sources", func(t *testing.T) {
		s := httptest.NewServer(New(Config{Static: fstest.MapFS{"embed.html": {Data: page}}, FrameAncestors: "'self' https://reports.example.org"}, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
		defer s.Close()
		res, _ := fetch(t, s.URL+"/embed")
		if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors 'self' https://reports.example.org") {
			t.Errorf("CSP %q", csp)
		}
	})
	t.Run("missing page is a problem 404", func(t *testing.T) {
		s := httptest.NewServer(New(Config{Static: fstest.MapFS{}}, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
		defer s.Close()
		res, body := fetch(t, s.URL+"/embed")
		if res.StatusCode != 404 {
			t.Fatalf("%d", res.StatusCode)
		}
		problemOf(t, res, body)
	})
	for _, bad := range []string{"", "*; script-src *", "a,b", "x\r\ny"} {
		if CheckFrameAncestors(bad) == nil {
			t.Errorf("CheckFrameAncestors(%q) accepted it", bad)
		}
	}
}
