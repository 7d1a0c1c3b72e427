package figure

import (
	"bytes"
	"context"
	"net/url"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
	"github.com/paulmach/orb"
)

// TestInsetByDefaultAboveASize: a figure of 600 pixels or more both ways
// has the locator inset (an SVG group "inset" with the view's outline),
// a smaller one not, unless asked; inset=false drops it.
func TestInsetByDefaultAboveASize(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		inset Inset
		want  bool
	}{
		{800, 600, InsetAuto, true},
		{600, 600, InsetAuto, true},
		{1200, 500, InsetAuto, false},
		{640, 480, InsetAuto, false},
		{640, 480, InsetOn, true},
		{1200, 800, InsetOff, false},
	} {
		f := Figure{Width: c.w, Height: c.h, Scale: 1, Format: FormatSVG, Legend: true, Inset: c.inset,
			Layers: figureLayers(t, "", "borders", "khorasan", "attacks")}
		svg := renderFigure(t, f)
		if got := bytes.Contains(svg, []byte(`id="inset"`)); got != c.want {
			t.Errorf("%dx%d, inset %d: inset drawn %v, want %v", c.w, c.h, c.inset, got, c.want)
		}
	}
}

// TestInsetShowsTheView: in a PNG the inset (top right, below the title)
// holds the outline's red where the view lies in the wider region.
func TestInsetShowsTheView(t *testing.T) {
	c := orb.Point{69.17, 34.53}
	f := Figure{Width: 800, Height: 600, Scale: 1, Format: FormatPNG, Center: &c, Zoom: 8, Legend: false,
		Layers: figureLayers(t, "", "borders", "attacks")}
	fig := &figure{Figure: f}
	sz := fig.insetSize()
	img := decodePNG(t, renderFigure(t, f))
	// The view is centred on the inset's middle; its outline at four
	// zooms out is 800/16 by 600/16 pixels around it.
	x0, y0 := 800-figPad-sz[0], figPad
	mx, my := int(x0+sz[0]/2), int(y0+sz[1]/2)
	red := 0
	for y := my - 25; y <= my+25; y++ {
		for x := mx - 30; x <= mx+30; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xa0 && g>>8 < 0x60 && b>>8 < 0x60 {
				red++
			}
		}
	}
	if red < 40 {
		t.Errorf("%d outline pixels around the inset's middle (%d,%d), want the view's outline", red, mx, my)
	}
}

func TestParseInset(t *testing.T) {
	store := layerStore{[]geo.Layer{fuzzLayer}}
	for q, want := range map[string]Inset{"": InsetAuto, "inset=true": InsetOn, "inset=false": InsetOff, "inset=0": InsetOff} {
		v, _ := url.ParseQuery(q)
		f, err := Parse(context.Background(), store, v)
		if err != nil || f.Inset != want {
			t.Errorf("%q: inset %d, %v; want %d", q, f.Inset, err, want)
		}
	}
	v, _ := url.ParseQuery("inset=maybe")
	_, err := Parse(context.Background(), store, v)
	if pe, ok := err.(*params.Error); !ok || pe.Name != "inset" {
		t.Errorf("inset=maybe: %v, want an error naming inset", err)
	}
}
