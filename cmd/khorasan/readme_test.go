package main

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// TestReadmeFiguresMatchTheData: the figures the README and the documents
// under docs/ give of the default data (counts, dates, titles, the example
// answers of the API) are computed here from the embedded data, so a data
// update that forgets a document fails. Each figure is looked for in the
// document that holds it, so a wrong copy is not hidden by a right one
// elsewhere.
func TestReadmeFiguresMatchTheData(t *testing.T) {
	const (
		readmeMD = "README.md"
		manualMD = "docs/MANUAL.md"
		apiMD    = "docs/API.md"
	)
	docs := map[string]string{}
	for _, name := range []string{readmeMD, manualMD, apiMD, "docs/DEVELOPING.md", "docs/ARCHITECTURE.md"} {
		raw, err := os.ReadFile("../../" + name)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = string(raw)
	}
	read := func(name string) *geojson.FeatureCollection {
		b, err := fs.ReadFile(data.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatal(err)
		}
		return fc
	}
	attacks, cities, outline := read("attacks.geojson"), read("cities.geojson"), read("khorasan.geojson")
	manifest, err := readManifest(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	title := map[string]string{}
	for _, m := range manifest {
		title[m.Name] = m.Title
	}
	prop := func(f *geojson.Feature, k string) string { s, _ := f.Properties[k].(string); return s }
	count := func(keep func(f *geojson.Feature) bool) int {
		n := 0
		for _, f := range attacks.Features {
			if keep(f) {
				n++
			}
		}
		return n
	}
	by := func(k string) map[string]int {
		m := map[string]int{}
		for _, f := range attacks.Features {
			m[prop(f, k)]++
		}
		return m
	}
	first, last := "9999", ""
	urls := map[string]bool{}
	for _, f := range attacks.Features {
		d := prop(f, "date")
		first, last = min(first, d), max(last, d)
		for _, u := range strings.Split(prop(f, "source_url"), " | ") {
			urls[strings.TrimSpace(u)] = true
		}
	}
	countries := by("country")
	names := make([]string, 0, len(countries))
	for c := range countries {
		names = append(names, c)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(countries[b]-countries[a], strings.Compare(a, b)) })
	var perCountry []string
	for _, c := range names {
		perCountry = append(perCountry, fmt.Sprintf("%s %d", c, countries[c]))
	}
	anchors := 0
	for _, f := range cities.Features {
		if f.Properties["anchor"] == true {
			anchors++
		}
	}
	main := outline.Features[0].Geometry.(orb.Polygon)
	inside := count(func(f *geojson.Feature) bool { return planar.PolygonContains(main, f.Geometry.(orb.Point)) })
	kabulBox := orb.Bound{Min: orb.Point{69.0, 34.4}, Max: orb.Point{69.4, 34.7}}
	kabul := count(func(f *geojson.Feature) bool { return kabulBox.Contains(f.Geometry.(orb.Point)) })
	in2021 := count(func(f *geojson.Feature) bool { return strings.HasPrefix(prop(f, "date"), "2021-") })
	since2024 := count(func(f *geojson.Feature) bool { return prop(f, "date") >= "2024-01-01" })
	claimed50 := count(func(f *geojson.Feature) bool {
		k, _ := f.Properties["killed"].(float64)
		return k >= 50 && prop(f, "attribution") == "claimed"
	})
	// The aggregate example: claimed attacks since 2021, and their killed.
	claimed2021, claimed2021Killed := 0, 0.0
	for _, f := range attacks.Features {
		if prop(f, "attribution") == "claimed" && prop(f, "date") >= "2021-01-01" {
			k, _ := f.Properties["killed"].(float64)
			claimed2021, claimed2021Killed = claimed2021+1, claimed2021Killed+k
		}
	}
	attribution, precision := by("attribution"), by("precision")
	n := len(attacks.Features)

	want := []struct{ doc, text string }{
		{readmeMD, fmt.Sprintf("cities, and %d sites of ISIS-K attacks", n)},
		{readmeMD, fmt.Sprintf(`{"numberMatched":%d,"first":"2021-`, in2021)},
		{readmeMD, fmt.Sprintf(`{"numberMatched":%d,"top":`, claimed50)},
		{apiMD, fmt.Sprintf(`{"numberMatched":%d,"numberReturned":5,`, n)},
		{apiMD, fmt.Sprintf("Geometry: Point\nFeature Count: %d\n", n)},
		{apiMD, fmt.Sprintf(`khorasan_layer_features{layer="attacks"} %d`, n)},
		{apiMD, fmt.Sprintf(`khorasan_layer_features{layer="cities"} %d`, len(cities.Features))},
		{apiMD, fmt.Sprintf(`"interval": [["%s", "%s"]]`, first, last)},
		{apiMD, fmt.Sprintf(`{"numberMatched":%d,"numberReturned":3,`, kabul)},
		{apiMD, fmt.Sprintf("kabul_attacks | grep Count\nFeature Count: %d\n", kabul)},
		{apiMD, fmt.Sprintf(`{"numberMatched":%d,"first":"2021-`, in2021)},
		{apiMD, fmt.Sprintf("datetime=2024-01-01/..' | jq .numberMatched\n%d\n", since2024)},
		{apiMD, fmt.Sprintf(`{"numberMatched":%d,"top":`, claimed50)},
		{apiMD, fmt.Sprintf(`{"count":%d,"magnitude_sum":%v}`, claimed2021, claimed2021Killed)},
		{manualMD, fmt.Sprintf("Feature Count: %d\nExtent:", n)},
		{manualMD, fmt.Sprintf("| `attacks` | %d points | attacks claimed by, attributed to, or disputed as the work of ISIS-K, %s to %s: %s |", n, first, last, strings.Join(perCountry, ", "))},
		{manualMD, fmt.Sprintf("(%d distinct URLs in all)", len(urls))},
		{manualMD, fmt.Sprintf("| `cities` | %d points | %d anchor cities of historical Khorasan (with their historical role), plus %d cities named by the attacks |", len(cities.Features), anchors, len(cities.Features)-anchors)},
		{manualMD, fmt.Sprintf("Of the\n  %d attacks, %d fall inside the main outline.", n, inside)},
		{manualMD, fmt.Sprintf("`claimed` (%d attacks), `attributed` (%d, no claim) or\n  `disputed` (%d).", attribution["claimed"], attribution["attributed"], attribution["disputed"])},
		{manualMD, fmt.Sprintf("`site` (%d attacks),\n  `neighbourhood` (%d), `city` (%d, the city centre) or `district` (%d,", precision["site"], precision["neighbourhood"], precision["city"], precision["district"])},
	}
	for _, w := range want {
		if !strings.Contains(docs[w.doc], w.text) {
			t.Errorf("%s does not say, as the data does:\n%s", w.doc, w.text)
		}
	}
	// Every title of the attacks layer a document shows is the data's.
	for name, doc := range docs {
		for _, m := range regexp.MustCompile(`ISIS-K attacks \d{4}–\d{4}`).FindAllString(doc, -1) {
			if m != title["attacks"] {
				t.Errorf("%s says %q, the layer's title is %q", name, m, title["attacks"])
			}
		}
	}
	// The number words of the examples ("2021: seven attacks").
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	for _, name := range []string{readmeMD, apiMD} {
		if in2021 < len(words) && !strings.Contains(docs[name], "# 2021: "+words[in2021]+" attacks") {
			t.Errorf("%s's 2021 example does not say %s attacks", name, words[in2021])
		}
	}
}
