package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden pins the JSON documents clients parse. Run
// go test ./server -run TestGolden -update after a deliberate change.
func TestGolden(t *testing.T) {
	srv, _ := newTestServer(t, Config{BaseURL: "https://maps.example.org"})
	cases := map[string]string{
		"landing":     "/api/",
		"conformance": "/api/conformance",
		"collections": "/api/collections",
		"collection":  "/api/collections/attacks",
		"items":       "/api/collections/attacks/items?limit=2&sortby=-killed",
		"item":        "/api/collections/attacks/items/2024-01-03-kerman",
		"queryables":  "/api/collections/attacks/queryables",
	}
	// The time of the last change differs on every run.
	stamp := regexp.MustCompile(`"(timeStamp|updated)":"[^"]*"`)
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			res := get(t, srv.URL+path, nil)
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, stamp.ReplaceAll(res.body, []byte(`"$1":"(time of the last change)"`)), "", "  "); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from %s; got:\n%s", path, golden, pretty.Bytes())
			}
		})
	}
}
