package server

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is the whole HTTP surface, in one place.
func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.methodNotAllowed(w, req, allowedMethods(r, req))
	})
	get := []string{http.MethodGet, http.MethodHead}
	// Tells s.metrics.instrument which route matched (metrics.go).
	r.Use(routeTemplate)
	// Refuses queries url.Query would misread (query.go).
	r.Use(s.strictQuery)

	// OGC API - Features, first: most requests are its.
	s.apiRoutes(r.PathPrefix("/api").Subrouter())

	r.Handle("/healthz", s.handle(s.healthz)).Methods(get...)
	r.HandleFunc("/metrics", s.metrics.serveMetrics).Methods(get...)

	// Tiles (tiles/): vector tiles of any layers, their TileJSON, the
	// offline basemap, and the page's tile settings.
	tl := s.newTiles()
	s.tileCache = tl.cache
	r.Handle("/tiles/{layers}.json", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return tl.tileJSON(w, r, mux.Vars(r)["layers"])
	})).Methods(get...)
	r.Handle("/tiles/{layers}/{z}/{x}/{file}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		v := mux.Vars(r)
		req, err := parseTilePath(v["layers"], v["z"], v["x"], v["file"])
		if err != nil {
			return err
		}
		return tl.tile(w, r, req)
	})).Methods(get...)
	r.Handle("/config.json", s.handle(tl.pageConfig)).Methods(get...)

	// Static maps (figure.Renderer) and the page for iframes.
	s.figureRoutes(r)
	r.Handle("/embed", s.handle(s.embed)).Methods(get...).Name(embedRoute)

	// The page.
	r.PathPrefix("/").Handler(s.static()).Methods(get...).Name(pageRoute)

	return s.logRequests(s.metrics.instrument(s.securityHeaders(s.recoverPanics(s.timeout(cors(headAsGet(s.gzipResponses(etags(r)))))))))
}

// figureRoutes is /render, which openapi.go declares at the root
// (figurePaths); TestOpenAPIDeclaresEveryAPIRoute walks it with apiRoutes.
func (s *Server) figureRoutes(r *mux.Router) {
	rs := s.newRender()
	if ag := s.aggregates; ag != nil {
		rs.figures.Countries = &ag.countries
	}
	r.Handle("/render", s.handle(rs.render)).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
}

// apiRoutes is the OGC API - Features under /api, reads and writes.
// openapi.go declares each of them; TestOpenAPIDeclaresEveryAPIRoute
// walks these routes to hold the two together.
func (s *Server) apiRoutes(api *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	// The routes most requests take first: mux tries each route's
	// regexp in turn, and the nine that were before them took a tenth
	// of a single feature's CPU.
	api.Handle("/collections/{collection}/items/{feature}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		v := mux.Vars(r)
		return s.item(w, r, v["collection"], v["feature"])
	})).Methods(get...)
	api.Handle("/collections/{collection}/items", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.items(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)
	// The landing page at /api as well as /api/: QGIS 3.22's OGC API
	// provider crashed on the relative redirect /api used to answer. Its
	// links are absolute, so they resolve the same from either.
	api.Handle("", s.handle(s.landing)).Methods(get...)
	api.Handle("/", s.handle(s.landing)).Methods(get...)
	api.Handle("/conformance", s.handle(s.conformance)).Methods(get...)
	api.Handle("/openapi", s.handle(s.openapi)).Methods(get...)
	api.Handle("/collections", s.handle(s.collections)).Methods(get...)
	api.Handle("/collections/{collection}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.collection(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)
	api.Handle("/collections/{collection}/queryables", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.queryables(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)
	api.Handle("/collections/{collection}/profile", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.profile(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)
	// Counts per country, hexagon cell or month (aggregate.go).
	ag := s.newAggregates()
	s.aggregates = ag // figures share its borders in memory
	api.Handle("/collections/{collection}/aggregate", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return ag.aggregate(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)

	// Writes (OGC API - Features Part 4, edit.go), file imports
	// (upload.go), whole-layer exports and backups (export.go) and the
	// audit log (history.go). Writes need a bearer token from serve
	// --token-file (tokens.go).
	api.Handle("/collections/{collection}/items", s.authorized(func(w http.ResponseWriter, r *http.Request, actor string) error {
		return s.postItems(w, r, actor, mux.Vars(r)["collection"])
	})).Methods(http.MethodPost)
	api.Handle("/collections/{collection}/items/{feature}", s.authorized(func(w http.ResponseWriter, r *http.Request, actor string) error {
		v := mux.Vars(r)
		switch r.Method {
		case http.MethodPut:
			return s.putItem(w, r, actor, v["collection"], v["feature"])
		case http.MethodPatch:
			return s.patchItem(w, r, actor, v["collection"], v["feature"])
		}
		return s.deleteItem(w, r, actor, v["collection"], v["feature"])
	})).Methods(http.MethodPut, http.MethodPatch, http.MethodDelete)
	api.Handle("/collections/{collection}/profile", s.authorized(func(w http.ResponseWriter, r *http.Request, actor string) error {
		if r.Method == http.MethodDelete {
			return s.deleteProfile(w, r, actor, mux.Vars(r)["collection"])
		}
		return s.putProfile(w, r, actor, mux.Vars(r)["collection"])
	})).Methods(http.MethodPut, http.MethodDelete)
	api.Handle("/collections/{collection}/export", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.export(w, r, mux.Vars(r)["collection"])
	})).Methods(get...)
	api.Handle("/backup", s.authorized(s.backup)).Methods(get...)
	api.Handle("/history", s.authorized(s.history)).Methods(get...)
}
