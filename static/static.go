// Package static holds the web page served at "/": the HTML, script and
// style sheet of the offline Leaflet map, and the vendored Leaflet release
// under vendor/. Nothing in it is fetched from outside the server.
package static

import "embed"

// FS is the page's files, rooted at this directory: index.html, app.js,
// style.css and vendor/leaflet/... . Serve it at "/" (for example with
// http.FileServerFS(static.FS)).
//
//go:embed index.html app.js style.css style.json vendor
var FS embed.FS
