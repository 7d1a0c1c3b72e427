package hostile

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
)

// The generated part of the corpus: every endpoint × its parameters ×
// bad values. Names are the endpoint, the parameter and the value's
// kind, so that a failure says which.

// The layers of the default data and a feature of each kind.
var (
	layers  = []string{"attacks", "cities", "borders", "khorasan"}
	feature = "/api/collections/attacks/items/2015-04-18-jalalabad-bank"
)

// bad is a value and what it is.
type bad struct{ kind, value string }

var (
	badBBox = []bad{
		{"three-numbers", "1,2,3"}, {"letters", "a,b,c,d"}, {"five-numbers", "1,2,3,4,5"}, {"seven-numbers", "1,2,3,4,5,6,7"},
		{"empty", ""}, {"commas", ",,,"}, {"lon-past-180", "200,0,210,10"}, {"lat-past-90", "0,-100,10,100"},
		{"min-lon-over-max", "10,0,0,10"}, {"min-lat-over-max", "0,10,10,0"}, {"nan", "NaN,0,1,1"}, {"inf", "Inf,0,1,1"},
		{"overflow", "1e400,0,1,1"}, {"hex", "0x10,0,1,1"}, {"invalid-utf8", "%ff,0,1,1"}, {"nul", "%00,0,1,1"},
		{"huge-list", "{{rep 5000 1,}}1"},
	}
	badLimit = []bad{
		{"negative", "-1"}, {"zero", "0"}, {"exponent", "1e99"}, {"past-int64", "99999999999999999999"}, {"letters", "abc"},
		{"empty", ""}, {"fraction", "1.5"}, {"hex", "0x10"}, {"invalid-utf8", "%ff"},
	}
	badOffset = []bad{{"negative", "-1"}, {"letters", "abc"}, {"exponent", "1e9"}, {"past-int64", "99999999999999999999"}, {"empty", ""}}
	badCRS    = []bad{{"word", "x"}, {"epsg", "EPSG:4326"}, {"empty", ""}, {"huge", "{{rep 20000 x}}"}}
	badDate   = []bad{
		{"garbage", "garbage"}, {"month-13", "2020-13-45"}, {"three-parts", "2020-01-01/2021-01-01/2022-01-01"},
		{"ends-before-start", "2021-01-01/2020-01-01"}, {"open-instant", ".."}, {"empty", ""}, {"hour-25", "2021-01-01T25:00:00Z"},
		{"year-0", "0000-00-00"}, {"huge", "{{rep 20000 2}}"},
	}
	badFilter = []bad{
		{"unbalanced", "(killed>1"}, {"dangling-op", "killed%20%3E"}, {"closing", "))"}, {"unterminated-string", "name%20%3D%20%27x"},
		{"bad-point", "S_INTERSECTS(geom,POINT(1))"}, {"dangling-and", "killed%20%3D%201%20AND"}, {"invalid-utf8", "%ff"},
		{"nested-2000", "{{rep 2000 (}}"}, {"not-5000", "{{rep 5000 NOT%20}}x%3D1"}, {"past-64KiB", "{{rep 67000 x}}"},
		{"equals", "%3D"}, {"nul", "%00"},
	}
	badFilterLang = []bad{{"word", "x"}, {"cql2-json", "cql2-json"}, {"empty", ""}}
	badSortBy     = []bad{{"unknown", "nope"}, {"minus-unknown", "-nope"}, {"plus-alone", "%2B"}, {"minus-alone", "-"},
		{"empty", ""}, {"commas", ",,"}, {"nul", "%00"}, {"sql", "id%3Bdrop%20table%20x"}}
	badProperties = []bad{{"unknown", "nope"}, {"one-unknown", "id,nope"}, {"nul", "%00"}, {"sql", "name%22%20FROM%20x"}}
	badF          = []bad{{"xml", "xml"}, {"empty", ""}, {"upper", "JSON"}, {"invalid-utf8", "%ff"}, {"huge", "{{rep 20000 f}}"}}
	// A parameter whose value cannot be unescaped: url.Query drops such
	// pairs silently, so a filter would be ignored.
	badEscape = "%zz"
)

// valid is a good value for each items parameter, to repeat.
var valid = map[string]string{
	"bbox": "60,25,75,40", "bbox-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "limit": "5", "offset": "0",
	"datetime": "2020-01-01", "filter": "id%20IS%20NOT%20NULL", "filter-lang": "cql2-text",
	"filter-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "sortby": "id", "properties": "name", "f": "json",
}

