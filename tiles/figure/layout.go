package figure

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
)

// Layout constants, in CSS pixels.
const (
	figPad        = 10.0
	titleSize     = 16.0
	titleLeading  = 20.0
	footerSize    = 9.0
	footerLeading = 11.0
	legendPad     = 8.0
	legendText    = 10.5
	legendHead    = 11.0
	legendNote    = 9.0
	scaleMax      = 110.0
	// The legend takes at most this share of the width, shrinking to
	// minLegendScale of its size to fit.
	maxLegendShare = 0.42
	minLegendScale = 0.65
)

// legend is the legend panel: rows drawn top to bottom.
type legend struct {
	w, h float64
	rows []legendRow
}

type legendRow struct {
	h    float64
	w    float64
	draw func(c draw.Canvas, x, y float64) // y is the row's top
}

func (lg *legend) add(r legendRow) {
	lg.rows = append(lg.rows, r)
	lg.h += r.h
	lg.w = math.Max(lg.w, r.w)
}

func (lg *legend) heading(s string) {
	lg.add(legendRow{h: 16, w: draw.Width(s, draw.Bold, legendHead), draw: func(c draw.Canvas, x, y float64) {
		c.Text(draw.TextRun{At: orb.Point{x, y + 12}, Text: s, Size: legendHead, Font: draw.Bold, Color: ink})
	}})
}

func (lg *legend) note(s string) {
	lg.add(legendRow{h: 13, w: draw.Width(s, draw.Regular, legendNote), draw: func(c draw.Canvas, x, y float64) {
		c.Text(draw.TextRun{At: orb.Point{x, y + 10}, Text: s, Size: legendNote, Font: draw.Regular, Color: greyInk})
	}})
}

// item is a row with a symbol 24 pixels wide and a label.
func (lg *legend) item(symbol func(c draw.Canvas, x, y float64), label string, kind draw.FontKind, col color.RGBA) {
	lg.add(legendRow{h: 15, w: 28 + draw.Width(label, kind, legendText), draw: func(c draw.Canvas, x, y float64) {
		symbol(c, x, y+7.5)
		c.Text(draw.TextRun{At: orb.Point{x + 28, y + 11}, Text: label, Size: legendText, Font: kind, Color: col})
	}})
}

func (lg *legend) gap(h float64) {
	lg.add(legendRow{h: h, draw: func(draw.Canvas, float64, float64) {}})
}

// buildLegend explains the markers and the other layers drawn, in the
// page's legend order: the choropleth, each events layer (Data first) in
// a section of its own (its colouring category's values in its marker
// shape, with the counts in the figure), the marker sizes, then areas,
// places and the rest.
func (fig *figure) buildLegend() *legend {
	lg := &legend{}
	sections := 0
	gap := func() {
		if sections > 0 {
			lg.gap(6)
		}
		sections++
	}
	if fig.choro != nil {
		gap()
		lg.choropleth(fig)
	}
	var sized []Layer // events layers drawn as markers with a magnitude
	for _, l := range fig.eventLayers() {
		if fig.counted(l.Layer.Name) {
			continue
		}
		gap()
		lg.events(fig, l)
		if l.Layer.Profile.Magnitude != "" {
			sized = append(sized, l)
		}
	}
	if len(sized) > 0 {
		lg.sizes(fig, sized[0])
	}
	rank := map[geo.Kind]int{geo.KindAreas: 1, geo.KindPlaces: 2, geo.KindGeneric: 3}
	var rest []Layer
	for _, l := range fig.order {
		if _, ok := rank[layerKind(l.Layer)]; ok {
			rest = append(rest, l)
		}
	}
	slices.SortStableFunc(rest, func(a, b Layer) int { return rank[layerKind(a.Layer)] - rank[layerKind(b.Layer)] })
	for _, l := range rest {
		gap()
		switch layerKind(l.Layer) {
		case geo.KindAreas:
			lg.areas(fig)
		case geo.KindPlaces:
			lg.places(fig.citySamples)
		default:
			lg.generic(fig, l)
		}
	}
	if sections == 0 {
		return nil
	}
	lg.w += 2 * legendPad
	lg.h += 2 * legendPad
	return lg
}

