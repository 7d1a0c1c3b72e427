package static

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var (
	importRE = regexp.MustCompile(`(?m)^import [^'"]*['"]([^'"]+)['"];`)
	scriptRE = regexp.MustCompile(`<script\b[^>]*\bsrc="([^"]+)"[^>]*>`)
)

// TestModulesServed: every module a page loads, and every module those
// import, is in FS and served as JavaScript (a browser refuses a module
// of another type); package.json, for node only, is not served.
func TestModulesServed(t *testing.T) {
	srv := httptest.NewServer(http.FileServerFS(FS))
	defer srv.Close()

	want := map[string]string{} // file → who loads it
	for _, page := range []string{"index.html", "embed.html"} {
		b, err := fs.ReadFile(FS, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scriptRE.FindAllStringSubmatch(string(b), -1) {
			want[m[1]] = page
		}
	}
	// Follow the imports, module by module, until none is new.
	queue := make([]string, 0, len(want))
	for file := range want {
		queue = append(queue, file)
	}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if !strings.HasSuffix(file, ".js") || strings.HasPrefix(file, "vendor/") {
			continue
		}
		b, err := fs.ReadFile(FS, file)
		if err != nil {
			t.Fatalf("%s (loaded by %s) is not in FS: %v", file, want[file], err)
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q: only modules of this directory are served", file, m[1])
				continue
			}
			dep := strings.TrimPrefix(m[1], "./")
			if _, seen := want[dep]; !seen {
				want[dep] = file
				queue = append(queue, dep)
			}
		}
	}
	// Every module here is loaded by a page, but ogc.js, which the API's
	// HTML pages (server/templates) load.
	modules, err := fs.Glob(FS, "*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range modules {
		if _, ok := want[file]; !ok && file != "ogc.js" {
			t.Errorf("%s is loaded by no page", file)
		}
	}
	for file, by := range want {
		res, err := http.Get(srv.URL + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("%s (loaded by %s): %d %q, want 200 text/javascript", file, by, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	res, err := http.Get(srv.URL + "/package.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("package.json: %d, want 404 (it is for node, not for the page)", res.StatusCode)
	}
}
