package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/tiles/figure"
)

// importACLED imports the ACLED sample (geo/csv/testdata/acled.csv) as
// layer acled, as khorasan import --layer acled does.
func importACLED(t *testing.T, store *gpkg.Store) {
	t.Helper()
	src, err := ingest.FileSource("../geo/csv/testdata/acled.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "acled"}, Mode: ingest.ModeCreate, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
}

// svgFigure is what a test reads of an SVG figure: the legend's texts
// in order, each with the fill of the swatch drawn just before it, the
// fill of each choropleth region (by its group id), and the elements of
// each layer's group.
type svgFigure struct {
	legend  []legendText
	regions map[string]string
	layers  map[string]map[string]int // layer → element name → how many
}

type legendText struct{ text, swatch string }

func readSVG(t *testing.T, body []byte) svgFigure {
	t.Helper()
	fig := svgFigure{regions: map[string]string{}, layers: map[string]map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var groups []string // the ids of the groups open
	inside := func(id string) bool { return slices.Contains(groups, id) }
	swatch, text, inText := "", "", false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range tok.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			if tok.Name.Local == "g" {
				groups = append(groups, attr("id"))
			}
			for _, g := range groups {
				if l, ok := strings.CutPrefix(g, "layer-"); ok && tok.Name.Local != "g" {
					if fig.layers[l] == nil {
						fig.layers[l] = map[string]int{}
					}
					fig.layers[l][tok.Name.Local]++
				}
			}
			if len(groups) == 0 {
				continue
			}
			if id, ok := strings.CutPrefix(groups[len(groups)-1], "choropleth-"); ok && tok.Name.Local == "path" && fig.regions[id] == "" {
				fig.regions[id] = attr("fill") // the fill; the outline follows
			}
			if inside("legend") {
				switch tok.Name.Local {
				case "rect", "circle", "path":
					swatch = attr("fill")
				case "text":
					inText, text = true, ""
				}
			}
		case xml.CharData:
			if inText {
				text += string(tok)
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "g":
				groups = groups[:len(groups)-1]
			case "text":
				if inText {
					fig.legend = append(fig.legend, legendText{text, swatch})
				}
				inText = false
			}
		}
	}
	return fig
}

// texts are the legend's texts alone.
func (f svgFigure) texts() []string {
	out := make([]string, len(f.legend))
	for i, l := range f.legend {
		out[i] = l.text
	}
	return out
}

var classRow = regexp.MustCompile(`^(\S+) \((\d+) (country|countries|cell|cells)\)$`)