// events explains one events layer's markers: its colouring category's
// values in the layer's marker shape, each with the number of its
// markers inside the figure (a closed category lists every value, an
// open one those drawn), and "other" when some are.
func (lg *legend) events(fig *figure, l Layer) {
	st := fig.st
	col := st.colouring(l.Layer.Profile)
	counts := fig.markerCounts(l)
	shape := fig.shapeOf(l.Layer.Name)
	heading := shortTitle(l.Layer)
	if col.title != "" {
		heading += ", by " + strings.ToLower(col.title)
	}
	lg.heading(heading)
	row := func(sw Swatch, n int) {
		c := mustColor(sw.Color)
		lg.item(func(cv draw.Canvas, x, y float64) {
			mark(cv, shape, orb.Point{x + 10, y}, 6, draw.Mark{Fill: c, FillOpacity: st.Marker.FillOpacity, Stroke: white, StrokeWidth: 1})
		}, fmt.Sprintf("%s (%d)", sw.Label, n), draw.Regular, ink)
	}
	for i, sw := range col.values {
		if col.keys[i] != "" && (!col.open || counts[i] > 0) && col.index[col.keys[i]] == i {
			row(sw, counts[i])
		}
	}
	if n := counts[-1]; n > 0 || len(col.values) == 0 {
		sw := st.AttributionUnknown
		if len(col.values) == 0 {
			sw = Swatch{Color: st.AttributionUnknown.Color, Label: "events"}
		}
		row(sw, n)
	}
}

// sizes is the marker size key, one for every events layer: area by
// magnitude.
func (lg *legend) sizes(fig *figure, first Layer) {
	st := fig.st
	lg.gap(2)
	lg.heading("Marker area: people killed")
	refs := st.Marker.ReferenceKilled
	if len(refs) == 0 {
		refs = []float64{10, 50, 150}
	}
	var radii []float64
	total, rmax := 0.0, 0.0
	for _, k := range refs {
		r := st.Radius(k)
		radii = append(radii, r)
		total += 2*r + 10
		rmax = math.Max(rmax, r)
	}
	col := st.colouring(first.Layer.Profile)
	reference := mustColor(col.swatch(st, 0).Color)
	if len(col.values) == 0 {
		reference = mustColor(st.AttributionUnknown.Color)
	}
	lg.add(legendRow{h: 2*rmax + 16, w: total, draw: func(c draw.Canvas, x, y float64) {
		base := y + 2*rmax + 2
		cx := x + 2
		for i, r := range radii {
			c.Circle(orb.Point{cx + r, base - r}, r, draw.Mark{Fill: reference, FillOpacity: 0.25, Stroke: greyInk, StrokeWidth: 1})
			c.Text(draw.TextRun{At: orb.Point{cx + r, base + 11}, Text: strconv.FormatFloat(refs[i], 'f', -1, 64), Size: legendText, Font: draw.Regular, Color: ink, Anchor: draw.AnchorMiddle})
			cx += 2*r + 10
		}
	}})
	lg.note("Smallest dot: no one killed, or unknown.")
	lg.note("Events at one place are spread on a ring.")
}

// areas explains the outlines.
func (lg *legend) areas(fig *figure) {
	st := fig.st
	k := st.Khorasan
	lg.heading("Greater Khorasan (approximate)")
	for _, v := range []PathStyle{k.Main, k.Broad} {
		v := v
		label := v.Label
		if label == "" {
			label = "Outline"
		}
		lg.item(func(c draw.Canvas, x, y float64) {
			c.Stroke([][]orb.Point{{{x, y}, {x + 22, y}}}, false, mustColor(v.Color), opacity(v.Opacity, 1), v.Weight, dashes(v.DashArray))
		}, label, draw.Regular, ink)
	}
	lg.note("Historical region, hand-drawn. Not ISIS-K’s territory.")
}

// places explains the two kinds of city label, with an anchor's and
// another city's name as samples (in the figure's language).
func (lg *legend) places(samples [2]string) {
	lg.heading("Cities")
	lg.add(legendRow{h: 15, w: 28 + 70 + draw.Width("historical anchor", draw.Regular, legendText), draw: func(c draw.Canvas, x, y float64) {
		c.Circle(orb.Point{x + 10, y + 7.5}, 2.5, draw.Mark{Fill: anchorDot, FillOpacity: 1, Stroke: white, StrokeWidth: 1})
		c.Text(draw.TextRun{At: orb.Point{x + 16, y + 11}, Text: samples[0], Size: 11, Font: draw.Italic, Color: anchorText})
		c.Text(draw.TextRun{At: orb.Point{x + 28 + 46, y + 11}, Text: "historical anchor", Size: legendText, Font: draw.Regular, Color: ink})
	}})
	lg.add(legendRow{h: 15, w: 28 + 70 + draw.Width("other city", draw.Regular, legendText), draw: func(c draw.Canvas, x, y float64) {
		c.Circle(orb.Point{x + 10, y + 7.5}, 2.5, draw.Mark{Fill: cityDot, FillOpacity: 1, Stroke: white, StrokeWidth: 1})
		c.Text(draw.TextRun{At: orb.Point{x + 16, y + 11}, Text: samples[1], Size: 10.5, Font: draw.Regular, Color: cityText})
		c.Text(draw.TextRun{At: orb.Point{x + 28 + 46, y + 11}, Text: "other city", Size: legendText, Font: draw.Regular, Color: ink})
	}})
}