var itemsParams = []string{"bbox", "bbox-crs", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs", "sortby", "properties", "f"}

func generated() []Case {
	var cs []Case
	cs = append(cs, itemsCases()...)
	cs = append(cs, aggregateCases()...)
	cs = append(cs, documentCases()...)
	cs = append(cs, tileCases()...)
	cs = append(cs, renderCases()...)
	cs = append(cs, writeCases()...)
	return cs
}

func itemsCases() []Case {
	var cs []Case
	for _, l := range layers {
		base := "/api/collections/" + l + "/items"
		add := func(param string, values []bad) {
			for _, b := range values {
				cs = append(cs, Case{Name: fmt.Sprintf("items/%s/%s/%s", l, param, b.kind),
					Target: base + "?" + param + "=" + b.value, Expect: "400", Param: param})
			}
		}
		add("bbox", badBBox)
		add("bbox-crs", badCRS)
		add("filter-crs", badCRS)
		add("limit", badLimit)
		add("offset", badOffset)
		add("datetime", badDate)
		add("filter", badFilter)
		add("filter-lang", badFilterLang)
		add("sortby", badSortBy)
		add("properties", badProperties)
		add("f", badF)
		for _, p := range itemsParams {
			v := valid[p]
			cs = append(cs,
				Case{Name: fmt.Sprintf("items/%s/%s/twice", l, p), Target: base + "?" + p + "=" + v + "&" + p + "=" + v, Expect: "400", Param: p},
				Case{Name: fmt.Sprintf("items/%s/%s/bad-escape", l, p), Target: base + "?" + p + "=" + badEscape, Expect: "400", Param: p},
			)
		}
		cs = append(cs,
			Case{Name: "items/" + l + "/unknown-param", Target: base + "?limt=5", Expect: "400", Param: "limt"},
			Case{Name: "items/" + l + "/unknown-param-bad-escape", Target: base + "?limt%zz=5", Expect: "400"},
			Case{Name: "items/" + l + "/nameless-param", Target: base + "?=5", Expect: "400"},
			Case{Name: "items/" + l + "/semicolon-separator", Target: base + "?limit=1;bbox=1,2,3", Expect: "400"},
			// Extreme but valid: an empty page, at once.
			Case{Name: "items/" + l + "/offset-past-the-end", Target: base + "?offset=999999999", Expect: "200"},
			Case{Name: "items/" + l + "/limit-past-max-is-clamped", Target: base + "?limit=1000000", Expect: "200"},
			// One name repeated: 5,000 times in properties, 2,000 in sortby.
			// name is a property of every layer of the default data.
			Case{Name: "items/" + l + "/properties-one-name-5000-times", Target: base + "?limit=10000&properties={{rep 5000 name,}}name", Expect: "200|400"},
			Case{Name: "items/" + l + "/properties-id-5000-times", Target: base + "?limit=10000&properties={{rep 5000 id,}}id", Expect: "200|400"},
			Case{Name: "items/" + l + "/sortby-2000-keys", Target: base + "?sortby={{rep 2000 id,}}id", Expect: "200|400"},
		)
	}
	// Spatial filters with a literal of thousands of vertices, over the
	// layer with the largest shapes: answered, or refused for now (503
	// with Retry-After), in time.
	for _, l := range []string{"borders", "attacks"} {
		for _, f := range []struct{ kind, filter string }{
			{"s_intersects", "S_INTERSECTS(geom,%s)"}, {"not-s_intersects", "NOT%%20S_INTERSECTS(geom,%s)"},
		} {
			cs = append(cs, Case{Name: "items/" + l + "/filter/" + f.kind + "-3000-vertices",
				Target: "/api/collections/" + l + "/items?limit=10000&filter=" + fmt.Sprintf(f.filter, circle(65, 33, 15, 3000)),
				Expect: "200", Budget: "15s", Allow503: true})
		}
		// Only S_INTERSECTS is implemented: the others say so.
		cs = append(cs, Case{Name: "items/" + l + "/filter/s_within-3000-vertices",
			Target: "/api/collections/" + l + "/items?filter=S_WITHIN(geom," + circle(65, 33, 15, 3000) + ")", Expect: "400", Param: "filter"})
	}
	// Property filters on the attacks' typed columns.
	base := "/api/collections/attacks/items"
	for _, p := range []struct{ param, value, kind string }{
		{"killed", "abc", "letters"}, {"killed", "1.5", "fraction"}, {"killed", "99999999999999999999", "past-int64"},
		{"killed", "", "empty"}, {"killed", "%ff", "invalid-utf8"}, {"date", "xx", "garbage"}, {"date", "2021-02-30", "feb-30"},
		{"date", "2021-01-01T00:00:00Z", "datetime"}, {"killed", badEscape, "bad-escape"}, {"name", badEscape, "bad-escape"},
	} {
		cs = append(cs, Case{Name: fmt.Sprintf("items/attacks/property-%s/%s", p.param, p.kind),
			Target: base + "?" + p.param + "=" + p.value, Expect: "400", Param: p.param})
	}
	cs = append(cs,
		Case{Name: "items/attacks/property-name/twice", Target: base + "?name=x&name=y", Expect: "400", Param: "name"},
		Case{Name: "items/attacks/property-name/invalid-utf8-matches-nothing", Target: base + "?name=%ff%fe", Expect: "200"},
		Case{Name: "items/nope/404", Target: "/api/collections/nope/items", Expect: "404"},
		Case{Name: "items/nope/404-with-bad-params", Target: "/api/collections/nope/items?bbox=1,2,3", Expect: "400|404"},
	)
	return cs
}

var (
	badBy   = []bad{{"unknown", "province"}, {"empty", ""}, {"upper", "COUNTRY"}, {"invalid-utf8", "%ff"}, {"nul", "%00"}, {"huge", "{{rep 20000 h}}"}}
	badSize = []bad{{"under-5", "4.99"}, {"over-1000", "1000.5"}, {"zero", "0"}, {"negative", "-50"}, {"nan", "NaN"}, {"inf", "Inf"},
		{"letters", "big"}, {"units", "50km"}, {"empty", ""}, {"overflow", "1e400"}, {"invalid-utf8", "%ff"}, {"huge", "{{rep 20000 9}}"}}
)

// aggregateCases are the aggregate endpoint's: its own parameters bad,
// the items filters bad, and the most work it can be asked for.
func aggregateCases() []Case {
	var cs []Case
	for _, l := range layers {
		base := "/api/collections/" + l + "/aggregate"
		for _, b := range badBy {
			cs = append(cs, Case{Name: "aggregate/" + l + "/by/" + b.kind, Target: base + "?by=" + b.value, Expect: "400", Param: "by"})
		}
		for _, b := range badSize {
			cs = append(cs, Case{Name: "aggregate/" + l + "/size/" + b.kind, Target: base + "?by=hex&size=" + b.value, Expect: "400", Param: "size"})
		}
		cs = append(cs,
			Case{Name: "aggregate/" + l + "/by-missing", Target: base, Expect: "400", Param: "by"},
			Case{Name: "aggregate/" + l + "/size-missing", Target: base + "?by=hex", Expect: "400", Param: "size"},
			Case{Name: "aggregate/" + l + "/size-for-country", Target: base + "?by=country&size=50", Expect: "400", Param: "size"},
			Case{Name: "aggregate/" + l + "/by-twice", Target: base + "?by=country&by=country", Expect: "400", Param: "by"},
			Case{Name: "aggregate/" + l + "/size-twice", Target: base + "?by=hex&size=50&size=50", Expect: "400", Param: "size"},
			Case{Name: "aggregate/" + l + "/by-bad-escape", Target: base + "?by=" + badEscape, Expect: "400", Param: "by"},
			Case{Name: "aggregate/" + l + "/limit-is-not-a-parameter", Target: base + "?by=country&limit=5", Expect: "400", Param: "limit"},
			Case{Name: "aggregate/" + l + "/bbox-bad", Target: base + "?by=country&bbox=1,2,3", Expect: "400", Param: "bbox"},
			Case{Name: "aggregate/" + l + "/filter-bad", Target: base + "?by=country&filter=(killed>1", Expect: "400", Param: "filter"},
			Case{Name: "aggregate/" + l + "/filter-nested-2000", Target: base + "?by=hex&size=50&filter={{rep 2000 (}}", Expect: "400", Param: "filter"},
			Case{Name: "aggregate/" + l + "/f-html", Target: base + "?by=country&f=html", Expect: "400", Param: "f"},
			// The most cells there can be: the smallest size over the whole layer.
			Case{Name: "aggregate/" + l + "/hex-5km", Target: base + "?by=hex&size=5", Expect: "200", Budget: "10s"},
			Case{Name: "aggregate/" + l + "/country", Target: base + "?by=country", Expect: "200", Budget: "10s"},
		)
	}
	cs = append(cs,
		Case{Name: "aggregate/attacks/month", Target: "/api/collections/attacks/aggregate?by=month&datetime=2020-01-01/..", Expect: "200"},
		Case{Name: "aggregate/cities/month-without-time", Target: "/api/collections/cities/aggregate?by=month", Expect: "400", Param: "by"},
		Case{Name: "aggregate/attacks/datetime-bad", Target: "/api/collections/attacks/aggregate?by=month&datetime=2021-01-01/2020-01-01", Expect: "400", Param: "datetime"},
		Case{Name: "aggregate/attacks/property-bad", Target: "/api/collections/attacks/aggregate?by=country&killed=abc", Expect: "400", Param: "killed"},
		Case{Name: "aggregate/attacks/filter-s_intersects-3000-vertices",
			Target: "/api/collections/attacks/aggregate?by=country&filter=" + fmt.Sprintf("S_INTERSECTS(geom,%s)", circle(65, 33, 15, 3000)),
			Expect: "200", Budget: "15s", Allow503: true},
		Case{Name: "aggregate/nope/404", Target: "/api/collections/nope/aggregate?by=country", Expect: "404"},
		Case{Name: "aggregate/attacks/post", Method: "POST", Target: "/api/collections/attacks/aggregate?by=country", Body: "x", Expect: "405"},
	)
	return cs
}

// documentCases are the endpoints that take f and nothing else.
func documentCases() []Case {
	var cs []Case
	docs := []string{"/api/", "/api/conformance", "/api/openapi", "/api/collections", "/api/collections/attacks",
		"/api/collections/cities/queryables", "/api/collections/attacks/queryables", feature,
		"/api/collections/cities/items/kabul"}
	for _, d := range docs {
		for _, b := range badF {
			cs = append(cs, Case{Name: "doc" + d + "/f/" + b.kind, Target: d + "?f=" + b.value, Expect: "400", Param: "f"})
		}
		cs = append(cs,
			Case{Name: "doc" + d + "/f/twice", Target: d + "?f=json&f=json", Expect: "400", Param: "f"},
			Case{Name: "doc" + d + "/f/bad-escape", Target: d + "?f=" + badEscape, Expect: "400", Param: "f"},
			Case{Name: "doc" + d + "/unknown-param", Target: d + "?nope=1", Expect: "400", Param: "nope"},
			Case{Name: "doc" + d + "/head-unknown-param", Method: "HEAD", Target: d + "?nope=1", Expect: "400"},
			Case{Name: "doc" + d + "/accept-garbage", Target: d, Header: map[string]string{"Accept": "*/*;q=abc, text/html;q=NaN, {{rep 500 x/y;q=0.1,}}"}, Expect: "200|404"},
		)
	}
	for _, p := range []string{"/api/collections/nope", "/api/collections/nope/queryables", "/api/collections/nope/items/x",
		"/api/collections/attacks/items/nope", "/api/collections/attacks/items/%00", "/api/collections/nope/export",
		"/api/collections/{{rep 3000 x}}", "/api/collections/attacks/items/{{rep 30000 x}}"} {
		cs = append(cs, Case{Name: "doc/404" + shortName(p), Target: p, Expect: "404"})
	}
	// Export takes f only.
	for _, b := range []bad{{"zip", "zip"}, {"empty", ""}, {"invalid-utf8", "%ff"}, {"bad-escape", badEscape}} {
		cs = append(cs, Case{Name: "export/f/" + b.kind, Target: "/api/collections/attacks/export?f=" + b.value, Expect: "400", Param: "f"})
	}
	cs = append(cs,
		Case{Name: "export/f/twice", Target: "/api/collections/attacks/export?f=csv&f=kml", Expect: "400", Param: "f"},
		Case{Name: "export/unknown-param", Target: "/api/collections/attacks/export?nope=1", Expect: "400", Param: "nope"},
	)
	// Endpoints that take no parameters at all.
	for _, p := range []string{"/healthz", "/metrics", "/config.json", "/embed", "/", "/app.js"} {
		cs = append(cs,
			Case{Name: "plain" + p + "/bad-escape", Target: p + "?x=" + badEscape, Expect: "200|400"},
			Case{Name: "plain" + p + "/post", Method: "POST", Target: p, Body: "x", Expect: "405"},
			Case{Name: "plain" + p + "/delete", Method: "DELETE", Target: p, Expect: "405"},
		)
	}
	return cs
}

// circle is a WKT polygon of n vertices around lon,lat, URL-encoded.
func circle(lon, lat, r float64, n int) string {
	var b strings.Builder
	b.WriteString("POLYGON((")
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%.4f%%20%.4f", lon+r*math.Cos(a), lat+r*math.Sin(a))
	}
	b.WriteString("))")
	return b.String()
}

