package server

import (
	"net/http"
)

// The conformance classes this server implements, with the URIs the
// standards give them.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	base := s.baseURL(r) + "/api"
	doc := map[string]any{
		"title":       "Khorasan map service",
		"description": "Layers of the historical Khorasan region (an approximate outline, not ISIS-K's territory), modern country borders, cities and the sites of attacks claimed by, attributed to or disputed as the work of ISIS-K, each with its sources. OGC API - Features.",
		"links": append(selfLinks(base+"/", format),
			link{Href: base + "/openapi", Rel: "service-desc", Type: openAPIType, Title: "the API definition (OpenAPI 3.0)"},
			link{Href: base + "/openapi?f=html", Rel: "service-doc", Type: "text/html", Title: "the API documentation"},
			link{Href: base + "/conformance", Rel: "conformance", Type: "application/json", Title: "conformance classes"},
			link{Href: base + "/conformance?f=html", Rel: "conformance", Type: "text/html", Title: "conformance classes as HTML"},
			link{Href: base + "/collections", Rel: "data", Type: "application/json", Title: "the layers"},
			link{Href: base + "/collections?f=html", Rel: "data", Type: "text/html", Title: "the layers as HTML"},
		),
	}
	cacheFor(w, 300)
	return s.writeDocument(w, format, "landing", "application/json", doc)
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	doc := map[string]any{
		"conformsTo": conformance,
		"links":      selfLinks(s.baseURL(r)+"/api/conformance", format),
	}
	cacheFor(w, 300)
	return s.writeDocument(w, format, "conformance", "application/json", doc)
}

// selfLinks are the self and alternate links of a JSON/HTML resource.
func selfLinks(href, format string) []link {
	jsonLink := link{Href: href + "?f=json", Rel: "alternate", Type: "application/json", Title: "as JSON"}
	htmlLink := link{Href: href + "?f=html", Rel: "alternate", Type: "text/html", Title: "as HTML"}
	if format == formatHTML {
		htmlLink.Rel, htmlLink.Title = "self", "this document"
		return []link{htmlLink, jsonLink}
	}
	jsonLink.Rel, jsonLink.Title = "self", "this document"
	return []link{jsonLink, htmlLink}
}
