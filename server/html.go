package server

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/khorasan/khorasan/geo"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the HTML views of the API, parsed once; each page template
// defines "title" and "content" for the layout.
type pages map[string]*template.Template

func parsePages() pages {
	funcs := template.FuncMap{
		"value": func(f geo.Feature, name string) any { return f.Properties[name] },
		"sortedKeys": func(m map[string]any) []string {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return keys
		},
		// js puts server-made JSON in a <script> data block; escaping "<"
		// keeps a "</script>" inside a property from closing the block.
		"js": func(s string) template.JS { return template.JS(strings.ReplaceAll(s, "<", `\u003c`)) },
	}
	p := pages{}
	for _, name := range []string{"landing", "conformance", "collections", "collection", "queryables", "items", "item", "openapi"} {
		p[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

func (s *Server) renderHTML(w http.ResponseWriter, page string, data any) error {
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}