// distinctNames is l0,l1,...: n layer names, no two alike.
func distinctNames(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("l%d", i)
	}
	return strings.Join(names, ",")
}

func shortName(p string) string {
	if len(p) > 60 {
		return fmt.Sprintf("%s…%d", p[:40], len(p))
	}
	return p
}

func tileCases() []Case {
	var cs []Case
	for _, set := range []struct{ name, layers, ext string }{
		{"attacks", "attacks", "mvt"}, {"attacks+cities", "attacks,cities", "mvt"}, {"basemap", "basemap", "png"},
	} {
		base := "/tiles/" + set.layers
		for _, c := range []struct{ kind, z, x, y, param string }{
			{"z-99", "99", "0", "0", "z"}, {"z-negative", "-1", "0", "0", "z"}, {"z-letters", "abc", "0", "0", "z"},
			{"z-ten-digits", "9999999999", "0", "0", "z"}, {"z-exponent", "1e9", "0", "0", "z"},
			{"x-past-2^z", "1", "2", "0", "x"}, {"x-negative", "1", "-1", "0", "x"}, {"x-huge", "3", "999999999", "0", "x"},
			{"y-past-2^z", "1", "0", "2", "y"}, {"y-letters", "1", "0", "abc", "y"}, {"y-plus", "1", "0", "%2B1", "y"},
			{"y-space", "1", "0", "%201", "y"},
		} {
			cs = append(cs, Case{Name: "tiles/" + set.name + "/" + c.kind,
				Target: fmt.Sprintf("%s/%s/%s/%s.%s", base, c.z, c.x, c.y, set.ext), Expect: "400", Param: c.param})
		}
		good := base + "/3/5/3." + set.ext
		cs = append(cs,
			Case{Name: "tiles/" + set.name + "/unknown-param", Target: good + "?nope=1", Expect: "400", Param: "nope"},
			Case{Name: "tiles/" + set.name + "/v-twice", Target: good + "?v=1&v=2", Expect: "400", Param: "v"},
			Case{Name: "tiles/" + set.name + "/v-bad-escape", Target: good + "?v=" + badEscape, Expect: "400", Param: "v"},
			Case{Name: "tiles/" + set.name + "/no-extension", Target: base + "/1/0/0", Expect: "404"},
			Case{Name: "tiles/" + set.name + "/jpg", Target: base + "/1/0/0.jpg", Expect: "404"},
			Case{Name: "tiles/" + set.name + "/post", Method: "POST", Target: good, Body: "x", Expect: "405"},
		)
	}
	cs = append(cs,
		Case{Name: "tiles/basemap/cities-maybe", Target: "/tiles/basemap/3/5/3.png?cities=maybe", Expect: "400", Param: "cities"},
		Case{Name: "tiles/basemap/cities-twice", Target: "/tiles/basemap/3/5/3.png?cities=on&cities=off", Expect: "400", Param: "cities"},
		Case{Name: "tiles/basemap/at-3x", Target: "/tiles/basemap/3/5/3@3x.png", Expect: "400", Param: "y"},
		Case{Name: "tiles/basemap/z-11", Target: "/tiles/basemap/11/0/0.png", Expect: "400", Param: "z"},
		Case{Name: "tiles/attacks/png", Target: "/tiles/attacks/1/0/0.png", Expect: "404"},
		Case{Name: "tiles/layers/empty-name", Target: "/tiles/,attacks/1/0/0.mvt", Expect: "400", Param: "layers"},
		Case{Name: "tiles/layers/40", Target: "/tiles/{{rep 40 attacks,}}cities/1/0/0.mvt", Expect: "200|400"},
		Case{Name: "tiles/layers/40-distinct", Target: "/tiles/" + distinctNames(40) + "/1/0/0.mvt", Expect: "400", Param: "layers"},
		Case{Name: "tiles/layers/nope", Target: "/tiles/nope/1/0/0.mvt", Expect: "404"},
		Case{Name: "tiles/layers/reserved", Target: "/tiles/khorasan_audit/1/0/0.mvt", Expect: "400|404"},
		Case{Name: "tiles/layers/gpkg-table", Target: "/tiles/gpkg_contents/1/0/0.mvt", Expect: "400|404"},
		Case{Name: "tilejson/nope", Target: "/tiles/nope.json", Expect: "404"},
		Case{Name: "tilejson/empty-name", Target: "/tiles/,.json", Expect: "400", Param: "layers"},
		Case{Name: "tilejson/unknown-param", Target: "/tiles/attacks.json?nope=1", Expect: "400", Param: "nope"},
		Case{Name: "tilejson/v-bad-escape", Target: "/tiles/attacks.json?v=" + badEscape, Expect: "400", Param: "v"},
		// Deep zoom over the whole region is valid and must stay cheap.
		Case{Name: "tiles/attacks/z14", Target: "/tiles/attacks/14/11400/6600.mvt", Expect: "200|204"},
		Case{Name: "tiles/basemap/z10-2x", Target: "/tiles/basemap/10/700/400@2x.png", Expect: "200", Budget: "15s"},
	)
	return cs
}

