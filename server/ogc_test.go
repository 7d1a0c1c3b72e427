package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// ids are the feature ids of an items response, in order.
func ids(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, f := range decode(t, body)["features"].([]any) {
		switch id := f.(map[string]any)["id"].(type) {
		case string:
			out = append(out, id)
		case float64:
			out = append(out, strconv.FormatFloat(id, 'f', -1, 64))
		}
	}
	return out
}

func TestQueries(t *testing.T) {
	srv, _ := newTestServer(t)
	const (
		jalalabad = "2015-04-18-jalalabad-bank"
		kabul     = "2021-08-26-kabul-airport"
		kerman    = "2024-01-03-kerman"
	)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"property equality", "city=Kabul", []string{kabul}},
		{"integer property", "killed=95", []string{kerman}},
		{"two properties", "city=Kabul&killed=183", []string{kabul}},
		{"no match", "city=Herat", nil},
		{"datetime instant", "datetime=2021-08-26", []string{kabul}},
		{"datetime instant as a timestamp", "datetime=2021-08-26T13:50:00Z", []string{kabul}},
		{"datetime closed interval", "datetime=2015-01-01/2021-12-31", []string{jalalabad, kabul}},
		{"datetime open start", "datetime=../2020-01-01", []string{jalalabad}},
		{"datetime open end", "datetime=2021-08-26/..", []string{kabul, kerman}},
		{"datetime empty end", "datetime=2022-01-01/", []string{kerman}},
		{"datetime days as GDAL writes them", "datetime=2021-01-01T/2021-12-31T", []string{kabul}},
		{"sortby descending", "sortby=-killed", []string{kabul, kerman, jalalabad}},
		{"sortby ascending with plus", "sortby=%2Bdate", []string{jalalabad, kabul, kerman}},
		{"sortby two keys", "sortby=city,-date", []string{jalalabad, kabul, kerman}},
		{"cql2 comparison", "filter=killed>=90", []string{kabul, kerman}},
		{"cql2 with and", "filter=killed>=90+AND+city<>'Kabul'", []string{kerman}},
		{"cql2 is null", "filter=wounded+IS+NULL", []string{kabul}},
		{"cql2 like", "filter=city+LIKE+'K%25'", []string{kabul, kerman}},
		{"cql2 in", "filter=city+IN+('Kerman','Jalalabad')", []string{jalalabad, kerman}},
		{"cql2 between", "filter=killed+BETWEEN+30+AND+100", []string{jalalabad, kerman}},
		{"cql2 s_intersects bbox", "filter=S_INTERSECTS(geometry,BBOX(68,33,71,35))", []string{jalalabad, kabul}},
		{"cql2 t_after", "filter=T_AFTER(date,DATE('2021-08-26'))", []string{kerman}},
		{"filter with datetime and bbox", "filter=killed>50&datetime=2020-01-01/..&bbox=60,30,75,40", []string{kabul}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := get(t, srv.URL+"/api/collections/attacks/items?"+c.query, nil)
			if res.status != 200 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			got := ids(t, res.body)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if n := decode(t, res.body)["numberMatched"].(float64); int(n) != len(c.want) {
				t.Errorf("numberMatched %v, want %d", n, len(c.want))
			}
		})
	}
	t.Run("properties chooses what is returned", func(t *testing.T) {
		res := get(t, srv.URL+"/api/collections/attacks/items?properties=city,killed&limit=1", nil)
		p := decode(t, res.body)["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
		if len(p) != 2 || p["city"] != "Jalalabad" || p["killed"] != 33.0 {
			t.Errorf("properties %v", p)
		}
	})
}

