// Package static holds the web pages served at "/": the HTML, scripts and
// style sheet of the offline Leaflet map and of its embeddable twin, the
// one map style (style.json), and the vendored Leaflet release and plugins
// under vendor/. Nothing in it is fetched from outside the server.
package static

import "embed"

// FS is the pages' files, rooted at this directory: index.html (the map),
// embed.html (the map for iframes), their scripts (state.js: the URL state
// and filters; map.js: layers and markers; app.js and embed.js: the two
// pages), style.css, style.json, ogc.css and ogc.js (the style and small
// maps of the API's HTML pages) and vendor/... . Serve it at "/" (for
// example with http.FileServerFS(static.FS)).
//
//go:embed index.html embed.html app.js embed.js map.js state.js style.css style.json ogc.css ogc.js vendor
var FS embed.FS
