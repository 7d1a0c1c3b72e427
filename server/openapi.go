package server

import (
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/tiles/basemap"
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

// openAPIDoc is the document, section by section: the paths of each
// group of endpoints, then the components they refer to.
func openAPIDoc(server string, layers []geo.Layer) obj {
	paths := obj{}
	maps.Copy(paths, capabilityPaths())
	maps.Copy(paths, dataPaths())
	maps.Copy(paths, exportPaths())
	maps.Copy(paths, layerPaths(layers))
	maps.Copy(paths, figurePaths(strings.TrimSuffix(server, "/api")))
	return obj{
		"openapi": "3.0.3",
		"info":    apiInfo(),
		"servers": []obj{{"url": server}},
		"tags":    apiTags(),
		"paths":   paths,
		"components": obj{
			"parameters":      parameterComponents(),
			"securitySchemes": securitySchemes(),
			"responses":       responseComponents(),
			"schemas":         schemaComponents(),
		},
	}
}

func apiInfo() obj {
	return obj{
		"title":       "Khorasan map service",
		"version":     "1.0.0",
		"description": "OGC API - Features (Part 1 Core, Part 3 Filtering with CQL2 text) for the layers of the Khorasan map: the approximate historical region, country borders, cities and ISIS-K attack sites with their sources. Writes in the manner of Part 4 (create, replace, update, delete; file imports), the backup and the audit log need a bearer token from serve --token-file; without a token file they are refused with 403.",
		"license":     obj{"name": "Data: see each collection's attribution; Natural Earth public domain, GeoNames CC BY 4.0"},
	}
}

func apiTags() []obj {
	return []obj{{"name": "Capabilities"}, {"name": "Data"},
		{"name": "Edit", "description": "Writes: create, replace, update, delete, import (bearer token)"},
		{"name": "Export", "description": "Whole layers (public, as reads are), and the whole GeoPackage (bearer token)"},
		{"name": "History", "description": "The audit log (bearer token)"},
		{"name": "Figures", "description": "Static maps for reports: PNG, SVG, PDF"}}
}

// documentResponse is the 200 of a document in JSON (of the schema) or
// HTML, with its 400 and 404.
func documentResponse(desc, schema string) obj {
	return obj{"200": obj{"description": desc, "content": obj{
		"application/json": obj{"schema": obj{"$ref": "#/components/schemas/" + schema}},
		"text/html":        obj{"schema": obj{"type": "string"}},
	}}, "400": problemResponse, "404": problemResponse}
}

// capabilityPaths are the landing page, the conformance classes and this
// document (ogc.go, openapi.go).
func capabilityPaths() obj {
	return obj{
		"/": obj{"get": obj{"summary": "Landing page", "operationId": "getLandingPage", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": documentResponse("Links to the API definition, conformance and collections", "landingPage")}},
		"/conformance": obj{"get": obj{"summary": "Conformance classes", "operationId": "getConformance", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": documentResponse("The conformance classes implemented", "confClasses")}},
		"/openapi": obj{"get": obj{"summary": "This API definition", "operationId": "getOpenAPI", "tags": []string{"Capabilities"},
			"parameters": []obj{ref("f")}, "responses": obj{"200": obj{"description": "OpenAPI 3.0 document", "content": obj{
				"application/vnd.oai.openapi+json;version=3.0": obj{"schema": obj{"type": "object"}},
				"text/html": obj{"schema": obj{"type": "string"}}}}}}},
	}
}

// dataPaths are the collections, their queryables, profiles and items,
// and one feature with its writes.
func dataPaths() obj {
	return obj{
		"/collections": obj{"get": obj{"summary": "The layers", "operationId": "getCollections", "tags": []string{"Data"},
			"parameters": []obj{ref("f")}, "responses": documentResponse("The collections", "collections")}},
		"/collections/{collectionId}": obj{"get": obj{"summary": "One layer", "operationId": "describeCollection", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("f")}, "responses": documentResponse("The collection", "collection")}},
		"/collections/{collectionId}/queryables": obj{"get": obj{"summary": "The properties a filter can use", "operationId": "getQueryables", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("f")}, "responses": obj{"200": obj{"description": "JSON Schema of the queryables",
				"content": obj{"application/schema+json": obj{"schema": obj{"type": "object"}}}}, "404": problemResponse}}},
		"/collections/{collectionId}/profile":   obj{"get": profileOperation(), "put": putProfileOperation(), "delete": deleteProfileOperation()},
		"/collections/{collectionId}/aggregate": obj{"get": aggregateOperation()},
		"/collections/{collectionId}/items": obj{"get": itemsOperation("getFeatures", "Features of a layer", []obj{ref("collectionId")}),
			"post": postItemsOperation("postFeatures", "Add a feature, or import a file, into a layer", []obj{ref("collectionId")})},
		"/collections/{collectionId}/items/{featureId}": obj{"get": obj{"summary": "One feature", "operationId": "getFeature", "tags": []string{"Data"},
			"parameters": []obj{ref("collectionId"), ref("featureId"), ref("f"), ref("If-None-Match")},
			"responses": obj{"200": obj{"description": "The feature; its ETag is what If-Match of a write is compared with",
				"headers": obj{"ETag": etagHeader}, "content": obj{
					"application/geo+json": obj{"schema": obj{"$ref": "#/components/schemas/featureGeoJSON"}},
					"text/html":            obj{"schema": obj{"type": "string"}}}},
				"304": notModifiedResponse, "400": problemResponse, "404": problemResponse}},
			"put":    replaceOperation(),
			"patch":  patchOperation(),
			"delete": deleteOperation()},
	}
}

// figurePaths is /render (render.go), at the server's root rather than
// under /api: its path item names its own server.
func figurePaths(root string) obj {
	q, str := queryParam, obj{"type": "string"}
	boolean := obj{"type": "boolean"}
	params := []obj{
		formParam("bbox", "The view: minLon,minLat,maxLon,maxLat, fitted into width by height (or center with zoom, or neither: fit the selected features).", obj{"type": "array", "minItems": 4, "maxItems": 4, "items": obj{"type": "number"}}),
		formParam("center", "The view's centre, lon,lat, with zoom.", obj{"type": "array", "minItems": 2, "maxItems": 2, "items": obj{"type": "number"}}),
		q("zoom", "Web map zoom at center, 0 to 20 (fractions allowed).", obj{"type": "number", "minimum": 0, "maximum": 20}),
		q("width", "Width in CSS pixels (PDF: points).", obj{"type": "integer", "minimum": 1, "maximum": 4096, "default": 1200}),
		q("height", "Height in CSS pixels (PDF: points).", obj{"type": "integer", "minimum": 1, "maximum": 4096, "default": 800}),
		q("scale", "PNG pixels per CSS pixel (2 for print).", obj{"type": "number", "minimum": 1, "maximum": 4, "default": 1}),
		formParam("layers", "Layers to draw, separated by commas (default: all).", obj{"type": "array", "items": str}),
		formParam("events", "The events layers to draw, separated by commas, as the page's events= (the other layers are layers'); each gets its own profile's colours, a marker shape and a legend section.", obj{"type": "array", "items": str}),
		q("data", "The events layer the figure is about: first in the legend, in circles, and the one choropleth counts (default: the first events layer).", str),
		q("choropleth", "Fill the countries of the borders layer (country) or hexagon cells of size km (hex) by the numbers /api/collections/{data}/aggregate gives under the same filters, with a legend of at most five classes (one per number when there are five or fewer, else quantiles).", obj{"type": "string", "enum": []string{"country", "hex"}}),
		q("size", "With choropleth=hex: the hexagons' size in km.", obj{"type": "number", "minimum": 5, "maximum": 1000}),
		q("measure", "With choropleth: what fills, the events counted or the sum of the profile's magnitude (aggregate's magnitude_sum).", obj{"type": "string", "enum": []string{"count", "magnitude"}, "default": "count"}),
		q("title", "Title drawn across the top (at most 200 characters).", str),
		q("legend", "Draw the legend.", obj{"type": "boolean", "default": true}),
		q("inset", "Draw the locator inset, a small map of the wider region with the view outlined. Default: true when width and height are 600 or more.", boolean),
		q("lang", "Language of the basemap's labels: ru names countries and populated places in Russian; fa, ps and ur name countries in Persian, Pashto and Urdu (Arabic script, shaped). Where the data has no name in the language (the places in fa, ps and ur; rivers, lakes, ranges and peaks in all) the label stays in English.", obj{"type": "string", "enum": basemap.Languages, "default": "en"}),
		q("format", "Output format.", obj{"type": "string", "enum": []string{"png", "svg", "pdf"}, "default": "png"}),
		q("datetime", "Date filter for the layers with a date: an instant or an interval start/end (.. for open).", str),
		q("filter", "CQL2 text filter, for the layers that have every property it names.", str),
		q("filter-lang", "Only cql2-text.", obj{"type": "string", "enum": []string{"cql2-text"}}),
		q("filter-crs", "CRS of the filter's geometries (CRS84).", str),
	}
	figure := obj{"200": obj{"description": "The figure", "content": obj{
		"image/png":       obj{"schema": obj{"type": "string", "format": "binary"}},
		"image/svg+xml":   obj{"schema": obj{"type": "string"}},
		"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}},
	}}, "400": responseRef("BadRequest"), "503": responseRef("Busy")}
	// POST takes the same parameters as one JSON object (arrays for
	// bbox, center and layers).
	props := obj{}
	for _, p := range params {
		props[p["name"].(string)] = p["schema"]
	}
	return obj{"/render": obj{
		"servers": []obj{{"url": root}},
		"get": obj{"summary": "A static figure of the layers over the offline basemap", "operationId": "getFigure", "tags": []string{"Figures"},
			"description": "Any other parameter is a property filter (property=value) on the selected layers that have that property.",
			"parameters":  params, "responses": figure},
		"post": obj{"summary": "A static figure, its parameters in a JSON body", "operationId": "postFigure", "tags": []string{"Figures"},
			"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
				"type": "object", "properties": props, "additionalProperties": true}}}},
			"responses": figure},
	}}
}

