package server

import (
	"net/http"
	"net/url"

	"github.com/khorasan/khorasan/geo"
)

const openAPIType = "application/vnd.oai.openapi+json;version=3.0"

// openapi describes the API as OpenAPI 3.0, built from the layers so that
// each collection's property filters are declared.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	layers, err := s.store.Layers(r.Context())
	if err != nil {
		return err
	}
	doc := openAPIDoc(s.baseURL(r)+"/api", layers)
	cacheFor(w, 60)
	return s.writeDocument(w, format, "openapi", openAPIType, doc)
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/parameters/" + name} }

func openAPIDoc(server string, layers []geo.Layer) obj {
	jsonResponse := func(desc, schema string) obj {
		return obj{"200": obj{"description": desc, "content": obj{
			"application/json": obj{"schema": obj{"$ref": "#/components/schemas/" + schema}},
			"text/html":        obj{"schema": obj{"type": "string"}},
		}}, "400": problemResponse, "404": problemResponse}
	}
	paths := obj{
		"/": obj{"get": obj{"summary": "Landing page", "operationId": "getLandingPage", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": jsonResponse("Links to the API definition, conformance and collections", "landingPage")}},
		"/conformance": obj{"get": obj{"summary": "Conformance classes", "operationId": "getConformance", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": jsonResponse("The conformance classes implemented", "confClasses")}},
		"/openapi": obj{"get": obj{"summary": "This API definition", "operationId": "getOpenAPI", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": obj{"200": obj{"description": "OpenAPI 3.0 document", "content": obj{
				"application/vnd.oai.openapi+json;version=3.0": obj{"schema": obj{"type": "object"}},
				"text/html": obj{"schema": obj{"type": "string"}}}}}}},
		"/collections": obj{"get": obj{"summary": "The layers", "operationId": "getCollections", "tags": []string{"Data"},
			"parameters": []obj{ref("f")}, "responses": jsonResponse("The collections", "collections")}},
		"/collections/{collectionId}": obj{"get": obj{"summary": "One layer", "operationId": "describeCollection", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("f")}, "responses": jsonResponse("The collection", "collection")}},
		"/collections/{collectionId}/queryables": obj{"get": obj{"summary": "The properties a filter can use", "operationId": "getQueryables", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("f")}, "responses": obj{"200": obj{"description": "JSON Schema of the queryables",
				"content": obj{"application/schema+json": obj{"schema": obj{"type": "object"}}}}, "404": problemResponse}}},
		"/collections/{collectionId}/items": obj{"get": itemsOperation("getFeatures", "Features of a layer", []obj{ref("collectionId")})},
		"/collections/{collectionId}/items/{featureId}": obj{"get": obj{"summary": "One feature", "operationId": "getFeature", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("featureId"), ref("f")},
			"responses": obj{"200": obj{"description": "The feature", "content": obj{
				"application/geo+json": obj{"schema": obj{"$ref": "#/components/schemas/featureGeoJSON"}},
				"text/html":            obj{"schema": obj{"type": "string"}}}}, "404": problemResponse}}},
	}
	// Each layer gets its own items path, declaring its property filters.
	for _, l := range layers {
		params := []obj{}
		for _, c := range l.Schema.Columns {
			params = append(params, obj{"name": c.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": "Keep features whose " + c.Name + " equals this value.", "schema": columnSchema(c)})
		}
		op := itemsOperation("getFeatures_"+l.Name, "Features of "+l.Title, params)
		paths["/collections/"+url.PathEscape(l.Name)+"/items"] = obj{"get": op}
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Khorasan map service",
			"version":     "1.0.0",
			"description": "OGC API - Features (Part 1 Core, Part 3 Filtering with CQL2 text) for the layers of the Khorasan map: the approximate historical region, country borders, cities and ISIS-K attack sites with their sources.",
			"license":     obj{"name": "Data: see each collection's attribution; Natural Earth public domain, GeoNames CC BY 4.0"},
		},
		"servers": []obj{{"url": server}},
		"tags":    []obj{{"name": "Capabilities"}, {"name": "Data"}},
		"paths":   paths,
		"components": obj{
			"parameters": obj{
				"f": obj{"name": "f", "in": "query", "required": false, "description": "Response format; without it the Accept header decides, and JSON is the default.",
					"schema": obj{"type": "string", "enum": []string{"json", "html", "csv", "kml"}}, "style": "form", "explode": false},
				"collectionId": obj{"name": "collectionId", "in": "path", "required": true, "schema": obj{"type": "string"}},
				"featureId":    obj{"name": "featureId", "in": "path", "required": true, "schema": obj{"type": "string"}},
				"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minLon,minLat,maxLon,maxLat in WGS 84 (CRS84); features whose envelope meets the box.",
					"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}},
				"bbox-crs": obj{"name": "bbox-crs", "in": "query", "required": false, "schema": obj{"type": "string", "enum": []string{crs84}}},
				"datetime": obj{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "An instant (2021-08-26) or an interval (2021-01-01/2021-12-31, ../2020-12-31, 2024-01-01/..) on the layer's date property.",
					"schema":      obj{"type": "string"}},
				"limit": obj{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "How many features a page holds; larger values are clamped to the maximum.",
					"schema":      obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
				"offset": obj{"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "How many matching features to skip; the next links carry it.",
					"schema":      obj{"type": "integer", "minimum": 0, "default": 0}},
				"filter": obj{"name": "filter", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "A CQL2 text filter, e.g. killed >= 50 AND attribution = 'claimed'.", "schema": obj{"type": "string"}},
				"filter-lang": obj{"name": "filter-lang", "in": "query", "required": false, "schema": obj{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}},
				"filter-crs":  obj{"name": "filter-crs", "in": "query", "required": false, "schema": obj{"type": "string", "enum": []string{crs84}}},
				"sortby": obj{"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Properties to sort by, comma-separated, - for descending: -killed,date.",
					"schema":      obj{"type": "array", "items": obj{"type": "string", "pattern": "^[+-]?[^,]+$"}}},
				"properties": obj{"name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "The properties to return, comma-separated.", "schema": obj{"type": "array", "items": obj{"type": "string"}}},
			},
			"schemas": obj{
				"link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
					"href": obj{"type": "string"}, "rel": obj{"type": "string"}, "type": obj{"type": "string"}, "title": obj{"type": "string"}}},
				"links":       obj{"type": "array", "items": obj{"$ref": "#/components/schemas/link"}},
				"landingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{"title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": obj{"$ref": "#/components/schemas/links"}}},
				"confClasses": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{"conformsTo": obj{"type": "array", "items": obj{"type": "string"}}}},
				"collection":  obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{"id": obj{"type": "string"}, "title": obj{"type": "string"}, "description": obj{"type": "string"}, "links": obj{"$ref": "#/components/schemas/links"}, "extent": obj{"type": "object"}, "itemType": obj{"type": "string"}, "crs": obj{"type": "array", "items": obj{"type": "string"}}}},
				"collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{"links": obj{"$ref": "#/components/schemas/links"}, "collections": obj{"type": "array", "items": obj{"$ref": "#/components/schemas/collection"}}}},
				"geometry":    obj{"type": "object", "nullable": true, "required": []string{"type"}, "properties": obj{"type": obj{"type": "string"}}},
				"featureGeoJSON": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
					"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"oneOf": []obj{{"type": "string"}, {"type": "integer"}}},
					"geometry": obj{"$ref": "#/components/schemas/geometry"}, "properties": obj{"type": "object", "nullable": true},
					"links": obj{"$ref": "#/components/schemas/links"}}},
				"featureCollectionGeoJSON": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
					"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "features": obj{"type": "array", "items": obj{"$ref": "#/components/schemas/featureGeoJSON"}},
					"links": obj{"$ref": "#/components/schemas/links"}, "timeStamp": obj{"type": "string", "format": "date-time"},
					"numberMatched": obj{"type": "integer", "minimum": 0}, "numberReturned": obj{"type": "integer", "minimum": 0}}},
				"exception": obj{"type": "object", "required": []string{"status", "title"}, "properties": obj{
					"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"}, "detail": obj{"type": "string"}, "instance": obj{"type": "string"}}},
			},
		},
	}
}

var problemResponse = obj{"description": "A problem (RFC 9457) that says what was wrong",
	"content": obj{"application/problem+json": obj{"schema": obj{"$ref": "#/components/schemas/exception"}}}}

func itemsOperation(id, summary string, extra []obj) obj {
	params := append(extra, ref("bbox"), ref("bbox-crs"), ref("datetime"), ref("limit"), ref("offset"), ref("filter"),
		ref("filter-lang"), ref("filter-crs"), ref("sortby"), ref("properties"), ref("f"))
	return obj{"summary": summary, "operationId": id, "tags": []string{"Data"}, "parameters": params,
		"responses": obj{
			"200": obj{"description": "A page of features, with next and prev links", "content": obj{
				"application/geo+json":                 obj{"schema": obj{"$ref": "#/components/schemas/featureCollectionGeoJSON"}},
				"text/html":                            obj{"schema": obj{"type": "string"}},
				"text/csv":                             obj{"schema": obj{"type": "string"}},
				"application/vnd.google-earth.kml+xml": obj{"schema": obj{"type": "string"}},
			}},
			"400": problemResponse, "404": problemResponse,
		}}
}