// generic names a layer the dataset does not describe.
func (lg *legend) generic(fig *figure, l Layer) {
	st := fig.st
	g := st.Generic
	col := mustColor(g.Color)
	title := firstNonEmpty(l.Layer.Title, l.Layer.Name)
	lg.item(func(c draw.Canvas, x, y float64) {
		c.Rect(x+2, y-5, 18, 10, col, opacity(g.FillOpacity, 0.15), col, g.Weight)
	}, title, draw.Regular, ink)
}

// markerCounts counts an events layer's markers inside the figure by
// the place of their value in its colouring category (-1: other).
func (fig *figure) markerCounts(l Layer) map[int]int {
	counts := map[int]int{}
	col := fig.st.colouring(l.Layer.Profile)
	colour := colourProperty(l.Layer.Profile)
	for _, f := range fig.features[l.Layer.Name] {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		p := fig.project(pt)
		if p[0] < 0 || p[1] < 0 || p[0] > float64(fig.Width) || p[1] > float64(fig.Height) {
			continue
		}
		counts[col.of(propString(f.Properties, colour))]++
	}
	return counts
}

// credits is the attribution line: the basemap's sources, each drawn
// layer's credit (with where its sources are listed) and the date the
// data last changed.
func (fig *figure) credits() string {
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	for _, l := range fig.basemapLayers {
		if l.Name == fig.basemap.Borders {
			a := firstNonEmpty(l.Attribution, "Natural Earth")
			if rest, ok := strings.CutPrefix(a, "Borders:"); ok {
				add("Basemap and borders:" + rest)
			} else {
				add("Basemap: " + a)
			}
		} else {
			add(l.Attribution)
		}
	}
	for _, l := range fig.order {
		if l.Layer.Name == fig.basemap.Borders && len(fig.basemapLayers) > 0 && fig.basemapLayers[0].Name == fig.basemap.Borders {
			continue
		}
		credit := firstNonEmpty(l.Layer.Attribution, l.Layer.Title, l.Layer.Name)
		if layerKind(l.Layer) == geo.KindEvents {
			if fig.BaseURL != "" {
				credit = strings.TrimRight(credit, ". ") + "; sources listed at " + strings.TrimSuffix(fig.BaseURL, "/") + "/api/collections/" + l.Layer.Name + "/items"
			} else {
				credit = strings.TrimRight(credit, ". ") + "; sources listed per event (source_url)"
			}
		}
		add(credit)
	}
	if !fig.changed.IsZero() {
		asOf := "Data\u00a0as\u00a0of\u00a0" + fig.changed.UTC().Format("2006-01-02")
		if fig.latestEvent != "" {
			asOf += ", latest\u00a0event\u00a0" + fig.latestEvent
		}
		add(asOf)
	}
	return strings.Join(parts, " · ")
}

// layout places the title band, the attribution strip, the scale bar and
// the legend.
func (fig *figure) layout() *overlays {
	W, H := float64(fig.Width), float64(fig.Height)
	ov := &overlays{}
	top := 0.0
	if t := strings.TrimSpace(fig.Title); t != "" {
		ov.title = draw.Wrap(t, draw.Bold, titleSize, W-2*figPad)
		if len(ov.title) > 3 {
			ov.title = ov.title[:3]
			ov.title[2] += "…"
		}
		top = figPad + float64(len(ov.title))*titleLeading
		ov.titleBox = box{0, 0, W, top}
	}
	ov.footer = draw.Wrap(fig.credits(), draw.Regular, footerSize, W-12)
	footTop := H - (float64(len(ov.footer))*footerLeading + 5)
	ov.footerBox = box{0, footTop, W, H}

	// Scale bar: a round distance at the map's centre latitude.
	lat := fig.centreLat()
	mpp := 2 * math.Pi * 6378137 * math.Cos(lat*math.Pi/180) / (256 * math.Exp2(fig.css.Zoom))
	maxLen := math.Min(scaleMax, W/3)
	if d := niceDistance(maxLen * mpp); d > 0 {
		ov.scaleLen = d / mpp
		if d >= 1000 {
			ov.scaleText = strconv.FormatFloat(d/1000, 'f', -1, 64) + " km"
		} else {
			ov.scaleText = strconv.FormatFloat(d, 'f', -1, 64) + " m"
		}
		ov.scaleBox = box{figPad - 4, footTop - figPad - 24, figPad + ov.scaleLen + 6, footTop - figPad + 2}
	}
	if fig.Legend {
		if lg := fig.buildLegend(); lg != nil {
			// A legend larger than its share of the figure shrinks, down
			// to minLegendScale; below that it is left out.
			k := math.Min(1, math.Min((footTop-top-2*figPad)/lg.h, W*maxLegendShare/lg.w))
			x1, y1 := W-figPad, footTop-figPad
			b := box{x1 - lg.w*k, y1 - lg.h*k, x1, y1}
			room := k >= minLegendScale && b.y0 >= top+figPad-0.01 && b.x0 >= figPad && !(ov.scaleBox != box{} && b.overlaps(ov.scaleBox))
			if room {
				ov.legend, ov.legendBox, ov.legendScale = lg, b, k
			}
		}
	}
	if fig.wantInset() {
		// Top right, below the title; top left when the legend reaches
		// up there; left out when neither corner has room.
		sz := fig.insetSize()
		for _, x0 := range []float64{W - figPad - sz[0], figPad} {
			b := box{x0, top + figPad, x0 + sz[0], top + figPad + sz[1]}
			if b.y1 > footTop-figPad || (ov.legendBox != box{} && b.overlaps(ov.legendBox)) || (ov.scaleBox != box{} && b.overlaps(ov.scaleBox)) {
				continue
			}
			ov.insetBox = b
			break
		}
	}
	return ov
}