// exportPaths are the whole-layer exports, the backup and the audit log.
func exportPaths() obj {
	return obj{
		"/collections/{collectionId}/export": obj{"get": exportOperation()},
		"/backup":                            obj{"get": backupOperation()},
		"/history":                           obj{"get": historyOperation()},
	}
}

// layerPaths give each layer its own items path, declaring its property
// filters.
func layerPaths(layers []geo.Layer) obj {
	paths := obj{}
	for _, l := range layers {
		params := []obj{}
		for _, c := range l.Schema.Columns {
			params = append(params, formParam(c.Name, "Keep features whose "+c.Name+" equals this value.", columnSchema(c)))
		}
		op := itemsOperation("getFeatures_"+l.Name, "Features of "+l.Title, params)
		post := postItemsOperation("postFeatures_"+l.Name, "Add a feature, or import a file, into "+l.Title, nil)
		paths["/collections/"+url.PathEscape(l.Name)+"/items"] = obj{"get": op, "post": post}
	}
	return paths
}

// queryParam is an optional query parameter; desc may be empty.
func queryParam(name, desc string, schema obj) obj {
	p := obj{"name": name, "in": "query", "required": false, "schema": schema}
	if desc != "" {
		p["description"] = desc
	}
	return p
}

// formParam is an optional query parameter in the form style, not
// exploded: a list is one comma-separated value.
func formParam(name, desc string, schema obj) obj {
	p := queryParam(name, desc, schema)
	p["style"], p["explode"] = "form", false
	return p
}