var (
	badSide  = []bad{{"zero", "0"}, {"negative", "-1"}, {"huge", "99999"}, {"letters", "abc"}, {"fraction", "1.5"}, {"empty", ""}, {"past-int64", "99999999999999999999"}}
	badScale = []bad{{"zero", "0"}, {"five", "5"}, {"nan", "NaN"}, {"inf", "Inf"}, {"letters", "abc"}, {"empty", ""}, {"negative", "-2"}}
	badZoom  = []bad{{"letters", "abc"}, {"negative", "-1"}, {"21", "21"}, {"nan", "NaN"}, {"huge", "1e308"}, {"empty", ""}}
)

func renderCases() []Case {
	var cs []Case
	add := func(param string, values []bad, extra string) {
		for _, b := range values {
			cs = append(cs, Case{Name: "render/get/" + param + "/" + b.kind, Target: "/render?" + param + "=" + b.value + extra,
				Expect: "400", Param: param})
			// The same field in a POST body, as a string.
			body := "{" + jsonString(param) + ":" + jsonString(unescape(expand(b.value))) + jsonExtra(extra) + "}"
			cs = append(cs, Case{Name: "render/post/" + param + "/" + b.kind, Method: "POST", Target: "/render",
				Header: map[string]string{"Content-Type": "application/json"}, Body: body, Expect: "400", Param: param})
		}
	}
	add("width", badSide, "")
	add("height", badSide, "")
	add("scale", badScale, "")
	add("format", []bad{{"gif", "gif"}, {"empty", ""}, {"huge", "{{rep 20000 p}}"}}, "")
	add("legend", []bad{{"maybe", "maybe"}, {"empty", ""}}, "")
	add("bbox", badBBox, "")
	add("center", []bad{{"one-number", "1"}, {"letters", "a,b"}, {"lon-past-180", "200,0"}, {"nan", "NaN,1"}, {"three-numbers", "1,2,3"}}, "&zoom=3")
	add("zoom", badZoom, "&center=65,33")
	add("layers", []bad{{"unknown", "nope"}, {"empty-name", "attacks,,cities"}, {"comma", ","}, {"reserved", "khorasan_audit"}}, "")
	add("title", []bad{{"10000-chars", "{{rep 10000 t}}"}}, "")
	add("datetime", []bad{{"garbage", "garbage"}, {"ends-before-start", "2021-01-01/2020-01-01"}}, "")
	add("filter", []bad{{"unbalanced", "(killed>1"}, {"unknown-property", "nope%3D1"}, {"past-64KiB", "{{rep 67000 x}}"}}, "")
	add("filter-lang", []bad{{"word", "x"}}, "&filter=killed%3E1")
	add("events", []bad{{"unknown", "nope"}, {"not-events", "borders"}, {"empty-name", "attacks,,attacks"}, {"empty", ""}, {"huge", "{{rep 20000 e}}"}}, "")
	add("data", []bad{{"unknown", "nope"}, {"not-events", "cities"}, {"empty", ""}}, "")
	add("choropleth", []bad{{"word", "state"}, {"month", "month"}, {"empty", ""}}, "")
	add("size", []bad{{"below-5", "4"}, {"past-1000", "1001"}, {"letters", "abc"}, {"nan", "NaN"}, {"empty", ""}}, "&choropleth=hex")
	add("size", []bad{{"without-hex", "100"}}, "&choropleth=country")
	add("measure", []bad{{"word", "killed"}, {"empty", ""}}, "&choropleth=country")
	add("measure", []bad{{"without-choropleth", "count"}}, "")
	cs = append(cs,
		Case{Name: "render/get/choropleth/no-events-layer", Target: "/render?choropleth=country&layers=borders", Expect: "400", Param: "choropleth"},
		Case{Name: "render/get/size/without-choropleth", Target: "/render?size=100", Expect: "400", Param: "size"},
		Case{Name: "render/get/choropleth/hex-5km", Target: "/render?choropleth=hex&size=5&format=svg&width=400&height=300", Expect: "200", Budget: "20s", Allow503: true},
	)
	cs = append(cs,
		Case{Name: "render/get/title/invalid-utf8", Target: "/render?title=%ff%fe", Expect: "400", Param: "title"},
		Case{Name: "render/get/unknown-param", Target: "/render?nope=1", Expect: "400", Param: "nope"},
		Case{Name: "render/get/nameless-param", Target: "/render?=1", Expect: "400"},
		Case{Name: "render/get/width-twice", Target: "/render?width=100&width=200", Expect: "400", Param: "width"},
		Case{Name: "render/get/width-bad-escape", Target: "/render?width=" + badEscape, Expect: "400", Param: "width"},
		Case{Name: "render/get/bbox-and-center", Target: "/render?bbox=60,25,75,40&center=65,33&zoom=3", Expect: "400", Param: "bbox"},
		Case{Name: "render/get/center-without-zoom", Target: "/render?center=65,33", Expect: "400", Param: "zoom"},
		Case{Name: "render/get/zoom-without-center", Target: "/render?zoom=3", Expect: "400", Param: "center"},
		Case{Name: "render/get/17-layers", Target: "/render?layers=" + strings.TrimSuffix(strings.Repeat("attacks,cities,", 9), ","), Expect: "200|400", Budget: "20s", Allow503: true},
		Case{Name: "render/get/pixels-past-budget", Target: "/render?width=4096&height=4096&scale=4", Expect: "400", Param: "scale"},
		// The largest figure allowed: drawn, or refused for now, in time.
		Case{Name: "render/get/largest-png", Target: "/render?width=4096&height=4096&scale=2&layers=attacks&legend=false", Expect: "200", Budget: "25s", Allow503: true},
		Case{Name: "render/get/largest-svg", Target: "/render?width=4096&height=4096&scale=4&format=svg&layers=attacks,cities", Expect: "200", Budget: "25s", Allow503: true},
		Case{Name: "render/post/query-too", Method: "POST", Target: "/render?width=100", Header: map[string]string{"Content-Type": "application/json"}, Body: `{}`, Expect: "400", Param: "query"},
		Case{Name: "render/post/no-content-type", Method: "POST", Target: "/render", Body: `{}`, Expect: "415"},
		Case{Name: "render/post/form", Method: "POST", Target: "/render", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Body: "width=1", Expect: "415"},
		Case{Name: "render/post/body-past-1MiB", Method: "POST", Target: "/render", Header: map[string]string{"Content-Type": "application/json"}, Body: `{"title":"{{rep 1100000 x}}"}`, Expect: "413"},
	)
	for _, b := range []struct{ kind, body, param string }{
		{"null", "null", "body"}, {"array", "[]", "body"}, {"string", `"x"`, "body"}, {"number", "1", "body"}, {"truncated", `{"width":`, "body"},
		{"empty", "", "body"}, {"two-objects", `{}{}`, ""}, {"width-array", `{"width":[1,2]}`, "width"}, {"width-object", `{"width":{"a":1}}`, "width"},
		{"width-bool", `{"width":true}`, "width"}, {"width-huge-number", `{"width":1e999}`, "width"}, {"bbox-nested", `{"bbox":[[1,2],[3,4]]}`, "bbox"},
		{"bbox-object", `{"bbox":{"a":1}}`, "bbox"}, {"layers-null-item", `{"layers":[null]}`, "layers"}, {"layers-number", `{"layers":[1]}`, "layers"},
		{"center-strings", `{"center":["a","b"],"zoom":3}`, "center"}, {"zoom-string", `{"center":[65,33],"zoom":"x"}`, "zoom"},
		{"unknown-field", `{"nope":1}`, "nope"}, {"duplicate-field", `{"width":100,"width":"abc"}`, "width"},
	} {
		cs = append(cs, Case{Name: "render/post/body/" + b.kind, Method: "POST", Target: "/render",
			Header: map[string]string{"Content-Type": "application/json"}, Body: b.body, Expect: "400", Param: b.param})
	}
	return cs
}

