package server

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// openAPIDocument is /api/openapi of the test server, decoded.
func openAPIDocument(t *testing.T, s *Server) map[string]any {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	res := get(t, srv.URL+"/api/openapi", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /api/openapi: %d %s", res.status, res.body)
	}
	return decode(t, res.body)
}

// deref follows a local $ref (#/components/...) to what it names.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		next, ok := cur.(map[string]any)[part]
		if !ok {
			t.Fatalf("%s does not resolve", ref)
		}
		cur = next
	}
	return cur.(map[string]any)
}

func operation(doc map[string]any, path, method string) (map[string]any, bool) {
	item, ok := doc["paths"].(map[string]any)[path].(map[string]any)
	if !ok {
		return nil, false
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// routeVars names the router's path variables as the document does.
var routeVars = map[string]string{"collection": "collectionId", "feature": "featureId"}

// undeclaredRoutes are the /api routes the document leaves out, and why.
var undeclaredRoutes = map[string]string{
	"GET /api":  "the landing page of /api/ again, for clients that leave the slash off; OpenAPI paths start with /, and the server URL is /api",
	"HEAD /api": "the landing page of /api/ again",
}

// TestOpenAPIDeclaresEveryAPIRoute walks the routes of apiRoutes: each
// method of each route is an operation of the document (HEAD goes with
// GET), and each operation of the document is served, so neither can fall
// behind the other.
func TestOpenAPIDeclaresEveryAPIRoute(t *testing.T) {
	s, _ := newTestHandler(t)
	doc := openAPIDocument(t, s)
	r := mux.NewRouter()
	s.apiRoutes(r.PathPrefix("/api").Subrouter())
	// /render, declared at the root (a path item with its own servers).
	s.figureRoutes(r)

	varRE := regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)
	seen := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // the /api prefix of the subrouter
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("%s: a route without methods: %v", tpl, err)
			return nil
		}
		path := varRE.ReplaceAllStringFunc(strings.TrimPrefix(tpl, "/api"), func(v string) string {
			name := varRE.FindStringSubmatch(v)[1]
			if routeVars[name] == "" {
				t.Errorf("%s: name the path variable %q in routeVars", tpl, name)
			}
			return "{" + routeVars[name] + "}"
		})
		for _, m := range methods {
			key := m + " " + tpl
			seen[key] = true
			if _, ok := undeclaredRoutes[key]; ok {
				continue
			}
			want := m
			if m == http.MethodHead {
				want = http.MethodGet
			}
			if _, ok := operation(doc, path, want); !ok {
				t.Errorf("%s is served but the OpenAPI document has no %s %s", key, strings.ToLower(want), path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, why := range undeclaredRoutes {
		if !seen[key] {
			t.Errorf("%s is left out of the document (%s), but is no longer a route", key, why)
		}
	}

	// The other way: every operation declared is served.
	params := regexp.MustCompile(`\{[^}]+\}`)
	ops := 0
	for path, item := range doc["paths"].(map[string]any) {
		// A path item with servers of its own (/render) is at the root.
		prefix := "/api"
		if _, ok := item.(map[string]any)["servers"]; ok {
			prefix = ""
		}
		for method := range item.(map[string]any) {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"}, m) {
				continue
			}
			ops++
			req := httptest.NewRequest(m, prefix+params.ReplaceAllString(path, "x"), nil)
			var match mux.RouteMatch
			if !r.Match(req, &match) || match.MatchErr != nil {
				t.Errorf("the document declares %s %s, which no route serves", m, path)
			}
		}
	}
	if ops < 10 || len(seen) < 10 {
		t.Errorf("%d operations declared, %d routes walked: too few to mean anything", ops, len(seen))
	}
}

// TestOpenAPIDeclaresWrites checks what the document says of the writes,
// exports, backup and audit log against what edit.go, upload.go,
// export.go and history.go do.
func TestOpenAPIDeclaresWrites(t *testing.T) {
	s, _ := newTestHandler(t)
	doc := openAPIDocument(t, s)
	cases := []struct {
		name, method, path string
		secured            bool
		codes              []string
		params             []string
		body               []string            // request content types
		headers            map[string][]string // response headers, by status
	}{
		{name: "POST items creates a feature or imports a file", method: "POST", path: "/collections/{collectionId}/items", secured: true,
			codes:   []string{"200", "201", "400", "401", "403", "404", "408", "409", "413", "415", "503"},
			params:  []string{"collectionId", "mode", "dry-run", "skip-invalid", "profile", "columns", "encoding", "delimiter", "date-order", "id", "title", "description", "attribution"},
			body:    []string{"application/geo+json", "application/json", "text/csv", "application/vnd.google-earth.kml+xml"},
			headers: map[string][]string{"201": {"Location", "ETag"}, "401": {"WWW-Authenticate"}, "503": {"Retry-After"}}},
		{name: "POST on a layer's own items path", method: "POST", path: "/collections/attacks/items", secured: true,
			codes:   []string{"200", "201", "400", "401", "403", "404", "408", "409", "413", "415", "503"},
			params:  []string{"mode", "dry-run"},
			body:    []string{"application/geo+json", "text/csv"},
			headers: map[string][]string{"201": {"Location"}}},
		{name: "PUT replaces a feature if it matches", method: "PUT", path: "/collections/{collectionId}/items/{featureId}", secured: true,
			codes:   []string{"200", "400", "401", "403", "404", "408", "412", "413", "415", "503"},
			params:  []string{"collectionId", "featureId", "If-Match"},
			body:    []string{"application/geo+json"},
			headers: map[string][]string{"200": {"ETag"}}},
		{name: "PATCH is a merge patch", method: "PATCH", path: "/collections/{collectionId}/items/{featureId}", secured: true,
			codes:   []string{"200", "400", "401", "403", "404", "408", "412", "413", "415", "503"},
			params:  []string{"collectionId", "featureId", "If-Match"},
			body:    []string{"application/merge-patch+json"},
			headers: map[string][]string{"200": {"ETag"}}},
		{name: "DELETE is 204, 412 when stale", method: "DELETE", path: "/collections/{collectionId}/items/{featureId}", secured: true,
			codes:  []string{"204", "400", "401", "403", "404", "412", "503"},
			params: []string{"collectionId", "featureId", "If-Match"}},
		{name: "GET of a feature gives the ETag writes compare", method: "GET", path: "/collections/{collectionId}/items/{featureId}",
			codes:   []string{"200", "304", "400", "404"},
			params:  []string{"collectionId", "featureId", "f", "If-None-Match"},
			headers: map[string][]string{"200": {"ETag"}}},
		{name: "export is public, like reads", method: "GET", path: "/collections/{collectionId}/export",
			codes:   []string{"200", "304", "400", "404"},
			params:  []string{"collectionId", "f", "If-None-Match"},
			headers: map[string][]string{"200": {"ETag", "Content-Disposition"}}},
		{name: "backup needs a token", method: "GET", path: "/backup", secured: true,
			codes:   []string{"200", "400", "401", "403"},
			headers: map[string][]string{"200": {"Content-Disposition"}}},
		{name: "history needs a token", method: "GET", path: "/history", secured: true,
			codes:  []string{"200", "400", "401", "403"},
			params: []string{"layer", "feature", "actor", "since", "limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, ok := operation(doc, c.path, c.method)
			if !ok {
				t.Fatalf("no %s %s in the document", c.method, c.path)
			}
			sec, _ := op["security"].([]any)
			switch {
			case c.secured && (len(sec) != 1 || sec[0].(map[string]any)["bearerAuth"] == nil):
				t.Errorf("security %v, want [{bearerAuth: []}]", op["security"])
			case !c.secured && op["security"] != nil:
				t.Errorf("security %v on a public operation", op["security"])
			}
			responses := op["responses"].(map[string]any)
			var codes []string
			for code := range responses {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			if !slices.Equal(codes, c.codes) {
				t.Errorf("responses %v, want %v", codes, c.codes)
			}
			var params []string
			list, _ := op["parameters"].([]any)
			for _, p := range list {
				params = append(params, deref(t, doc, p)["name"].(string))
			}
			for _, p := range c.params {
				if !slices.Contains(params, p) {
					t.Errorf("parameters %v lack %s", params, p)
				}
			}
			if len(c.body) > 0 {
				content := deref(t, doc, op["requestBody"])["content"].(map[string]any)
				for _, typ := range c.body {
					if content[typ] == nil {
						t.Errorf("the request body is not declared as %s", typ)
					}
				}
			}
			for code, names := range c.headers {
				h, _ := deref(t, doc, responses[code])["headers"].(map[string]any)
				for _, name := range names {
					if h[name] == nil {
						t.Errorf("%s does not declare the header %s", code, name)
					}
				}
			}
		})
	}
	t.Run("bearerAuth is an http bearer scheme", func(t *testing.T) {
		sch, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["bearerAuth"].(map[string]any)
		if sch["type"] != "http" || sch["scheme"] != "bearer" {
			t.Errorf("bearerAuth %v", sch)
		}
		if doc["security"] != nil {
			t.Errorf("a document-wide security requirement %v: reads are public", doc["security"])
		}
	})
	t.Run("every error is a problem", func(t *testing.T) {
		for path, item := range doc["paths"].(map[string]any) {
			for method, op := range item.(map[string]any) {
				if method == "servers" || method == "parameters" {
					continue // not an operation
				}
				for code, resp := range op.(map[string]any)["responses"].(map[string]any) {
					if code[0] != '4' && code[0] != '5' {
						continue
					}
					content, _ := deref(t, doc, resp)["content"].(map[string]any)
					if len(content) != 1 || content["application/problem+json"] == nil {
						t.Errorf("%s %s %s: content %v, want application/problem+json", method, path, code, content)
					}
				}
			}
		}
	})
}