// flagParam is an optional boolean query parameter that alone means
// true.
func flagParam(name, desc string) obj {
	p := queryParam(name, desc, obj{"type": "boolean", "default": false})
	p["allowEmptyValue"] = true
	return p
}

func headerParam(name, desc string) obj {
	return obj{"name": name, "in": "header", "required": false, "schema": obj{"type": "string"}, "description": desc}
}

// parameterComponents are components.parameters: those of every
// document, of items pages, of conditional requests and of imports.
func parameterComponents() obj {
	p := obj{
		"f": formParam("f", "Response format; without it the Accept header decides, and JSON is the default.",
			obj{"type": "string", "enum": []string{"json", "html", "csv", "kml"}}),
		"collectionId":     obj{"name": "collectionId", "in": "path", "required": true, "schema": obj{"type": "string"}},
		"featureId":        obj{"name": "featureId", "in": "path", "required": true, "schema": obj{"type": "string"}},
		"If-Match":         headerParam("If-Match", "The ETag of the feature as last read (GET of the feature, or the answer to a write); * for any existing feature. If the feature has changed since, the write is refused with 412. Without it the last write wins."),
		"If-Match-profile": headerParam("If-Match", "The ETag of the layer's profile as last read (GET of the profile, or the answer to a write); * for any. If the profile has changed since, the write is refused with 412 and the stored profile stays. Without it the last write wins."),
		"If-None-Match":    headerParam("If-None-Match", "ETags already held; when one is current the answer is 304 without a body."),
	}
	maps.Copy(p, itemsParameters())
	maps.Copy(p, importParameters())
	return p
}

// itemsParameters select, sort and page the features of an items page
// (itemsOperation).
func itemsParameters() obj {
	return obj{
		"bbox": formParam("bbox", "minLon,minLat,maxLon,maxLat in WGS 84 (CRS84); features whose envelope meets the box.",
			obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}),
		"bbox-crs": queryParam("bbox-crs", "", obj{"type": "string", "enum": []string{crs84}}),
		"datetime": formParam("datetime", "An instant (2021-08-26) or an interval (2021-01-01/2021-12-31, ../2020-12-31, 2024-01-01/..) on the layer's date property.",
			obj{"type": "string"}),
		"limit": formParam("limit", "How many features a page holds; larger values are clamped to the maximum. Pages over 2 MiB are streamed, without an ETag.",
			obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}),
		"offset": formParam("offset", "How many matching features to skip; the next links carry it.",
			obj{"type": "integer", "minimum": 0, "default": 0}),
		"filter":      formParam("filter", "A CQL2 text filter, e.g. killed >= 50 AND attribution = 'claimed'.", obj{"type": "string"}),
		"filter-lang": queryParam("filter-lang", "", obj{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}),
		"filter-crs":  queryParam("filter-crs", "", obj{"type": "string", "enum": []string{crs84}}),
		"sortby": formParam("sortby", "Properties to sort by, comma-separated, - for descending: -killed,date. A key given again is ignored; more keys than there are to sort by (id and the properties) is a 400.",
			obj{"type": "array", "items": obj{"type": "string", "pattern": "^[+-]?[^,]+$"}}),
		"properties": formParam("properties", "The properties to return, comma-separated, in this order. A name given again is ignored; more names than the layer has properties is a 400.",
			obj{"type": "array", "items": obj{"type": "string"}}),
	}
}

