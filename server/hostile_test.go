package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestRepeatedNames: names given again in properties and sortby are kept
// once, and lists longer than the layer could need are a 400 naming the
// parameter, not a 658 MB body or a 500 from SQLite.
func TestRepeatedNames(t *testing.T) {
	srv, _ := newTestServer(t)
	items := srv.URL + "/api/collections/attacks/items"
	t.Run("properties given twice are written once", func(t *testing.T) {
		res := get(t, items+"?properties=city,killed,city", nil)
		if res.status != 200 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		if n := bytes.Count(res.body, []byte(`"city":`)); n != 3 {
			t.Errorf("%d city keys for 3 features:\n%s", n, res.body)
		}
		if !bytes.Contains(res.body, []byte(`"properties":{"city":"Jalalabad","killed":33}`)) {
			t.Errorf("properties not in first-seen order:\n%s", res.body)
		}
	})
	t.Run("a sort key given twice counts once", func(t *testing.T) {
		res := get(t, items+"?sortby=-killed,killed,-killed", nil)
		if res.status != 200 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		if i, j := bytes.Index(res.body, []byte("kabul-airport")), bytes.Index(res.body, []byte("kerman")); i < 0 || j < i {
			t.Errorf("not sorted by -killed:\n%s", res.body)
		}
	})
	for _, c := range []struct{ name, query, param string }{
		{"a URL of one property repeated", "properties=" + strings.Repeat("city,", 4000) + "city", "properties"},
		{"2,000 sort keys", "sortby=" + strings.Repeat("killed,", 1999) + "killed", "sortby"},
		{"more sort keys than properties", "sortby=id,date,city,killed,wounded,source_url,id", "sortby"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, items+"?"+c.query, nil)
			if res.status != 400 || res.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s: %.300s", res.status, res.header.Get("Content-Type"), res.body)
			}
			if doc := decode(t, res.body); !strings.Contains(doc["detail"].(string), c.param) {
				t.Errorf("detail %q does not name %s", doc["detail"], c.param)
			}
		})
	}
}
