package figure

import (
	"context"
	"testing"
)

// TestRangeLabelClearOfMarkers: in the region's figure HINDU KUSH's
// label point lies just north of Kabul's ring of markers; its label goes
// where no event marker or city label of the figure lies, and every
// basemap label but the countries' (whose last resort is their spot)
// keeps clear of them too.
func TestRangeLabelClearOfMarkers(t *testing.T) {
	ctx := context.Background()
	fr := atlasRenderer(t)
	for _, c := range []struct {
		name          string
		width, height int
		scale         float64
		lang          string
	}{
		{"1200x800", 1200, 800, 1, "en"},
		{"1200x800 in Russian", 1200, 800, 1, "ru"},
		{"900x600 at scale 2", 900, 600, 2, "en"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := Figure{Width: c.width, Height: c.height, Scale: c.scale, Legend: true, Lang: c.lang, Format: FormatPNG,
				Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities")}
			fig, err := fr.prepare(ctx, &f)
			if err != nil {
				t.Fatal(err)
			}
			sc, ov, err := fig.baseScene(ctx, fig.dpr)
			if err != nil {
				t.Fatal(err)
			}
			obstacles := fig.obstacles(ov, c.scale)
			if len(obstacles) < 50 {
				t.Fatalf("%d obstacles: the markers and city labels are missing", len(obstacles))
			}
			countryText := fr.Style.Basemap().CountryText
			found := false
			for _, l := range sc.Labels {
				if l.Text == "HINDU KUSH" {
					found = true
				}
				if l.Color == countryText {
					continue
				}
				// The ink, without the halo's pixels (Ink holds them).
				ink := l.Ink.Inset(int(c.scale) + 1)
				for _, o := range obstacles {
					if ink.Overlaps(o) {
						t.Errorf("label %q (%v) overlaps a marker or city label at %v", l.Text, ink, o)
						break
					}
				}
			}
			if !found {
				t.Error("no HINDU KUSH: the range's name found no room")
			}
		})
	}
}