// TestRenderChoropleth: a choropleth figure's legend has the classes
// that the rule (figure.Classes) makes of the numbers
// /api/collections/{id}/aggregate gives for the same layer, grouping and
// filters, with the total and what fell in no group; every region drawn
// is a group of that answer, filled with the swatch of the class that
// holds its number.
func TestRenderChoropleth(t *testing.T) {
	srv, store := newRenderServer(t, Config{Dataset: defaultDataset(t)})
	importACLED(t, store)
	type grouping struct{ render, aggregate, where string }
	groupings := []grouping{
		{"choropleth=country", "by=country", "per country"},
		{"choropleth=hex&size=100", "by=hex&size=100", "per 100 km hexagon"},
		{"choropleth=hex&size=250", "by=hex&size=250", "per 250 km hexagon"},
	}
	cases := []struct {
		layer, title, filter, measure string
	}{
		{"attacks", "ISIS-K attacks 2015–2026", "", "count"},
		{"attacks", "ISIS-K attacks 2015–2026", "", "magnitude"},
		{"attacks", "ISIS-K attacks 2015–2026", "datetime=2021-01-01/..", "count"},
		{"attacks", "ISIS-K attacks 2015–2026", "attribution=claimed", "magnitude"},
		{"attacks", "ISIS-K attacks 2015–2026", "filter=" + url.QueryEscape("killed >= 10 AND country <> 'Pakistan'"), "count"},
		{"acled", "acled", "", "count"},
		{"acled", "acled", "datetime=2022-01-01/..", "magnitude"},
	}
	for _, c := range cases {
		for _, g := range groupings {
			name := strings.Join([]string{c.layer, g.aggregate, c.filter, c.measure}, " ")
			t.Run(name, func(t *testing.T) {
				amp := ""
				if c.filter != "" {
					amp = "&" + c.filter
				}
				agg, doc := featureCollection(t, srv.URL+"/api/collections/"+c.layer+"/aggregate?"+g.aggregate+amp)
				res, body := fetch(t, srv.URL+"/render?format=svg&width=1400&height=1000&layers=borders,khorasan,"+c.layer+"&"+g.render+"&measure="+c.measure+amp)
				if res.StatusCode != 200 {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
				fig := readSVG(t, body)
				texts := fig.texts()
				what := "events"
				if c.measure == "magnitude" {
					what = doc["magnitude"].(string)
				}
				if heading := c.title + ": " + what + " " + g.where; !slices.Contains(texts, heading) {
					t.Errorf("no heading %q in the legend: %q", heading, texts)
				}
				// The numbers of the answer, and the classes the rule makes.
				number := map[string]float64{}
				var values []float64
				noFigure, outside := 0, -1.0
				for _, f := range agg.Features {
					v, ok := f.Properties["count"].(float64)
					if c.measure == "magnitude" {
						v, ok = f.Properties["magnitude_sum"].(float64)
					}
					if f.ID == nil {
						outside = f.Properties["count"].(float64)
						continue
					}
					id := fmt.Sprint(f.ID)
					if !ok {
						noFigure++
						continue
					}
					number[id] = v
					values = append(values, v)
				}
				classes := figure.Classes(values, figure.MaxClasses)
				var rows []legendText
				for _, l := range fig.legend {
					if classRow.MatchString(l.text) {
						rows = append(rows, l)
					}
				}
				want := len(classes)
				if noFigure > 0 {
					want++
				}
				if len(rows) != want {
					t.Fatalf("the legend has %d class rows, want %d (%d classes of %v, %d without a figure): %q", len(rows), want, len(classes), values, noFigure, texts)
				}
				for i, cl := range classes {
					m := classRow.FindStringSubmatch(rows[i].text)
					if m[1] != figure.ClassLabel(cl) || m[2] != fmt.Sprint(cl.Count) {
						t.Errorf("class %d: the legend says %q, the answer's numbers make %s (%d)", i, rows[i].text, figure.ClassLabel(cl), cl.Count)
					}
				}
				if noFigure > 0 && !strings.HasPrefix(rows[len(rows)-1].text, fmt.Sprintf("no figure (%d ", noFigure)) {
					t.Errorf("the last row %q, want %d without a figure", rows[len(rows)-1].text, noFigure)
				}
				total := fmt.Sprintf("Total: %v events", doc["count"])
				if c.measure == "magnitude" {
					sum, _ := doc["magnitude_sum"].(float64)
					total = fmt.Sprintf("Total: %s %s in %v events", figure.FormatValue(sum), what, doc["count"])
				}
				if !slices.Contains(texts, total) {
					t.Errorf("no %q in the legend: %q", total, texts)
				}
				if outside >= 0 && !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, fmt.Sprintf("%v event", outside)) }) {
					t.Errorf("the legend does not say %v events fell in no group: %q", outside, texts)
				}
				// Each region drawn: a group of the answer, in its class's colour.
				if len(fig.regions) == 0 {
					t.Fatal("no region drawn")
				}
				for id, fill := range fig.regions {
					v, ok := number[id]
					if !ok {
						continue // a group without a figure
					}
					i := figure.ClassOf(classes, v)
					if i < 0 {
						t.Fatalf("region %s: %v is in no class", id, v)
					}
					if fill != rows[i].swatch {
						t.Errorf("region %s (%v) is filled %s, its class %q's swatch is %s", id, v, fill, rows[i].text, rows[i].swatch)
					}
				}
				for id := range fig.regions {
					if _, ok := number[id]; !ok && noFigure == 0 {
						t.Errorf("region %s is drawn, and /aggregate has no such group", id)
					}
				}
				// The counted layer is the fill, not markers.
				if n := fig.layers[c.layer]["circle"] + fig.layers[c.layer]["path"]; n != 0 {
					t.Errorf("%d markers of %s drawn over its choropleth", n, c.layer)
				}
			})
		}
	}
	t.Run("PDF: pdftotext gives the legend back", func(t *testing.T) {
		agg, doc := featureCollection(t, srv.URL+"/api/collections/attacks/aggregate?by=country")
		res, body := fetch(t, srv.URL+"/render?format=pdf&width=842&height=595&choropleth=country&title=Attacks+per+country")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Fatal("pdftotext is missing: install poppler-utils (make deps does)")
		}
		path := filepath.Join(t.TempDir(), "map.pdf")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, out)
		}
		txt := string(out)
		var values []float64
		for _, f := range agg.Features {
			if f.ID != nil {
				values = append(values, f.Properties["count"].(float64))
			}
		}
		want := []string{"Attacks per country", "ISIS-K attacks 2015–2026: events per country", fmt.Sprintf("Total: %v events", doc["count"])}
		for _, cl := range figure.Classes(values, figure.MaxClasses) {
			noun := "countries"
			if cl.Count == 1 {
				noun = "country"
			}
			want = append(want, fmt.Sprintf("%s (%d %s)", figure.ClassLabel(cl), cl.Count, noun))
		}
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("the PDF's text has no %q:\n%s", w, txt)
			}
		}
	})
}