// importParameters are those of a file import (postItemsOperation).
func importParameters() obj {
	str := obj{"type": "string"}
	return obj{
		"import-mode": queryParam("mode", "Import the body as a file: create (a new layer; 409 if it exists), append (ids must be new), upsert (update by id, add the others) or replace (the layer becomes the input). Without it a GeoJSON Feature is created as one feature and anything else is appended.",
			obj{"type": "string", "enum": []string{"create", "append", "upsert", "replace"}, "default": "append"}),
		"import-dry-run":      flagParam("dry-run", "Check everything and report what the import would do, without writing (?dry-run alone means true)."),
		"import-skip-invalid": flagParam("skip-invalid", "Import the valid features and report the refused ones, instead of refusing the whole file (?skip-invalid alone means true)."),
		"import-profile":      queryParam("profile", "CSV: acled, gtd or ucdp to read that export's columns, generic for none; by default they are recognised by their header.", str),
		"import-columns":      queryParam("columns", "CSV: how columns map onto properties, e.g. id=Ref, lat=Y, lon=X, killed:integer=Deaths, *", str),
		"import-encoding":     queryParam("encoding", "CSV: utf-8, latin1 (windows-1252) or utf-16; by default UTF-8, else Windows-1252.", str),
		"import-delimiter":    queryParam("delimiter", "CSV: the one separator character (\\t for a tab); by default , ; tab or | is guessed.", str),
		"import-date-order": queryParam("date-order", "CSV: how to read dates such as 02/01/2006; without it they are refused as ambiguous.",
			obj{"type": "string", "enum": []string{"dmy", "mdy"}}),
		"import-id":          queryParam("id", "The property that holds each feature's stable id.", str),
		"import-title":       queryParam("title", "The layer's title.", str),
		"import-description": queryParam("description", "The layer's description.", str),
		"import-attribution": queryParam("attribution", "The layer's attribution.", str),
	}
}

func securitySchemes() obj {
	return obj{
		"bearerAuth": obj{"type": "http", "scheme": "bearer",
			"description": "A token from the file given to serve --token-file (one name:token a line); the audit log records the token's name."},
	}
}

// responseComponents are components.responses: the problems of writes.
func responseComponents() obj {
	return obj{
		"BadRequest": problemDoc("A parameter, the body or a feature in it is not valid; detail says which. A refused import lists the refused features, by line, in report."),
		"Unauthorized": obj{"description": "No valid bearer token; nothing was read or written",
			"headers": obj{"WWW-Authenticate": obj{"description": `Bearer realm="khorasan"`, "schema": obj{"type": "string"}}},
			"content": problemContent},
		"Forbidden":            problemDoc("Writes are off: the server was started without a token file (serve --token-file)"),
		"NotFound":             problemDoc("No such collection, or no such feature"),
		"Conflict":             problemDoc("The state of the data refuses the write: the layer exists (mode=create), a feature with that id exists, or the layer changed during the import"),
		"PreconditionFailed":   problemDoc("If-Match does not match the ETag of the feature (or profile): it changed since it was read"),
		"PayloadTooLarge":      problemDoc("The body is larger than the server takes (serve --max-upload-mb, 256 MiB by default; 64 MiB for one feature)"),
		"UnsupportedMediaType": problemDoc("The Content-Type is not one this operation reads"),
		"RequestTimeout":       problemDoc("The body stalled short of its length: it did not all arrive within the server's read timeout (an upload may pause 30 s at a time); nothing was written"),
		"Busy": obj{"description": "The database was busy with another write (an import?) for too long, or the request took too long; nothing was written",
			"headers": obj{"Retry-After": obj{"description": "Seconds to wait before trying again (when the database was busy)", "schema": obj{"type": "integer"}}},
			"content": problemContent},
	}
}

// schemaComponents are components.schemas: the documents and features
// of reads, then the bodies of writes, imports and the audit log.
func schemaComponents() obj {
	s := obj{
		"link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
			"href": obj{"type": "string"}, "rel": obj{"type": "string"}, "type": obj{"type": "string"}, "title": obj{"type": "string"}}},
		"links":       obj{"type": "array", "items": obj{"$ref": "#/components/schemas/link"}},
		"profile":     profileSchema(),
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
		"aggregateCollection": aggregateSchema(),
		"exception": obj{"type": "object", "required": []string{"status", "title"}, "properties": obj{
			"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"}, "detail": obj{"type": "string"}, "instance": obj{"type": "string"},
			"invalid-params": obj{"type": "array", "items": obj{"type": "object", "required": []string{"name", "reason"}, "properties": obj{
				"name": obj{"type": "string"}, "reason": obj{"type": "string"}}}},
			"report": obj{"$ref": "#/components/schemas/importReport"}}},
	}
	maps.Copy(s, writeSchemas())
	return s
}

