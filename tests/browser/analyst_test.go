package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tests/testserver"
)

// questions are the analyst's questions of issue 6, each as a CQL2 filter
// on the attacks layer. The expected counts come from the database with
// these filters, written independently of the page's own filter code.
var questions = map[string]string{
	"total":       "",
	"y2021":       "date >= DATE('2021-01-01') AND date <= DATE('2021-12-31')",
	"y2021_2022":  "date >= DATE('2021-01-01') AND date <= DATE('2022-12-31')",
	"claimed":     "attribution = 'claimed'",
	"claimed50":   "attribution = 'claimed' AND killed >= 50",
	"over50":      "killed > 50",
	"kabul":       "name LIKE '%Kabul%' OR city LIKE '%Kabul%'",
	"shia_mosque": "target LIKE '%Shia mosque%'",
	"iran_russia": "country IN ('Iran', 'Russia')",
	"afghanistan": "country = 'Afghanistan'",
	"suicide":     "attack_type LIKE '%suicide%'",
}

// TestAnalystPage runs analyst.test.mjs (the map page: timeline, filters,
// table, URL state, downloads, share panel, keyboard, phone and print) and
// embed.test.mjs (embed.html in an iframe of a page on another port).
func TestAnalystPage(t *testing.T) {
	needBrowser(t)
	bin := testserver.Build(t)
	srv := testserver.Start(t, bin, filepath.Join(t.TempDir(), "khorasan.gpkg"))
	expected := expectedCounts(t, srv.DB)

	// Another origin (another port) holding the embed page in an iframe:
	// /frame?src=URL frames URL; /paste?html=SNIPPET is a page made of
	// the snippet as given, as a person pasting it into their site.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var body string
		switch r.URL.Path {
		case "/frame":
			body = fmt.Sprintf(`<iframe id="map" src="%s" width="800" height="500" style="border:0" title="map"></iframe>`, html.EscapeString(r.URL.Query().Get("src")))
		case "/paste":
			body = r.URL.Query().Get("html")
		default:
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<!doctype html><html lang=en><head><meta charset=utf-8><title>A report</title></head><body><h1>A report</h1>%s</body></html>", body)
	}))
	defer other.Close()

	want, err := json.Marshal(expected)
	if err != nil {
		t.Fatal(err)
	}
	runNode(t, 4*time.Minute, []string{"KHORASAN_URL=" + srv.URL, "OTHER_ORIGIN=" + other.URL, "EXPECTED=" + string(want)}, "analyst.test.mjs", "embed.test.mjs")
}

// expectedCounts: for each question, the number of attacks and the sum of
// their killed, straight from the GeoPackage.
func expectedCounts(t *testing.T, db string) map[string][2]int64 {
	t.Helper()
	ctx := context.Background()
	store, err := gpkg.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	out := map[string][2]int64{}
	for name, text := range questions {
		var q geo.Query
		if text != "" {
			e, err := cql2.Parse(text)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			q.Filter = e
		}
		n, err := store.Count(ctx, "attacks", q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var killed int64
		err = store.Features(ctx, "attacks", q, func(f geo.Feature) error {
			switch k := f.Properties["killed"].(type) {
			case int64:
				killed += k
			case float64:
				killed += int64(k)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n == 0 {
			t.Fatalf("question %s (%s) matches nothing in the default data: the test would prove nothing", name, text)
		}
		out[name] = [2]int64{n, killed}
	}
	return out
}
