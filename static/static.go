// Package static holds the web pages served at "/", all served from here and
// none fetched from outside: the offline Leaflet map and its embeddable twin,
// the one map style (style.json) and the vendored Leaflet and plugins (vendor/).
// It imports no package of the project.
package static

import "embed"

// FS is the pages' files, rooted at this directory: index.html (the map),
// embed.html (the map for iframes), their ES modules (*.js: app.js and
// embed.js import the rest; the top of each says what it holds),
// style.css, style.json, ogc.css and ogc.js (the style and small maps of
// the API's HTML pages) and vendor/... . package.json only tells node
// that the .js files are ES modules (for tests/static) and is not served.
// Serve it at "/" (for example with http.FileServerFS(static.FS)); the
// modules need their JavaScript content type, which Go's mime table gives
// .js.
//
//go:embed *.html *.js *.css style.json vendor
var FS embed.FS