// writeSchemas are the schemas of a merge patch, an import's report and
// the audit log.
func writeSchemas() obj {
	return obj{
		"featurePatch": obj{"type": "object", "additionalProperties": false,
			"description": "A JSON Merge Patch (RFC 7396) of the feature's GeoJSON: properties set to null are cleared, those left out are kept; a geometry member replaces the geometry. The id cannot change.",
			"properties": obj{"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"oneOf": []obj{{"type": "string"}, {"type": "integer"}}},
				"geometry": obj{"$ref": "#/components/schemas/geometry"}, "properties": obj{"type": "object", "nullable": true},
				"links": obj{"$ref": "#/components/schemas/links"}}},
		"importReport": obj{"type": "object", "required": []string{"layer", "mode", "dryRun", "format", "created", "read", "inserted", "updated", "unchanged", "deleted", "rejected"},
			"properties": obj{"layer": obj{"type": "string"}, "mode": obj{"type": "string", "enum": []string{"create", "append", "upsert", "replace"}},
				"dryRun": obj{"type": "boolean"}, "format": obj{"type": "string", "enum": []string{"geojson", "csv", "kml"}}, "profile": obj{"type": "string", "description": "The CSV export recognised: acled, gtd, ucdp or generic."},
				"layerProfile": obj{"allOf": []obj{{"$ref": "#/components/schemas/profile"}}, "description": "The profile the import leaves stored with the layer, when it sets one: an export's, in its own vocabulary, or one guessed from a file with a date column."},
				"created":      obj{"type": "boolean", "description": "The layer did not exist."},
				"read":         obj{"type": "integer"}, "inserted": obj{"type": "integer"}, "updated": obj{"type": "integer"}, "unchanged": obj{"type": "integer"},
				"deleted": obj{"type": "integer"}, "rejected": obj{"type": "integer"},
				"newColumns": obj{"type": "array", "items": obj{"type": "object"}},
				"warnings":   obj{"type": "array", "items": obj{"type": "string"}},
				"errors": obj{"type": "array", "items": obj{"type": "object", "required": []string{"record", "reason"}, "properties": obj{
					"record": obj{"type": "integer"}, "line": obj{"type": "integer"}, "id": obj{"type": "string"}, "reason": obj{"type": "string"}}}}}},
		"auditEntry": obj{"type": "object", "required": []string{"id", "time", "actor", "action", "layer"}, "properties": obj{
			"id": obj{"type": "integer"}, "time": obj{"type": "string", "format": "date-time"},
			"actor":     obj{"type": "string", "description": "The token's name for the API, cli:USER for the command line."},
			"action":    obj{"type": "string", "enum": []string{"create", "update", "delete", "import", "profile"}},
			"layer":     obj{"type": "string"},
			"featureId": obj{"type": "string", "description": "Absent for an import."},
			"old":       obj{"type": "object", "description": "The feature before (GeoJSON); for a profile, the stored profile before, absent when there was none."},
			"new":       obj{"type": "object", "description": "The feature after (GeoJSON); a summary for an import; the profile stored, absent when it was removed."}}},
		"history": obj{"type": "object", "required": []string{"entries"}, "properties": obj{
			"entries": obj{"type": "array", "items": obj{"$ref": "#/components/schemas/auditEntry"}}}},
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
			"503": obj{"description": "A request that scans a whole large layer (a filter, datetime, property filter or sortby, or a deep offset) found the pool for such requests full, or ran past its time; the rest of the API is not held up by them",
				"headers": obj{"Retry-After": obj{"description": "Seconds to wait before trying again", "schema": obj{"type": "integer"}}},
				"content": problemContent},
		}}
}

var problemContent = obj{"application/problem+json": obj{"schema": obj{"$ref": "#/components/schemas/exception"}}}

// problemDoc is a problem response of components.responses.
func problemDoc(desc string) obj { return obj{"description": desc, "content": problemContent} }

// responseRef refers to one of components.responses.
func responseRef(name string) obj { return obj{"$ref": "#/components/responses/" + name} }

// bearerAuth is the security requirement of writes, the backup and the
// audit log (authorized in tokens.go).
var bearerAuth = []obj{{"bearerAuth": []string{}}}

var (
	etagHeader          = obj{"description": "The representation's strong ETag", "schema": obj{"type": "string"}}
	locationHeader      = obj{"description": "The URL of what was made", "required": true, "schema": obj{"type": "string", "format": "uri"}}
	dispositionHeader   = obj{"description": "attachment, with a file name", "schema": obj{"type": "string"}}
	notModifiedResponse = obj{"description": "Not modified: If-None-Match holds the current ETag"}
)

// securedResponses are the answers of authorized (tokens.go) before the
// handler runs.
func securedResponses(r obj) obj {
	r["401"], r["403"] = responseRef("Unauthorized"), responseRef("Forbidden")
	return r
}

// featureResponse is a write's answer: the feature as stored, and the
// ETag the next If-Match compares with.
func featureResponse(desc string) obj {
	return obj{"description": desc, "headers": obj{"ETag": etagHeader},
		"content": obj{"application/geo+json": obj{"schema": obj{"$ref": "#/components/schemas/featureGeoJSON"}}}}
}

