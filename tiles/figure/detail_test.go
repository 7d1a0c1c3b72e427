package figure

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
)

// TestSVGNamesTheDetailWhereNaturalEarthPutsIt: an SVG figure over the
// Hindu Kush writes the range's name, a river's, a lake's and populated
// places' as text, the range centred on Natural Earth's label point
// and each place beside its own point.
func TestSVGNamesTheDetailWhereNaturalEarthPutsIt(t *testing.T) {
	c := orb.Point{68, 36}
	const W, H, zoom = 900, 600, 6
	f := Figure{Width: W, Height: H, Scale: 1, Format: FormatSVG, Center: &c, Zoom: zoom, Layers: figureLayers(t, "", "khorasan")}
	body := renderWith(t, atlasRenderer(t), f)
	type elem struct {
		xs, ys []float64
		text   string
	}
	var texts []elem
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "text" {
			continue
		}
		var e elem
		for _, a := range se.Attr {
			var dst *[]float64
			switch a.Name.Local {
			case "x":
				dst = &e.xs
			case "y":
				dst = &e.ys
			default:
				continue
			}
			for _, v := range strings.Fields(a.Value) {
				n, _ := strconv.ParseFloat(v, 64)
				*dst = append(*dst, n)
			}
		}
		var s string
		if err := dec.DecodeElement(&s, &se); err != nil {
			t.Fatal(err)
		}
		e.text = s
		texts = append(texts, e)
	}
	cx, cy := tiles.WorldPixel(c, 0, 256)
	v := draw.ViewAt(cx, cy, zoom, W, H, 1)
	find := func(s string) *elem {
		for i := range texts {
			if texts[i].text == s {
				return &texts[i]
			}
		}
		t.Errorf("no %q in the SVG", s)
		return nil
	}
	// HINDU KUSH, letter by letter (one text element), centred on its
	// label point (70.48651, 35.83767) or a line above or below.
	if e := find("HINDU KUSH"); e != nil {
		p := v.Project(orb.Point{70.48651, 35.83767})
		mid := (e.xs[0] + e.xs[len(e.xs)-1]) / 2
		if len(e.xs) != 10 || math.Abs(mid-p[0]) > 10 || math.Abs(e.ys[0]-p[1]) > 40 {
			t.Errorf("HINDU KUSH set at x %v, y %v; its label point is at %.0f,%.0f", e.xs, e.ys, p[0], p[1])
		}
	}
	// Cities of the cities layer (Faizabad, an anchor; Kunduz) and a place
	// of Natural Earth (Khujand), at their files' coordinates: the name starts just
	// beside its point (to its right, or ends to its left, or sits over
	// or under it).
	for _, pl := range []struct {
		name string
		at   orb.Point
	}{{"Faizabad", orb.Point{70.58002, 37.11664}}, {"Kunduz", orb.Point{68.857, 36.72895}}, {"Khujand", orb.Point{69.61993, 40.28998}}} {
		if e := find(pl.name); e != nil {
			p := v.Project(pl.at)
			w := draw.Width(pl.name, draw.Regular, 11)
			if math.Abs(e.ys[0]-p[1]) > 16 || e.xs[0] > p[0]+12 || e.xs[0]+w*1.2 < p[0]-12 {
				t.Errorf("%s written at %.0f,%.0f; its point is at %.0f,%.0f", pl.name, e.xs[0], e.ys[0], p[0], p[1])
			}
		}
	}
	// The Amu Darya named along its course, the rivers and lakes drawn.
	find("Amu Darya")
	if !strings.Contains(string(body), `stroke="#7ca6c0"`) {
		t.Error("no river drawn in the SVG")
	}
}