// centreLat is the latitude at the middle of the figure.
func (fig *figure) centreLat() float64 {
	// Invert the projection at the middle row.
	k := math.Exp2(fig.css.Zoom)
	p0 := fig.css.Project(orb.Point{0, 0})
	_, y0 := tiles.WorldPixel(orb.Point{0, 0}, 0, 256)
	cy := (float64(fig.Height)/2-p0[1])/k + y0
	return tiles.LonLat(0, cy, 0, 256)[1]
}

// niceDistance is the largest 1, 2 or 5 times a power of ten metres not
// above m.
func niceDistance(m float64) float64 {
	if !(m > 0) || math.IsInf(m, 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{5, 2, 1} {
		if f*p <= m {
			return f * p
		}
	}
	return p
}

// drawOverlays paints the title band, legend, scale bar and attribution.
func (fig *figure) drawOverlays(c draw.Canvas, ov *overlays) {
	W := float64(fig.Width)
	if len(ov.title) > 0 {
		c.Group("title")
		b := ov.titleBox
		c.Rect(0, 0, W, b.y1, white, 0.85, color.RGBA{}, 0)
		// A title that reads right to left (Persian, Pashto, Urdu) is set
		// flush right.
		x, anchor := figPad, draw.AnchorStart
		if draw.RightToLeft(fig.Title) {
			x, anchor = W-figPad, draw.AnchorEnd
		}
		for i, line := range ov.title {
			c.Text(draw.TextRun{At: orb.Point{x, figPad + float64(i)*titleLeading + 13}, Text: line, Size: titleSize, Font: draw.Bold, Color: ink, Anchor: anchor})
		}
		c.End()
	}
	if ov.inset != nil {
		fig.drawInset(c, ov.insetBox, ov.inset)
	}
	if lg := ov.legend; lg != nil {
		c.Group("legend")
		b := ov.legendBox
		c.Rect(b.x0, b.y0, b.x1-b.x0, b.y1-b.y0, white, 0.92, panelRim, 0.8)
		lc := c
		if k := ov.legendScale; k != 1 {
			lc = draw.Scale(c, orb.Point{b.x0, b.y0}, k)
		}
		// Rows are laid out from the legend's own origin, then placed.
		y := legendPad
		for _, r := range lg.rows {
			if k := ov.legendScale; k != 1 {
				r.draw(lc, legendPad, y)
			} else {
				r.draw(lc, b.x0+legendPad, b.y0+y)
			}
			y += r.h
		}
		c.End()
	}
	if ov.scaleLen > 0 {
		c.Group("scale-bar")
		b := ov.scaleBox
		c.Rect(b.x0, b.y0, b.x1-b.x0, b.y1-b.y0, white, 0.75, color.RGBA{}, 0)
		x0, x1, y := figPad, figPad+ov.scaleLen, b.y1-6
		c.Stroke([][]orb.Point{{{x0, y - 5}, {x0, y}, {x1, y}, {x1, y - 5}}}, false, ink, 1, 1.5, nil)
		c.Text(draw.TextRun{At: orb.Point{x0 + 2, y - 7}, Text: ov.scaleText, Size: 10, Font: draw.Regular, Color: ink})
		c.End()
	}
	c.Group("attribution")
	b := ov.footerBox
	c.Rect(0, b.y0, W, b.y1-b.y0, white, 0.8, color.RGBA{}, 0)
	for i, line := range ov.footer {
		c.Text(draw.TextRun{At: orb.Point{6, b.y0 + 3 + float64(i)*footerLeading + 8}, Text: line, Size: footerSize, Font: draw.Regular, Color: greyInk})
	}
	c.End()
}