// postItemsOperation is postItems (upload.go): one Feature is created; a
// file is imported.
func postItemsOperation(id, summary string, extra []obj) obj {
	params := append(extra, ref("import-mode"), ref("import-dry-run"), ref("import-skip-invalid"), ref("import-profile"), ref("import-columns"),
		ref("import-encoding"), ref("import-delimiter"), ref("import-date-order"), ref("import-id"), ref("import-title"),
		ref("import-description"), ref("import-attribution"))
	geojson := obj{"schema": obj{"oneOf": []obj{{"$ref": "#/components/schemas/featureGeoJSON"}, {"$ref": "#/components/schemas/featureCollectionGeoJSON"}}}}
	text := obj{"schema": obj{"type": "string"}}
	binary := obj{"schema": obj{"type": "string", "format": "binary"}}
	return obj{"summary": summary, "operationId": id, "tags": []string{"Edit"}, "parameters": params, "security": bearerAuth,
		"description": "A GeoJSON Feature, without mode, is created as one feature of an existing layer. Anything else (a FeatureCollection, CSV, TSV, KML or KMZ, or a Feature with mode) is imported as a file, which makes the layer if it does not exist. Without a Content-Type, or with application/octet-stream or text/plain, the format is recognised from the body.",
		"requestBody": obj{"required": true, "content": obj{
			"application/geo+json":                 geojson,
			"application/json":                     geojson,
			"text/csv":                             text,
			"text/tab-separated-values":            text,
			"application/vnd.google-earth.kml+xml": text,
			"application/vnd.google-earth.kmz":     binary,
			"application/octet-stream":             binary,
			"text/plain":                           text,
		}},
		"responses": securedResponses(obj{
			"200": obj{"description": "The import report: of a dry run, or of an import into an existing layer",
				"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/importReport"}}}},
			"201": obj{"description": "Created: one feature (the body is the feature, Location its URL, ETag its tag), or by an import a new layer (the body is the import report, Location the collection's URL)",
				"headers": obj{"Location": locationHeader, "ETag": obj{"description": "The feature's strong ETag (when one feature was created)", "schema": obj{"type": "string"}}},
				"content": obj{
					"application/geo+json": obj{"schema": obj{"$ref": "#/components/schemas/featureGeoJSON"}},
					"application/json":     obj{"schema": obj{"$ref": "#/components/schemas/importReport"}}}},
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "409": responseRef("Conflict"),
			"408": responseRef("RequestTimeout"), "413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "503": responseRef("Busy"),
		})}
}