// jsonString is s as a JSON string (invalid UTF-8 becomes U+FFFD, as
// any JSON encoder writes it).
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// jsonExtra turns "&zoom=3" into `,"zoom":"3"`.
func jsonExtra(extra string) string {
	if extra == "" {
		return ""
	}
	var b strings.Builder
	for _, kv := range strings.Split(strings.TrimPrefix(extra, "&"), "&") {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString("," + jsonString(k) + ":" + jsonString(unescape(v)))
	}
	return b.String()
}

// writeCases are the routes behind a token, without one, with a wrong
// one, and with the token and bad parameters or bodies. Bad writes must
// write nothing; the ones that would write anything use dry-run or a
// layer of their own.
func writeCases() []Case {
	var cs []Case
	items := "/api/collections/attacks/items"
	csv := map[string]string{"Content-Type": "text/csv"}
	geojson := map[string]string{"Content-Type": "application/geo+json"}
	patch := map[string]string{"Content-Type": "application/merge-patch+json"}
	routes := []struct{ name, method, target, body string }{
		{"post-items", "POST", items, `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{}}`},
		{"put-item", "PUT", feature, `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{}}`},
		{"patch-item", "PATCH", feature, `{"properties":{"killed":0}}`},
		{"delete-item", "DELETE", feature, ""},
		{"backup", "GET", "/api/backup", ""},
		{"history", "GET", "/api/history", ""},
	}
	for _, r := range routes {
		for _, a := range []struct{ kind, header string }{
			{"none", ""}, {"wrong-token", "Bearer wrong-token-0123456789abcdef"}, {"basic", "Basic aG9zdGlsZTp4"},
			{"empty-bearer", "Bearer "}, {"token-with-suffix", "Bearer {{token}}x"}, {"token-no-scheme", "{{token}}"},
			{"huge", "Bearer {{rep 60000 x}}"},
		} {
			h := map[string]string{}
			if a.header != "" {
				h["Authorization"] = a.header
			}
			cs = append(cs, Case{Name: "auth/" + r.name + "/" + a.kind, Method: r.method, Target: r.target,
				Header: h, Body: r.body, Expect: "401"})
		}
	}
	// Import parameters, each bad, on a dry run into a layer of the case's own.
	upload := "lat,lon,name\n33.1,65.1,x\n"
	for _, p := range []struct{ kind, query, param string }{
		{"mode-unknown", "mode=zzz", "mode"}, {"mode-twice", "mode=create&mode=append", "mode"}, {"mode-empty-twice", "mode=&mode=", "mode"},
		{"dry-run-maybe", "dry-run=maybe", "dry-run"}, {"dry-run-twice", "dry-run=true&dry-run=false", "dry-run"},
		{"skip-invalid-2", "skip-invalid=2", "skip-invalid"}, {"delimiter-two", "delimiter=ab", "delimiter"},
		{"date-order-unknown", "date-order=ymd", "date-order"}, {"columns-no-name", "columns=%3D%3D", "columns"},
		{"encoding-unknown", "encoding=klingon", "encoding"}, {"profile-unknown", "profile=zz", "profile"},
		{"unknown-param", "nope=1", "nope"}, {"bad-escape", "title=" + badEscape, "title"}, {"id-twice", "id=a&id=b", "id"},
		{"title-twice", "title=a&title=b", "title"},
	} {
		layer := "hostile_" + strings.ReplaceAll(p.kind, "-", "_")
		query := p.query
		if !strings.Contains(query, "mode=") {
			query += "&mode=create"
		}
		if !strings.Contains(query, "dry-run=") {
			query += "&dry-run=true"
		}
		cs = append(cs, Case{Name: "import/param/" + p.kind, Method: "POST", Auth: true,
			Target: "/api/collections/" + layer + "/items?" + query, Header: csv, Body: upload,
			Expect: "400", Param: p.param})
	}
	// Names the store keeps for itself.
	for _, l := range []string{"khorasan_audit", "khorasan_meta", "gpkg_contents", "rtree_attacks_geom", "sqlite_master", "1abc", "a%22b", "{{rep 100 x}}", "%ff"} {
		cs = append(cs, Case{Name: "import/layer-name/" + shortName(l), Method: "POST", Auth: true,
			Target: "/api/collections/" + l + "/items?mode=create&dry-run=true", Header: csv, Body: upload, Expect: "400"})
	}
	// Upload bodies.
	for _, b := range []struct {
		kind   string
		header map[string]string
		body   string
		expect string
	}{
		{"empty", csv, "", "400"}, {"empty-geojson", geojson, "", "400"}, {"csv-no-coordinates", csv, "a,b\n1,2\n", "400"},
		{"csv-unclosed-quote", csv, "lat,lon,name\n1,2,\"x\n", "400"}, {"fc-features-string", geojson, `{"type":"FeatureCollection","features":"x"}`, "400"},
		// geo reads "features": null as no features, on purpose.
		{"fc-features-null", geojson, `{"type":"FeatureCollection","features":null}`, "200|400"}, {"not-json", geojson, `{`, "400"},
		{"json-null", geojson, `null`, "400"}, {"json-array", geojson, `[]`, "400"}, {"json-number", geojson, `1`, "400"},
		{"kml-garbage", map[string]string{"Content-Type": "application/vnd.google-earth.kml+xml"}, "<kml><Placemark>", "400"},
		{"content-type-unknown", map[string]string{"Content-Type": "image/png"}, "x", "415"},
		{"content-type-garbage", map[string]string{"Content-Type": ";;;"}, "x", "415"},
		{"past-max-upload", csv, "lat,lon,name\n{{rep 80000 33.1,65.1,xxxxxxxxxxxxxxxxxxxxxxxx\n}}", "413"},
		{"binary", map[string]string{"Content-Type": "application/octet-stream"}, "\x00\x01\x02\xff\xfe", "400"},
	} {
		cs = append(cs, Case{Name: "import/body/" + b.kind, Method: "POST", Auth: true,
			Target: "/api/collections/hostile_body_" + strings.ReplaceAll(b.kind, "-", "_") + "/items?mode=create&dry-run=true",
			Header: b.header, Body: b.body, Expect: b.expect})
	}
	// One feature: POST, PUT and PATCH with bodies of the wrong shape.
	for _, b := range []struct{ kind, body string }{
		{"killed-array", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"killed":[1]}}`},
		{"killed-string", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"killed":"many"}}`},
		{"killed-fraction", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"killed":1.5}}`},
		{"killed-huge", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"killed":1e999}}`},
		{"date-number", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"date":20210101}}`},
		{"name-object", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"name":{"a":1}}}`},
		{"unknown-property", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{"nope":1}}`},
		{"coordinates-strings", `{"type":"Feature","geometry":{"type":"Point","coordinates":["a","b"]},"properties":{}}`},
		{"coordinates-past-180", `{"type":"Feature","geometry":{"type":"Point","coordinates":[500,33]},"properties":{}}`},
		{"coordinates-nan", `{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,33]},"properties":{}}`},
		{"geometry-line", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[65,33],[66,34]]},"properties":{}}`},
		{"geometry-array", `{"type":"Feature","geometry":[],"properties":{}}`},
		{"geometry-unknown-type", `{"type":"Feature","geometry":{"type":"Blob","coordinates":[]},"properties":{}}`},
		{"properties-string", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":"x"}`},
		{"properties-array", `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":[1]}`},
		{"type-number", `{"type":1,"geometry":null,"properties":{}}`},
		{"deep-nesting", `{"type":"Feature","geometry":null,"properties":{"name":{{rep 5000 [}}}}`},
		{"empty-fc", `{"type":"FeatureCollection","features":[]}`},
		{"null", `null`},
		{"array", `[]`},
		{"truncated", `{"type":"Feature","geometry":`},
	} {
		cs = append(cs,
			Case{Name: "write/put/" + b.kind, Method: "PUT", Auth: true, Target: feature, Header: geojson, Body: b.body, Expect: "400"},
		)
		if b.kind != "empty-fc" {
			cs = append(cs, Case{Name: "write/post/" + b.kind, Method: "POST", Auth: true, Target: items, Header: geojson, Body: b.body, Expect: "400"})
		}
	}
	cs = append(cs,
		Case{Name: "write/put/id-mismatch", Method: "PUT", Auth: true, Target: feature, Header: geojson, Body: `{"type":"Feature","id":"other","geometry":{"type":"Point","coordinates":[65,33]},"properties":{}}`, Expect: "400", Param: "id"},
		Case{Name: "write/put/unknown-param", Method: "PUT", Auth: true, Target: feature + "?nope=1", Header: geojson, Body: `{}`, Expect: "400", Param: "nope"},
		Case{Name: "write/put/nope-layer", Method: "PUT", Auth: true, Target: "/api/collections/nope/items/x", Header: geojson, Body: `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{}}`, Expect: "404"},
		Case{Name: "write/put/past-max-upload", Method: "PUT", Auth: true, Target: feature, Header: geojson, Body: `{"type":"Feature","geometry":null,"properties":{"notes":"{{rep 1100000 x}}"}}`, Expect: "413"},
		Case{Name: "write/put/if-match-garbage", Method: "PUT", Auth: true, Target: feature, Header: map[string]string{"Content-Type": "application/geo+json", "If-Match": `"garbage"`}, Body: `{"type":"Feature","geometry":{"type":"Point","coordinates":[65,33]},"properties":{}}`, Expect: "412"},
		Case{Name: "write/put/content-type-image", Method: "PUT", Auth: true, Target: feature, Header: map[string]string{"Content-Type": "image/png"}, Body: `{}`, Expect: "415"},
		Case{Name: "write/delete/nope", Method: "DELETE", Auth: true, Target: "/api/collections/attacks/items/nope", Expect: "404"},
		Case{Name: "write/delete/nope-layer", Method: "DELETE", Auth: true, Target: "/api/collections/nope/items/x", Expect: "404"},
		Case{Name: "write/delete/if-match-garbage", Method: "DELETE", Auth: true, Target: feature, Header: map[string]string{"If-Match": "garbage"}, Expect: "412"},
		Case{Name: "write/delete/unknown-param", Method: "DELETE", Auth: true, Target: feature + "?nope=1", Expect: "400", Param: "nope"},
		Case{Name: "write/delete/collection", Method: "DELETE", Auth: true, Target: "/api/collections/attacks", Expect: "405"},
	)
	for _, b := range []struct{ kind, body, param string }{
		{"null", `null`, ""}, {"array", `[]`, ""}, {"string", `"x"`, ""}, {"empty", ``, ""}, {"truncated", `{"properties":`, ""},
		{"type-collection", `{"type":"FeatureCollection"}`, "type"}, {"type-number", `{"type":1}`, "type"},
		{"unknown-member", `{"features":[]}`, "features"}, {"id-change", `{"id":"other"}`, "id"}, {"id-number", `{"id":5}`, "id"},
		{"killed-string", `{"properties":{"killed":"abc"}}`, "killed"}, {"killed-fraction", `{"properties":{"killed":1.5}}`, "killed"},
		{"date-garbage", `{"properties":{"date":"xx"}}`, "date"}, {"unknown-property", `{"properties":{"nope":1}}`, "nope"},
		{"properties-array", `{"properties":[1]}`, "properties"}, {"geometry-null", `{"geometry":null}`, "geometry"},
		{"geometry-line", `{"geometry":{"type":"LineString","coordinates":[[65,33],[66,34]]}}`, "geometry"},
		{"geometry-empty-polygon", `{"geometry":{"type":"Polygon","coordinates":[]}}`, "geometry"},
	} {
		cs = append(cs, Case{Name: "write/patch/" + b.kind, Method: "PATCH", Auth: true, Target: feature, Header: patch, Body: b.body, Expect: "400", Param: b.param})
	}
	cs = append(cs,
		Case{Name: "write/patch/content-type-csv", Method: "PATCH", Auth: true, Target: feature, Header: csv, Body: `{}`, Expect: "415"},
		Case{Name: "write/patch/past-max-upload", Method: "PATCH", Auth: true, Target: feature, Header: patch, Body: `{"properties":{"notes":"{{rep 1100000 x}}"}}`, Expect: "413"},
		Case{Name: "write/patch/nope", Method: "PATCH", Auth: true, Target: "/api/collections/attacks/items/nope", Header: patch, Body: `{}`, Expect: "404"},
		Case{Name: "write/patch/unknown-param", Method: "PATCH", Auth: true, Target: feature + "?nope=1", Header: patch, Body: `{}`, Expect: "400", Param: "nope"},
	)
	// The audit log and backups.
	for _, h := range []struct{ kind, query, param string }{
		{"since-garbage", "since=xx", "since"}, {"limit-zero", "limit=0", "limit"}, {"limit-letters", "limit=abc", "limit"},
		{"limit-past-max", "limit=99999", "limit"}, {"limit-past-int64", "limit=99999999999999999999", "limit"},
		{"unknown-param", "nope=1", "nope"}, {"layer-bad-escape", "layer=" + badEscape, "layer"},
		{"limit-twice", "limit=1&limit=2", "limit"}, {"layer-twice", "layer=attacks&layer=cities", "layer"},
	} {
		cs = append(cs, Case{Name: "history/" + h.kind, Auth: true, Target: "/api/history?" + h.query, Expect: "400", Param: h.param})
	}
	cs = append(cs,
		Case{Name: "backup/unknown-param", Auth: true, Target: "/api/backup?nope=1", Expect: "400", Param: "nope"},
		Case{Name: "backup/bad-escape", Auth: true, Target: "/api/backup?x=" + badEscape, Expect: "400", Param: "x"},
		Case{Name: "backup/post", Method: "POST", Auth: true, Target: "/api/backup", Expect: "405"},
	)
	return cs
}