// TestRenderEventsLayers: events= draws the events layers it names, as
// the page's link carries them, each in its own marker shape and
// colours from its own profile, with a legend section each whose counts
// are the layer's features by its colouring category; data= puts its
// layer first.
func TestRenderEventsLayers(t *testing.T) {
	srv, store := newRenderServer(t, Config{Dataset: defaultDataset(t)})
	importACLED(t, store)
	// The ACLED sample's events by event_type, from the API.
	items, _ := featureCollection(t, srv.URL+"/api/collections/acled/items")
	byType := map[string]int{}
	for _, f := range items.Features {
		byType[f.Properties["event_type"].(string)]++
	}
	if len(byType) == 0 {
		t.Fatal("the ACLED sample has no events")
	}
	sections := func(texts []string) []string {
		var out []string
		for _, s := range texts {
			if strings.Contains(s, ", by ") {
				out = append(out, s)
			}
		}
		return out
	}
	render := func(t *testing.T, query string) svgFigure {
		t.Helper()
		res, body := fetch(t, srv.URL+"/render?format=svg&width=1200&height=800&"+query)
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		return readSVG(t, body)
	}
	t.Run("two layers, two sections, two shapes", func(t *testing.T) {
		fig := render(t, "events=attacks,acled")
		got := sections(fig.texts())
		if want := []string{"ISIS-K attacks 2015–2026, by attribution", "acled, by event type"}; !slices.Equal(got, want) {
			t.Errorf("legend sections %q, want %q", got, want)
		}
		for tp, n := range byType {
			if row := fmt.Sprintf("%s (%d)", tp, n); !slices.Contains(fig.texts(), row) {
				t.Errorf("no legend row %q: %q", row, fig.texts())
			}
		}
		if fig.layers["attacks"]["circle"] < 20 {
			t.Errorf("attacks: %v, want circles", fig.layers["attacks"])
		}
		if a := fig.layers["acled"]; a["circle"] != 0 || a["path"] != 2*len(items.Features) {
			t.Errorf("acled: %v, want %d squares (a fill and an outline each)", a, len(items.Features))
		}
	})
	t.Run("events= leaves the others out", func(t *testing.T) {
		fig := render(t, "events=acled")
		if got := sections(fig.texts()); !slices.Equal(got, []string{"acled, by event type"}) {
			t.Errorf("legend sections %q", got)
		}
		if _, ok := fig.layers["attacks"]; ok {
			t.Error("the attacks are drawn")
		}
		if fig.layers["acled"]["circle"] != len(items.Features) {
			t.Errorf("acled alone: %v, want circles", fig.layers["acled"])
		}
	})
	t.Run("data= comes first", func(t *testing.T) {
		got := sections(render(t, "events=attacks,acled&data=acled").texts())
		if want := []string{"acled, by event type", "ISIS-K attacks 2015–2026, by attribution"}; !slices.Equal(got, want) {
			t.Errorf("legend sections %q, want %q", got, want)
		}
	})
	t.Run("an ACLED choropleth under the attacks", func(t *testing.T) {
		fig := render(t, "events=attacks,acled&data=acled&choropleth=country")
		texts := fig.texts()
		if !slices.Contains(texts, "acled: events per country") || !slices.Contains(texts, "ISIS-K attacks 2015–2026, by attribution") {
			t.Errorf("legend %q", texts)
		}
		if len(fig.regions) == 0 || fig.layers["attacks"]["circle"] == 0 {
			t.Errorf("%d regions, attacks %v", len(fig.regions), fig.layers["attacks"])
		}
	})
	for _, c := range []struct{ name, query, param string }{
		{"an unknown events layer", "events=nope", "events"},
		{"a layer that is not events", "events=borders", "events"},
		{"an empty events name", "events=attacks,", "events"},
		{"an unknown data layer", "data=nope", "data"},
		{"a data layer that is not events", "data=cities", "data"},
		{"an unknown choropleth", "choropleth=province", "choropleth"},
		{"a month choropleth", "choropleth=month", "choropleth"},
		{"hex without a size", "choropleth=hex", "size"},
		{"a size under 5 km", "choropleth=hex&size=4.9", "size"},
		{"a size over 1000 km", "choropleth=hex&size=1001", "size"},
		{"a size with countries", "choropleth=country&size=100", "size"},
		{"a size without a choropleth", "size=100", "size"},
		{"an unknown measure", "choropleth=country&measure=killed", "measure"},
		{"a measure without a choropleth", "measure=count", "measure"},
		{"a choropleth without an events layer", "choropleth=country&layers=borders,khorasan", "choropleth"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := fetch(t, srv.URL+"/render?"+c.query)
			if res.StatusCode != 400 {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			if p := problemOf(t, res, body); len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != c.param {
				t.Errorf("the problem names %+v, want %s", p.InvalidParams, c.param)
			}
		})
	}
}