// replaceOperation is putItem (edit.go).
func replaceOperation() obj {
	feature := obj{"schema": obj{"$ref": "#/components/schemas/featureGeoJSON"}}
	return obj{"summary": "Replace a feature", "operationId": "replaceFeature", "tags": []string{"Edit"}, "security": bearerAuth,
		"description": "The feature's geometry and all its properties become the body's; properties the body leaves out become null.",
		"parameters":  []obj{ref("collectionId"), ref("featureId"), ref("If-Match")},
		"requestBody": obj{"required": true, "content": obj{"application/geo+json": feature, "application/json": feature}},
		"responses": securedResponses(obj{"200": featureResponse("The feature as stored"),
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "412": responseRef("PreconditionFailed"),
			"408": responseRef("RequestTimeout"), "413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "503": responseRef("Busy")})}
}

// patchOperation is patchItem (edit.go).
func patchOperation() obj {
	patch := obj{"schema": obj{"$ref": "#/components/schemas/featurePatch"}}
	return obj{"summary": "Update part of a feature", "operationId": "updateFeature", "tags": []string{"Edit"}, "security": bearerAuth,
		"parameters":  []obj{ref("collectionId"), ref("featureId"), ref("If-Match")},
		"requestBody": obj{"required": true, "content": obj{mergePatchType: patch, "application/json": patch, "application/geo+json": patch}},
		"responses": securedResponses(obj{"200": featureResponse("The feature as stored"),
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "412": responseRef("PreconditionFailed"),
			"408": responseRef("RequestTimeout"), "413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "503": responseRef("Busy")})}
}

// deleteOperation is deleteItem (edit.go).
func deleteOperation() obj {
	return obj{"summary": "Delete a feature", "operationId": "deleteFeature", "tags": []string{"Edit"}, "security": bearerAuth,
		"parameters": []obj{ref("collectionId"), ref("featureId"), ref("If-Match")},
		"responses": securedResponses(obj{"204": obj{"description": "Deleted"},
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "412": responseRef("PreconditionFailed"), "503": responseRef("Busy")})}
}

// exportOperation is export (export.go); reads are public, so it is too.
func exportOperation() obj {
	return obj{"summary": "The whole layer as a file", "operationId": "exportCollection", "tags": []string{"Export"},
		"parameters": []obj{ref("collectionId"),
			queryParam("f", "The file's format.", obj{"type": "string", "enum": []string{"geojson", "json", "csv", "kml", "gpkg"}, "default": "geojson"}),
			ref("If-None-Match")},
		"responses": obj{
			"200": obj{"description": "Every feature of the layer, as an attachment",
				"headers": obj{"ETag": etagHeader, "Content-Disposition": dispositionHeader},
				"content": obj{
					"application/geo+json":                 obj{"schema": obj{"$ref": "#/components/schemas/featureCollectionGeoJSON"}},
					"text/csv":                             obj{"schema": obj{"type": "string"}},
					"application/vnd.google-earth.kml+xml": obj{"schema": obj{"type": "string"}},
					gpkgType:                               obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"304": notModifiedResponse, "400": problemResponse, "404": problemResponse,
		}}
}

// backupOperation is backup (export.go).
func backupOperation() obj {
	return obj{"summary": "A consistent copy of the whole GeoPackage, with its audit log", "operationId": "getBackup", "tags": []string{"Export"},
		"security": bearerAuth,
		"responses": securedResponses(obj{
			"200": obj{"description": "The GeoPackage, as an attachment named for the time",
				"headers": obj{"Content-Disposition": dispositionHeader},
				"content": obj{gpkgType: obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"400": responseRef("BadRequest")})}
}

// historyOperation is history (history.go).
func historyOperation() obj {
	q, str := queryParam, obj{"type": "string"}
	return obj{"summary": "The audit log: who changed what, newest first", "operationId": "getHistory", "tags": []string{"History"},
		"security": bearerAuth,
		"parameters": []obj{
			q("layer", "Only this layer's entries.", str),
			q("feature", "Only this feature's entries.", str),
			q("actor", "Only the entries of this token name (cli:USER for the command line).", str),
			q("since", "Only entries from this date (2024-01-31) or RFC 3339 time on.", str),
			q("limit", "How many entries at most.", obj{"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}),
		},
		"responses": securedResponses(obj{
			"200": obj{"description": "The entries", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/history"}}}},
			"400": responseRef("BadRequest")})}
}

// profileOperation is profile (profile.go): what a layer is, its own
// profile or the dataset description's. Its schema is profileSchema.
func profileOperation() obj {
	return obj{"summary": "What a layer holds, and which of its properties carry the time, the magnitude and the categories",
		"operationId": "getProfile", "tags": []string{"Data"},
		"description": "The layer's profile: the one stored with the layer (PUT), else the dataset description's; the page draws a layer by its kind, not by its name. A layer with neither is {\"kind\": \"generic\"}.",
		"parameters":  []obj{ref("collectionId"), queryParam("f", "", obj{"type": "string", "enum": []string{"json"}}), ref("If-None-Match")},
		"responses": obj{
			"200": profileResponse("The layer's profile; its ETag is what If-Match of a PUT or DELETE is compared with"),
			"304": notModifiedResponse, "400": problemResponse, "404": problemResponse,
		}}
}

// putProfileOperation and deleteProfileOperation are putProfile and
// deleteProfile (profile.go).
func putProfileOperation() obj {
	return obj{"summary": "Store a layer's profile", "operationId": "putProfile", "tags": []string{"Edit"}, "security": bearerAuth,
		"description": "The body becomes the profile stored with the layer, which wins over the dataset description's. Every property it names must be one of the layer's; magnitude, magnitudeLow, magnitudeHigh and counts numeric; time and endTime dates or date-times; colours #rgb or #rrggbb, for values the category lists. A profile that breaks one of these is a 400 naming the field, and the stored profile stays as it was. The change is recorded in the audit log (action profile). With If-Match (the ETag of GET, or of the last write's answer) the write is refused with 412 when the profile changed since, and the stored profile stays; without it the last write wins.",
		"parameters":  []obj{ref("collectionId"), ref("If-Match-profile")},
		"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/profile"}}}},
		"responses": securedResponses(obj{"200": profileResponse("The layer's profile as stored"),
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "412": responseRef("PreconditionFailed"),
			"408": responseRef("RequestTimeout"), "413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "503": responseRef("Busy")})}
}

func deleteProfileOperation() obj {
	return obj{"summary": "Remove a layer's stored profile", "operationId": "deleteProfile", "tags": []string{"Edit"}, "security": bearerAuth,
		"description": "The layer's profile becomes the dataset description's again, or a generic one. If-Match as for PUT.",
		"parameters":  []obj{ref("collectionId"), ref("If-Match-profile")},
		"responses": securedResponses(obj{"200": profileResponse("The layer's profile now"),
			"400": responseRef("BadRequest"), "404": responseRef("NotFound"), "412": responseRef("PreconditionFailed"), "503": responseRef("Busy")})}
}

func profileResponse(desc string) obj {
	return obj{"description": desc, "headers": obj{"ETag": etagHeader}, "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/profile"}}}}
}

// profileSchema is geo.Profile's JSON.
func profileSchema() obj {
	str := obj{"type": "string"}
	strs := obj{"type": "array", "items": str}
	return obj{
		"type": "object", "required": []string{"kind"}, "additionalProperties": false, "properties": obj{
			"kind":          obj{"type": "string", "enum": []string{"reference", "areas", "events", "places", "generic"}},
			"noun":          obj{"type": "string", "description": "One feature, with its article, for messages (an attack)."},
			"geometry":      obj{"type": "string", "description": "The geometry type every feature has."},
			"required":      obj{"type": "array", "items": str, "description": "The properties every feature fills."},
			"time":          obj{"type": "string", "description": "The property that holds each feature's date (YYYY-MM-DD, or a date-time)."},
			"endTime":       obj{"type": "string", "description": "The property that holds each feature's last day."},
			"magnitude":     obj{"type": "string", "description": "The number that sizes a marker (killed, fatalities, best)."},
			"magnitudeLow":  str,
			"magnitudeHigh": str,
			"counts":        obj{"type": "array", "items": str, "description": "Properties that hold whole numbers of zero or more."},
			"categories": obj{"type": "array", "description": "Properties with a list of values, with their labels and colours; the first colours the markers.",
				"items": obj{"type": "object", "required": []string{"property", "values"}, "additionalProperties": false, "properties": obj{
					"property": str,
					"title":    obj{"type": "string", "description": "The property's name in legends and filters."},
					"values":   strs,
					"labels":   obj{"type": "object", "additionalProperties": str, "description": "A label per value."},
					"colors":   obj{"type": "object", "additionalProperties": obj{"type": "string", "pattern": "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"}, "description": "A CSS colour per value."},
					"open":     obj{"type": "boolean", "description": "The values are those known, not a rule: a feature may carry another (the categories an import builds)."},
				}}},
			"label":  obj{"type": "string", "description": "The property that names a feature on the map."},
			"popup":  obj{"type": "array", "items": str, "description": "The properties a popup shows, in order; none shows them all."},
			"source": obj{"type": "string", "description": "The property that cites where a feature comes from."},
		}}
}

// aggregateOperation is aggregate (aggregate.go): counts per country,
// hexagon cell or month of the features the items filters select.
func aggregateOperation() obj {
	return obj{"summary": "Counts and magnitude sums of a layer's features per country, hexagon cell or month",
		"operationId": "getAggregate", "tags": []string{"Data"},
		"description": "The features that bbox, datetime, filter and property filters (NAME=VALUE, any queryable, as for items) select, counted per group, one GeoJSON Feature per group with its count and, when the layer's profile has a magnitude, the sum of it (magnitude_sum, null when none of the group's features has one) and how many features have one (magnitude_count). " +
			"by=country: the country of the dataset's borders layer each point lies in (a point on an outline is in; the first country in the layer's order wins), the group being the borders feature (its id, geometry and properties); points in no country and features without a geometry are one group without an id or a geometry, last. " +
			"by=hex: flat-topped hexagons on the Web Mercator plane, size km from a cell's centre to its neighbour's (true at the equator, cos(latitude) of that on the ground); a cell's id is size:q:r in axial coordinates from lon 0, lat 0, the same in every answer, with its ground area in area_km2. " +
			"by=month: the month (YYYY-MM) of the profile's time property, groups without geometry in time order, months without features left out. " +
			"Groups come by count, largest first (months in time order). The work is one pass over the selected features; on a layer of more than 20,000 features it runs in the pool of heavy requests (503 when full). At most 50,000 groups: past that, a 400 naming size (hex) or by.",
		"parameters": []obj{ref("collectionId"),
			{"name": "by", "in": "query", "required": true, "schema": obj{"type": "string", "enum": aggregateBy}, "description": "What to count per: country (on the borders layer), hex (cells of size km) or month (of the profile's time; a layer without one is a 400)."},
			queryParam("size", "by=hex only, and needed there: the cells' width in km, from a centre to the next.", obj{"type": "number", "minimum": aggregate.MinHexKM, "maximum": aggregate.MaxHexKM}),
			ref("bbox"), ref("bbox-crs"), ref("datetime"), ref("filter"), ref("filter-lang"), ref("filter-crs"),
			queryParam("f", "", obj{"type": "string", "enum": []string{"json", "geojson"}})},
		"responses": obj{
			"200": obj{"description": "One feature per group", "content": obj{
				geoJSONType: obj{"schema": obj{"$ref": "#/components/schemas/aggregateCollection"}}}},
			"400": problemResponse, "404": problemResponse,
			"503": obj{"description": "On a layer of more than 20,000 features: the pool of requests that scan a whole layer was full, or this one ran past its time",
				"headers": obj{"Retry-After": obj{"description": "Seconds to wait before trying again", "schema": obj{"type": "integer"}}},
				"content": problemContent},
		}}
}

// aggregateSchema is the answer of aggregateOperation: a GeoJSON
// FeatureCollection whose members say what was counted.
func aggregateSchema() obj {
	str := obj{"type": "string"}
	count := obj{"type": "integer", "minimum": 0}
	return obj{"type": "object", "required": []string{"type", "layer", "by", "count", "numberReturned", "features", "links"}, "properties": obj{
		"type":            obj{"type": "string", "enum": []string{"FeatureCollection"}},
		"layer":           str,
		"by":              obj{"type": "string", "enum": aggregateBy},
		"size":            obj{"type": "number", "description": "by=hex: the cells' width in km."},
		"magnitude":       obj{"type": "string", "description": "The property summed (the profile's magnitude); absent when the layer has none, and so are the sums."},
		"count":           obj{"type": "integer", "minimum": 0, "description": "The features counted."},
		"magnitude_sum":   obj{"type": "number", "description": "The sum of their magnitudes; absent when none has one."},
		"magnitude_count": obj{"type": "integer", "minimum": 0, "description": "The features counted that have a magnitude."},
		"numberReturned":  obj{"type": "integer", "minimum": 0, "description": "The groups."},
		"timeStamp":       obj{"type": "string", "format": "date-time"},
		"links":           obj{"$ref": "#/components/schemas/links"},
		"features": obj{"type": "array", "items": obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
			"type":     obj{"type": "string", "enum": []string{"Feature"}},
			"id":       obj{"type": "string", "description": "The borders feature's id, the cell (size:q:r) or the month (YYYY-MM); absent for the group of features in none."},
			"geometry": obj{"$ref": "#/components/schemas/geometry"},
			"properties": obj{"type": "object", "required": []string{"count"}, "properties": obj{
				"count":           count,
				"magnitude_sum":   obj{"type": "number", "nullable": true},
				"magnitude_count": count,
				"month":           obj{"type": "string", "nullable": true},
				"q":               obj{"type": "integer", "nullable": true},
				"r":               obj{"type": "integer", "nullable": true},
				"area_km2":        obj{"type": "number", "nullable": true, "description": "The cell's area on the ground."},
			}, "additionalProperties": true, "description": "The group's count and sums, and what the group is: the borders feature's properties (name, iso_a3, ...), the cell's q, r and area_km2, or the month."},
		}}},
	}}
}