func TestQueryErrors(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct{ name, query, param string }{
		{"datetime not a date", "datetime=yesterday", "datetime"},
		{"datetime backwards", "datetime=2021-01-01/2020-01-01", "datetime"},
		{"datetime three parts", "datetime=2020-01-01/2021-01-01/2022-01-01", "datetime"},
		{"datetime open instant", "datetime=..", "datetime"},
		{"sortby unknown property", "sortby=-colour", "sortby"},
		{"properties unknown", "properties=city,colour", "properties"},
		{"integer filter not a number", "killed=many", "killed"},
		{"filter syntax error says where", "filter=killed+>>+5", "character"},
		{"filter on an unknown property", "filter=colour='red'", "colour"},
		{"filter-lang cql2-json", "filter-lang=cql2-json&filter=%7B%7D", "filter-lang"},
		{"bbox-crs other than CRS84", "bbox-crs=EPSG:3857&bbox=1,2,3,4", "bbox-crs"},
		{"datetime on a layer without dates", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/api/collections/attacks/items?" + c.query
			if c.query == "" {
				path, c.param = "/api/collections/regions/items?datetime=2020-01-01", "datetime"
			}
			res := get(t, srv.URL+path, nil)
			if res.status != 400 || res.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s: %s", res.status, res.header.Get("Content-Type"), res.body)
			}
			if d := decode(t, res.body)["detail"].(string); !strings.Contains(d, c.param) {
				t.Errorf("detail %q does not name %q", d, c.param)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	srv, store := newTestServer(t)
	cases := []struct {
		name, path, accept, wantType, wantBody string
	}{
		{"json by default", "/api/collections/attacks/items", "", "application/geo+json", `"FeatureCollection"`},
		{"html for browsers", "/api/collections/attacks/items", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8", "2021-08-26-kabul-airport"},
		{"f beats Accept", "/api/collections/attacks/items?f=json", "text/html", "application/geo+json", `"FeatureCollection"`},
		{"csv", "/api/collections/attacks/items?f=csv&sortby=date", "", "text/csv; charset=utf-8", "id,longitude,latitude,date,city,killed,wounded,source_url\n2015-04-18-jalalabad-bank,70.45153,34.42647,2015-04-18,Jalalabad,33,100,"},
		{"csv by Accept", "/api/collections/attacks/items", "text/csv", "text/csv; charset=utf-8", "id,longitude"},
		{"kml", "/api/collections/attacks/items?f=kml", "", "application/vnd.google-earth.kml+xml", "<Placemark>"},
		{"polygon csv has wkt", "/api/collections/regions/items?f=csv", "", "text/csv; charset=utf-8", "id,wkt,name,approximation\n1,\"POLYGON((60 30,70 30,70 38,60 38,60 30))\",box,true\n"},
		{"html landing", "/api/?f=html", "", "text/html; charset=utf-8", "service-desc"},
		{"html collections", "/api/collections?f=html", "", "text/html; charset=utf-8", "Attacks"},
		{"html collection", "/api/collections/attacks?f=html", "", "text/html; charset=utf-8", "credit for attacks"},
		{"html feature", "/api/collections/attacks/items/2024-01-03-kerman?f=html", "", "text/html; charset=utf-8", "Kerman"},
		{"html queryables", "/api/collections/attacks/queryables?f=html", "", "text/html; charset=utf-8", "killed"},
		{"html conformance", "/api/conformance?f=html", "", "text/html; charset=utf-8", "conf/core"},
		{"openapi", "/api/openapi", "", "application/vnd.oai.openapi+json;version=3.0", `"openapi":"3.0.3"`},
		{"openapi declares property filters", "/api/openapi", "", "application/vnd.oai.openapi+json;version=3.0", `"/collections/attacks/items"`},
		{"openapi html", "/api/openapi?f=html", "", "text/html; charset=utf-8", "/collections/{collectionId}/items"},
		{"openapi html lists every method", "/api/openapi?f=html", "", "text/html; charset=utf-8", "<td>delete</td><td>Delete a feature (bearer token)</td>"},
		{"queryables", "/api/collections/attacks/queryables", "", "application/schema+json", `"killed":{"type":"integer"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.accept != "" {
				h["Accept"] = c.accept
			}
			res := get(t, srv.URL+c.path, h)
			if res.status != 200 || res.header.Get("Content-Type") != c.wantType {
				t.Fatalf("got %d %q, want %q\n%s", res.status, res.header.Get("Content-Type"), c.wantType, res.body)
			}
			if !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("body lacks %q:\n%.600s", c.wantBody, res.body)
			}
		})
	}
	t.Run("kml is well-formed XML", func(t *testing.T) {
		res := get(t, srv.URL+"/api/collections/regions/items?f=kml", nil)
		var doc struct {
			Placemarks []struct {
				Name string `xml:"name"`
			} `xml:"Document>Placemark"`
		}
		if err := xml.Unmarshal(res.body, &doc); err != nil || len(doc.Placemarks) != 1 || doc.Placemarks[0].Name != "box" {
			t.Errorf("%+v, %v\n%s", doc, err, res.body)
		}
	})
	t.Run("html escapes data", func(t *testing.T) {
		evil := `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"</script><script>alert(1)</script>","note":"<b>bold</b> & co"}}`
		if _, err := store.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "evil"}, []byte(evil)); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/collections/evil/items?f=html", "/api/collections/evil/items/1?f=html"} {
			body := string(get(t, srv.URL+path, nil).body)
			if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>bold</b>") {
				t.Errorf("%s: data reached the page as markup:\n%s", path, body)
			}
			if !strings.Contains(body, "&lt;b&gt;bold&lt;/b&gt; &amp; co") {
				t.Errorf("%s: the escaped text is missing", path)
			}
		}
	})
}

func TestHTTPCaching(t *testing.T) {
	srv, _ := newTestServer(t)
	url := srv.URL + "/api/collections/attacks/items?limit=2"
	first := get(t, url, nil)
	etag := first.header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag %q, want a strong one", etag)
	}
	if cc := first.header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age") {
		t.Errorf("Cache-Control %q", cc)
	}
	if again := get(t, url, nil); again.header.Get("ETag") != etag {
		t.Errorf("the same data gave another ETag: %q, %q", again.header.Get("ETag"), etag)
	}
	cases := map[string]struct {
		header map[string]string
		status int
	}{
		"matching tag":               {map[string]string{"If-None-Match": etag}, 304},
		"one of several tags":        {map[string]string{"If-None-Match": `"x", ` + etag}, 304},
		"another tag":                {map[string]string{"If-None-Match": `"other"`}, 200},
		"star":                       {map[string]string{"If-None-Match": "*"}, 304},
		"gzip tag of the same state": {map[string]string{"If-None-Match": strings.TrimSuffix(etag, `"`) + `-gzip"`, "Accept-Encoding": "gzip"}, 304},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res := get(t, url, c.header)
			if res.status != c.status {
				t.Errorf("status %d, want %d", res.status, c.status)
			}
			if c.status == 304 && len(res.body) != 0 {
				t.Errorf("304 with a body")
			}
		})
	}
	t.Run("errors are not cached", func(t *testing.T) {
		res := get(t, srv.URL+"/api/collections/nope", nil)
		if res.header.Get("ETag") != "" || res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("ETag %q, Cache-Control %q", res.header.Get("ETag"), res.header.Get("Cache-Control"))
		}
	})
	t.Run("CORS for any origin", func(t *testing.T) {
		res := get(t, url, map[string]string{"Origin": "https://notebook.example"})
		if res.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("Access-Control-Allow-Origin %q", res.header.Get("Access-Control-Allow-Origin"))
		}
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		req.Header.Set("Origin", "https://notebook.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		pre, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		pre.Body.Close()
		if pre.StatusCode != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("preflight %d %v", pre.StatusCode, pre.Header)
		}
	})
}

func TestItemsCacheFollowsTheData(t *testing.T) {
	srv, store := newTestServer(t)
	url := srv.URL + "/api/collections/attacks/items?limit=5"
	if n := decode(t, get(t, url, nil).body)["numberMatched"]; n != 3.0 {
		t.Fatalf("numberMatched %v", n)
	}
	if n := decode(t, get(t, url, nil).body)["numberMatched"]; n != 3.0 {
		t.Fatalf("numberMatched from the cache %v", n)
	}
	one := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"city":"Kabul"}}]}`
	if _, err := store.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "attacks"}, []byte(one)); err != nil {
		t.Fatal(err)
	}
	if n := decode(t, get(t, url, nil).body)["numberMatched"]; n != 1.0 {
		t.Errorf("after an import, numberMatched %v, want 1", n)
	}
}

// /api answered a 301 with the relative Location "api/", and QGIS 3.22's
// OGC API provider crashed on it. /api is the landing page itself now,
// the same as /api/, with absolute links that resolve alike from both.
func TestLandingWithoutTheSlash(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, f := range []string{"", "?f=json", "?f=html"} {
		slash, slashBody := roundTrip(t, "GET", srv.URL+"/api/"+f, "Accept-Encoding", "identity")
		bare, bareBody := roundTrip(t, "GET", srv.URL+"/api"+f, "Accept-Encoding", "identity")
		if bare.StatusCode != 200 || bare.Header.Get("Location") != "" {
			t.Fatalf("/api%s: %d, Location %q", f, bare.StatusCode, bare.Header.Get("Location"))
		}
		if !bytes.Equal(bareBody, slashBody) || bare.Header.Get("ETag") != slash.Header.Get("ETag") || bare.Header.Get("Content-Type") != slash.Header.Get("Content-Type") {
			t.Errorf("/api%s differs from /api/%s: %s %q\n%s", f, f, bare.Header.Get("Content-Type"), bareBody, slashBody)
		}
		if f == "?f=html" {
			continue
		}
		var doc struct{ Links []link }
		if err := json.Unmarshal(bareBody, &doc); err != nil || len(doc.Links) == 0 {
			t.Fatalf("/api%s: %v %s", f, err, bareBody)
		}
		for _, l := range doc.Links {
			if !strings.HasPrefix(l.Href, srv.URL+"/api/") {
				t.Errorf("/api%s: link %q is not absolute under %s/api/", f, l.Href, srv.URL)
			}
		}
	}
}
