package server

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo/params"
)

// Formats a resource can be had in, by the f parameter's value.
const (
	formatJSON = "json"
	formatHTML = "html"
	formatCSV  = "csv"
	formatKML  = "kml"
)

var mediaTypes = map[string]string{
	"application/json":                     formatJSON,
	"application/geo+json":                 formatJSON,
	"application/vnd.oai.openapi+json":     formatJSON,
	"text/html":                            formatHTML,
	"application/xhtml+xml":                formatHTML,
	"text/csv":                             formatCSV,
	"application/vnd.google-earth.kml+xml": formatKML,
}

// negotiate picks the response format: the f parameter when given,
// otherwise the best of the Accept header, otherwise JSON, which is what
// GIS clients and scripts expect when they say nothing.
func negotiate(r *http.Request, offered ...string) (string, error) {
	if f, ok := params.Single(r.URL.Query(), "f"); ok {
		if f == "geojson" {
			f = formatJSON
		}
		if slices.Contains(offered, f) {
			return f, nil
		}
		return "", &ParamError{Name: "f", Reason: strconv.Quote(f) + " is not offered here; use one of " + strings.Join(offered, ", ")}
	}
	type choice struct {
		format string
		q      float64
		order  int
	}
	var choices []choice
	for i, part := range strings.Split(r.Header.Get("Accept"), ",") {
		media, params, _ := strings.Cut(part, ";")
		media = strings.ToLower(strings.TrimSpace(media))
		q := quality(params)
		if f, ok := mediaTypes[media]; ok && q > 0 {
			choices = append(choices, choice{f, q, i})
		}
	}
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].q > choices[j].q })
	for _, c := range choices {
		if slices.Contains(offered, c.format) {
			return c.format, nil
		}
	}
	return offered[0], nil
}

// quality reads the q parameter of one element of an Accept or
// Accept-Encoding header; without one it is 1.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f
			}
		}
	}
	return 1
}

// documentFormat is the format of a document endpoint, which takes no
// parameter but f and answers JSON or HTML.
func documentFormat(r *http.Request) (string, error) {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return "", err
	}
	return negotiate(r, formatJSON, formatHTML)
}

// writeDocument sends doc as JSON of the given type, or as its HTML page.
func (s *Server) writeDocument(w http.ResponseWriter, format, page, contentType string, doc any) error {
	if format == formatHTML {
		return s.renderHTML(w, page, doc)
	}
	return writeJSON(w, contentType, doc)
}
