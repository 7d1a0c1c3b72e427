package server

import (
	"net/http"
	"net/url"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
)

const (
	crs84       = params.CRS84
	geoJSONType = "application/geo+json"
)

type extent struct {
	Spatial struct {
		BBox [][]float64 `json:"bbox"`
		CRS  string      `json:"crs"`
	} `json:"spatial"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

type temporalExtent struct {
	Interval [][]*string `json:"interval"`
	TRS      string      `json:"trs"`
}

type collectionDoc struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Attribution string `json:"attribution,omitempty"`
	// Updated is when the layer was last edited (RFC 3339): for a layer
	// seeded from the default data, the day its facts were compiled.
	Updated    string   `json:"updated,omitempty"`
	ItemType   string   `json:"itemType"`
	Extent     *extent  `json:"extent,omitempty"`
	CRS        []string `json:"crs"`
	StorageCRS string   `json:"storageCrs"`
	Links      []link   `json:"links"`
	// Not JSON: what the HTML page needs besides.
	Count int64 `json:"-"`
}

func (s *Server) collectionDoc(base string, l geo.Layer) collectionDoc {
	c := collectionDoc{ID: l.Name, Title: l.Title, Description: l.Description, Attribution: l.Attribution,
		Updated: l.Changed, ItemType: "feature", CRS: []string{crs84}, StorageCRS: crs84, Count: l.Count}
	if l.Count > 0 {
		c.Extent = &extent{}
		c.Extent.Spatial.BBox = [][]float64{{l.Bounds.Min[0], l.Bounds.Min[1], l.Bounds.Max[0], l.Bounds.Max[1]}}
		c.Extent.Spatial.CRS = crs84
		if l.TimeExtent[0] != "" {
			start, end := l.TimeExtent[0], l.TimeExtent[1]
			c.Extent.Temporal = &temporalExtent{
				Interval: [][]*string{{&start, &end}},
				TRS:      "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
			}
		}
	}
	self := base + "/api/collections/" + url.PathEscape(l.Name)
	c.Links = []link{
		{Href: self + "?f=json", Rel: "self", Type: "application/json", Title: "this collection"},
		{Href: self + "?f=html", Rel: "alternate", Type: "text/html", Title: "this collection as HTML"},
		{Href: self + "/items?f=json", Rel: "items", Type: geoJSONType, Title: l.Title + " as GeoJSON"},
		{Href: self + "/items?f=html", Rel: "items", Type: "text/html", Title: l.Title + " as HTML"},
		{Href: self + "/items?f=csv", Rel: "items", Type: "text/csv", Title: l.Title + " as CSV"},
		{Href: self + "/items?f=kml", Rel: "items", Type: "application/vnd.google-earth.kml+xml", Title: l.Title + " as KML"},
		{Href: self + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "the properties to filter on"},
		{Href: self + "/profile", Rel: "describedby", Type: "application/json", Title: "what the layer holds: its time, magnitude and categories (its profile)"},
	}
	return c
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	layers, err := s.store.Layers(r.Context())
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	docs := make([]collectionDoc, 0, len(layers))
	for _, l := range layers {
		docs = append(docs, s.collectionDoc(base, l))
	}
	doc := map[string]any{
		"links":       selfLinks(base+"/api/collections", format),
		"collections": docs,
	}
	cacheFor(w, 60)
	return s.writeDocument(w, format, "collections", "application/json", doc)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, name string) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	l, err := s.store.Layer(r.Context(), name)
	if err != nil {
		return err
	}
	doc := s.collectionDoc(s.baseURL(r), l)
	cacheFor(w, 60)
	return s.writeDocument(w, format, "collection", "application/json", doc)
}

// queryables describes the properties a filter can use, as JSON Schema
// (OGC API - Features Part 3).
func (s *Server) queryables(w http.ResponseWriter, r *http.Request, name string) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	l, err := s.store.Layer(r.Context(), name)
	if err != nil {
		return err
	}
	self := s.baseURL(r) + "/api/collections/" + url.PathEscape(name) + "/queryables"
	props := map[string]any{
		"id":       map[string]any{"title": "feature id", "type": idType(l.Schema)},
		"geometry": map[string]any{"title": "geometry", "format": geometryFormat(l.Schema.GeometryType)},
	}
	for _, c := range l.Schema.Columns {
		props[c.Name] = columnSchema(c)
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  self,
		"type":                 "object",
		"title":                l.Title,
		"properties":           props,
		"additionalProperties": false,
	}
	cacheFor(w, 60)
	if format == formatHTML {
		return s.renderHTML(w, "queryables", map[string]any{"Layer": l, "Doc": doc})
	}
	return writeJSON(w, "application/schema+json", doc)
}

func idType(s geo.Schema) string {
	if s.HasID {
		return "string"
	}
	return "integer"
}

func columnSchema(c geo.Column) map[string]any {
	switch c.Type {
	case geo.Integer:
		return map[string]any{"type": "integer"}
	case geo.Real:
		return map[string]any{"type": "number"}
	case geo.Boolean:
		return map[string]any{"type": "boolean"}
	case geo.Date:
		return map[string]any{"type": "string", "format": "date"}
	case geo.DateTime:
		return map[string]any{"type": "string", "format": "date-time"}
	}
	return map[string]any{"type": "string"}
}

// geometryFormat is the JSON Schema format Part 3 uses for a geometry.
func geometryFormat(t string) string {
	switch t {
	case "POINT":
		return "geometry-point"
	case "LINESTRING":
		return "geometry-linestring"
	case "POLYGON":
		return "geometry-polygon"
	case "MULTIPOINT":
		return "geometry-multipoint"
	case "MULTILINESTRING":
		return "geometry-multilinestring"
	case "MULTIPOLYGON":
		return "geometry-multipolygon"
	}
	return "geometry-any"
}
