// Package figure draws report figures (PNG, SVG, PDF) of layers over the
// basemap and parses their requests (Parse); it imports tiles/basemap,
// tiles/draw, tiles, geo, geo/cql2 and geo/params.
package figure

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/basemap"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// Figure formats.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
	FormatPDF = "pdf"
)

// Figure limits.
const (
	// MaxSide bounds Width and Height (CSS pixels).
	MaxSide = 4096
	// MaxScale bounds Scale.
	MaxScale = 4
	// MaxPixels bounds a PNG's pixels (Width×Height×Scale²): 8192²,
	// 256 MiB of RGBA while it is drawn.
	MaxPixels = 8192 * 8192
	// MaxZoom bounds Zoom.
	MaxZoom = 20
	// FitMaxZoom is the closest a fitted view comes: one point alone is
	// shown at this zoom, not at a street's width.
	FitMaxZoom = 10
	// MaxTitle bounds the title, in characters.
	MaxTitle = 200
)

// Figure is a static map for a report: the offline basemap, layers drawn
// in the page's style (static/style.json), a legend, a scale bar, the data
// attribution and the date the data last changed, and an optional title.
//
// Sizes are CSS pixels, as on the web page: line widths, marker radii and
// text sizes are the page's. A PNG is exactly Width×Scale by Height×Scale
// pixels. SVG and PDF are vector (paths and text; Scale does not apply):
// the SVG is Width by Height pixels, and the PDF page is Width by Height
// points (1 CSS pixel = 1 pt, so width=595&height=842 is an A4 page and
// labels of 11 px print at 11 pt).
type Figure struct {
	// The view: Bound when set (fitted into Width by Height and centred),
	// else Center at Zoom when Center is set, else the view that fits the
	// selected features (the historical region and the attacks near it,
	// as the page's first view).
	Bound  *orb.Bound
	Center *orb.Point
	Zoom   float64

	Width, Height int
	// Scale is PNG pixels per CSS pixel (1 to 4; 2 for print).
	Scale float64
	// Layers are drawn over the basemap in the page's order: borders,
	// khorasan, other layers, attacks, cities.
	Layers []Layer
	Title  string
	Legend bool
	// Inset is the locator map: InsetAuto (the default) draws it on
	// figures at least InsetMinSide pixels in both directions.
	Inset Inset
	// Lang is the basemap labels' language (basemap.Languages); empty is
	// English.
	Lang string
	// Format is png, svg or pdf.
	Format string
	// BaseURL is the server's public URL; the attribution line points to
	// the layers' sources there. Empty leaves the URL out.
	BaseURL string
	// Data is the events layer the figure is about (the page's data=):
	// its legend section comes first and its markers are circles; empty
	// is the first events layer. The other events layers get a marker
	// shape each (square, diamond, triangle) and a section of their own.
	Data string
	// Choropleth, when set, fills countries or hexagon cells by the
	// counts of one events layer instead of drawing its markers.
	Choropleth *Choropleth

	// asOf replaces the data date (tests).
	asOf time.Time
}

// Inset says whether a figure has a locator inset: a small map of the
// wider region with the view's outline on it.
type Inset int

const (
	// InsetAuto draws the inset when the figure is at least InsetMinSide
	// CSS pixels wide and high.
	InsetAuto Inset = iota
	InsetOn
	InsetOff
)

// InsetMinSide is the smallest width and height that get an inset by
// default: below it the inset would hide too much of the map.
const InsetMinSide = 600

// Layer is a layer of a figure and the filter that selects its
// features (nil: all).
type Layer struct {
	Layer  geo.Layer
	Filter cql2.Expr
}

// Check returns the first thing wrong with the figure's size, scale,
// view, title or format, as a *geo.InvalidError naming the parameter.
func (f *Figure) Check() error {
	bad := func(where, format string, args ...any) error {
		return &geo.InvalidError{Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case f.Width < 1 || f.Width > MaxSide:
		return bad("width", "must be 1 to %d pixels, got %d", MaxSide, f.Width)
	case f.Height < 1 || f.Height > MaxSide:
		return bad("height", "must be 1 to %d pixels, got %d", MaxSide, f.Height)
	case !(f.Scale >= 1 && f.Scale <= MaxScale):
		return bad("scale", "must be 1 to %d, got %g", MaxScale, f.Scale)
	case f.Format != FormatPNG && f.Format != FormatSVG && f.Format != FormatPDF:
		return bad("format", "must be png, svg or pdf, got %q", f.Format)
	case f.Format == FormatPNG && float64(f.Width)*float64(f.Height)*f.Scale*f.Scale > MaxPixels:
		return bad("scale", "width×height×scale² is %.0f pixels; at most %d (8192×8192) are drawn", float64(f.Width)*float64(f.Height)*f.Scale*f.Scale, MaxPixels)
	case utf8.RuneCountInString(f.Title) > MaxTitle:
		return bad("title", "is longer than %d characters", MaxTitle)
	case !utf8.ValidString(f.Title):
		return bad("title", "is not UTF-8")
	}
	if ch := f.Choropleth; ch != nil {
		if err := ch.check(); err != nil {
			return err
		}
	}
	if b := f.Bound; b != nil {
		switch {
		case !finite(b.Min[0], b.Min[1], b.Max[0], b.Max[1]):
			return bad("bbox", "is not four numbers")
		case b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90:
			return bad("bbox", "lies outside the world (-180,-90,180,90)")
		case b.Min[0] >= b.Max[0] || b.Min[1] >= b.Max[1]:
			return bad("bbox", "needs min < max in both longitude and latitude")
		case b.Min[1] >= tiles.MaxLat || b.Max[1] <= -tiles.MaxLat:
			return bad("bbox", "lies beyond the Web Mercator map (latitudes ±85.05)")
		}
	}
	if c := f.Center; f.Bound == nil && c != nil {
		switch {
		case !finite(c[0], c[1]) || c[0] < -180 || c[0] > 180 || c[1] < -90 || c[1] > 90:
			return bad("center", "must be lon,lat within -180..180, -90..90")
		case !(f.Zoom >= 0 && f.Zoom <= MaxZoom):
			return bad("zoom", "must be 0 to %d, got %g", MaxZoom, f.Zoom)
		}
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Renderer draws figures from the layers of a Source in a Style.
type Renderer struct {
	Source tiles.Source
	Style  *Style
	// Borders and Cities name the layers the basemap draws from
	// (geo.Dataset.Basemap); an empty name leaves that part out.
	Borders, Cities string
	// Detail is the basemap's physical and cultural detail
	// (basemap.Renderer.Detail); nil draws without it.
	Detail fs.FS

	// Countries, when set, keeps the borders layer in memory for
	// country choropleths (the server shares its aggregates' cache);
	// without it the Renderer keeps its own (ownCountries).
	Countries *aggregate.CountriesCache

	// The basemap, made on first use and kept with its label placements
	// (a Renderer is not to be copied once used).
	basemapOnce  sync.Once
	basemap      *basemap.Renderer
	ownCountries aggregate.CountriesCache
	// pngEnc writes the PNGs (draw.PNGEncoder: a third of image/png's
	// time), its buffers kept from one to the next.
	pngEnc draw.PNGEncoder
}

// base is the basemap renderer the figures share: its labels are placed
// in world pixels as the tiles' are, once per zoom and scale.
func (fr *Renderer) base() *basemap.Renderer {
	fr.basemapOnce.Do(func() {
		fr.basemap = &basemap.Renderer{Source: fr.Source, Style: fr.Style.Basemap(), Borders: fr.Borders, Cities: fr.Cities, Detail: fr.Detail}
	})
	return fr.basemap
}

// Render draws the figure and writes it to w in its format. Nothing is
// written when it fails. A cancelled or expired ctx stops it.
func (fr *Renderer) Render(ctx context.Context, f Figure, w io.Writer) error {
	if fr.Style == nil {
		return errors.New("figure: no map style")
	}
	if err := f.Check(); err != nil {
		return err
	}
	if f.Format != FormatPNG {
		f.Scale = 1
	}
	fig, err := fr.prepare(ctx, &f)
	if err != nil {
		return err
	}
	switch f.Format {
	case FormatPNG:
		return fig.png(ctx, w)
	case FormatSVG:
		return fig.svg(ctx, w)
	}
	return fig.pdf(ctx, w)
}

// layerKind is what the layer's profile says it is: each kind has the
// page's style for it, and a layer without a profile the generic one.
func layerKind(l geo.Layer) geo.Kind {
	if l.Profile.Kind == "" {
		return geo.KindGeneric
	}
	return l.Profile.Kind
}

// colourProperty is the property whose value colours an event's marker:
// the profile's first category.
func colourProperty(p geo.Profile) string {
	if len(p.Categories) == 0 {
		return ""
	}
	return p.Categories[0].Property
}

// eventLayers are the figure's events layers in legend order: Data
// first, then the others in the figure's order. A layer's place is its
// marker shape.
func (fig *figure) eventLayers() []Layer {
	var out []Layer
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindEvents {
			out = append(out, l)
		}
	}
	if i := slices.IndexFunc(out, func(l Layer) bool { return l.Layer.Name == fig.Data }); i > 0 {
		d := out[i]
		out = append([]Layer{d}, slices.Delete(out, i, i+1)...)
	}
	return out
}

// shapeOf is the marker shape of an events layer: its place among the
// eventLayers drawn as markers (the choropleth's is the fill).
func (fig *figure) shapeOf(name string) int {
	ls := slices.DeleteFunc(fig.eventLayers(), func(l Layer) bool { return fig.counted(l.Layer.Name) })
	return max(0, slices.IndexFunc(ls, func(l Layer) bool { return l.Layer.Name == name }))
}

// counted says the layer is the choropleth's: drawn as the fill.
func (fig *figure) counted(name string) bool {
	return fig.choro != nil && fig.choro.layer.Name == name
}

// eventFeatures are the features read of the drawn event layers.
func (fig *figure) eventFeatures() []geo.Feature {
	var out []geo.Feature
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindEvents {
			out = append(out, fig.features[l.Layer.Name]...)
		}
	}
	return out
}

// figure is a Figure being drawn: its view and what was read for it.
type figure struct {
	Figure
	r     *Renderer
	st    *Style
	css   draw.View // the view in CSS pixels
	dpr   draw.View // the view in device pixels (PNG)
	order []Layer
	// features per layer name, as read for the view
	features map[string][]geo.Feature
	choro    *choropleth // the choropleth as counted, or nil
	basemap  *basemap.Renderer
	scene    *draw.Scene // the basemap as drawn
	// layers the basemap drew from, for credit and the data date
	basemapLayers []geo.Layer
	cityLabels    bool // the basemap draws city labels
	// citySamples are the legend's sample city names (Herat, an
	// anchor, and Peshawar) in the figure's language.
	citySamples [2]string
	// changed is the last edit of the drawn event layers (those with
	// dates), or of every drawn layer when none has dates; latestEvent is
	// the last date of the event layers (YYYY-MM-DD). Both come from the
	// data, so "data as of" needs no code change when the data grows.
	changed, changedAny time.Time
	latestEvent         string
}

// prepare settles the view and reads the features.
func (fr *Renderer) prepare(ctx context.Context, f *Figure) (*figure, error) {
	fig := &figure{Figure: *f, r: fr, st: fr.Style, features: map[string][]geo.Feature{}}
	fig.basemap = fr.base()
	// Drawing order: the page's panes.
	rank := map[geo.Kind]int{geo.KindReference: 0, geo.KindAreas: 1, geo.KindGeneric: 2, geo.KindEvents: 3, geo.KindPlaces: 4}
	fig.order = slices.Clone(f.Layers)
	slices.SortStableFunc(fig.order, func(a, b Layer) int {
		return rank[layerKind(a.Layer)] - rank[layerKind(b.Layer)]
	})
	var cx, cy, zoom float64 // centre in world pixels at zoom 0
	switch {
	case f.Bound != nil:
		cx, cy, zoom = fitInto(*f.Bound, f.Width, f.Height, [4]float64{}, MaxZoom)
	case f.Center != nil:
		cx, cy = tiles.WorldPixel(*f.Center, 0, 256)
		zoom = f.Zoom
	default:
		b, err := fig.fitBound(ctx)
		if err != nil {
			return nil, err
		}
		cx, cy, zoom = fitInto(b, f.Width, f.Height, fig.fitPadding(), FitMaxZoom)
	}
	zoom = math.Max(0, math.Min(zoom, MaxZoom))
	fig.css = draw.ViewAt(cx, cy, zoom, f.Width, f.Height, 1)
	fig.dpr = draw.ViewAt(cx, cy, zoom, f.Width, f.Height, f.Scale)
	haveCities := false
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindPlaces {
			haveCities = true
		}
	}
	// The page turns the basemap's city labels off when it draws its own.
	fig.css.NoCityLabels, fig.dpr.NoCityLabels = haveCities, haveCities
	fig.css.Lang, fig.dpr.Lang = f.Lang, f.Lang
	fig.cityLabels = !haveCities && zoom >= basemap.AnchorCityZoom
	for i, en := range [2]string{"Herat", "Peshawar"} {
		n, err := fig.basemap.CityNamed(ctx, en, f.Lang)
		if err != nil {
			return nil, err
		}
		fig.citySamples[i] = n
	}
	if f.Choropleth != nil {
		ch, err := fr.countChoropleth(ctx, fig)
		if err != nil {
			return nil, err
		}
		fig.choro = ch
	}

	for _, l := range fig.order {
		if fig.sharesBasemapBorders(l) {
			fig.noteChanged(l.Layer)
			continue // drawn from the basemap's own outlines
		}
		if fig.counted(l.Layer.Name) {
			fig.noteChanged(l.Layer)
			continue // drawn as the choropleth's fill
		}
		var got []geo.Feature
		q := geo.Query{BBox: &fig.css.Bound, Filter: l.Filter}
		err := fr.Source.Features(ctx, l.Layer.Name, q, func(feat geo.Feature) error {
			if feat.Geometry != nil {
				got = append(got, feat)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Layer.Name, err)
		}
		fig.features[l.Layer.Name] = got
		fig.noteChanged(l.Layer)
	}
	names := []string{fr.Borders}
	if fig.cityLabels {
		names = append(names, fr.Cities)
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		l, err := fr.Source.Layer(ctx, n)
		if errors.Is(err, geo.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		fig.basemapLayers = append(fig.basemapLayers, l)
		fig.noteChanged(l)
	}
	if fig.changed.IsZero() {
		fig.changed = fig.changedAny
	}
	if !f.asOf.IsZero() {
		fig.changed = f.asOf
	}
	return fig, nil
}

// noteChanged takes the layer's last edit and, for a layer with dates,
// its latest one into the figure's "data as of".
func (fig *figure) noteChanged(l geo.Layer) {
	events := l.TimeExtent[1] != ""
	if last := l.TimeExtent[1]; events && last[:min(len(last), 10)] > fig.latestEvent {
		fig.latestEvent = last[:min(len(last), 10)]
	}
	t, err := time.Parse(time.RFC3339Nano, l.Changed)
	if err != nil {
		return
	}
	if t.After(fig.changedAny) {
		fig.changedAny = t
	}
	if events && t.After(fig.changed) {
		fig.changed = t
	}
}

// fitBound is what a figure without a view shows, as the page's first
// view: the khorasan outlines and the attacks near them (within the
// outlines' bound grown by its own size on every side); failing those,
// the other layers; failing everything, the world.
func (fig *figure) fitBound(ctx context.Context) (orb.Bound, error) {
	var region *orb.Bound
	extend := func(b orb.Bound) {
		if region == nil {
			region = &b
		} else {
			u := region.Union(b)
			region = &u
		}
	}
	each := func(l Layer, fn func(orb.Geometry)) error {
		return fig.r.Source.Features(ctx, l.Layer.Name, geo.Query{Filter: l.Filter}, func(f geo.Feature) error {
			if f.Geometry != nil {
				fn(f.Geometry)
			}
			return nil
		})
	}
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindAreas {
			if err := each(l, func(g orb.Geometry) { extend(g.Bound()) }); err != nil {
				return orb.Bound{}, err
			}
		}
	}
	var near *orb.Bound
	if region != nil {
		w, h := region.Max[0]-region.Min[0], region.Max[1]-region.Min[1]
		n := orb.Bound{Min: orb.Point{region.Min[0] - w, region.Min[1] - h}, Max: orb.Point{region.Max[0] + w, region.Max[1] + h}}
		near = &n
	}
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindEvents {
			err := each(l, func(g orb.Geometry) {
				if near == nil || near.Intersects(g.Bound()) {
					extend(g.Bound())
				}
			})
			if err != nil {
				return orb.Bound{}, err
			}
		}
	}
	for _, kind := range []geo.Kind{geo.KindGeneric, geo.KindPlaces, geo.KindReference} {
		if region != nil {
			break
		}
		for _, l := range fig.order {
			if layerKind(l.Layer) == kind {
				if err := each(l, func(g orb.Geometry) { extend(g.Bound()) }); err != nil {
					return orb.Bound{}, err
				}
			}
		}
	}
	if region == nil {
		return orb.Bound{Min: orb.Point{-180, -60}, Max: orb.Point{180, 75}}, nil
	}
	return *region, nil
}

// fitInto is the centre (world pixels at zoom 0) and zoom at which b
// fills width by height CSS pixels less the padding (left, top, right,
// bottom) that the overlays take, at most maxZoom.
func fitInto(b orb.Bound, width, height int, pad [4]float64, maxZoom float64) (cx, cy, zoom float64) {
	x0, y0 := tiles.WorldPixel(orb.Point{b.Min[0], b.Max[1]}, 0, 256)
	x1, y1 := tiles.WorldPixel(orb.Point{b.Max[0], b.Min[1]}, 0, 256)
	W, H := float64(width), float64(height)
	l, t, r, bt := pad[0], pad[1], pad[2], pad[3]
	if W-l-r < W*0.4 {
		l, r = W*0.05, W*0.05
	}
	if H-t-bt < H*0.4 {
		t, bt = H*0.05, H*0.05
	}
	zoom = math.Log2(math.Min((W-l-r)/math.Max(x1-x0, 1e-9), (H-t-bt)/math.Max(y1-y0, 1e-9)))
	zoom = math.Min(zoom, maxZoom)
	k := math.Exp2(zoom)
	// The bound's middle goes to the middle of the padded area.
	return (x0+x1)/2 - (l-r)/2/k, (y0+y1)/2 - (t-bt)/2/k, zoom
}

// fitPadding is the room a fitted view leaves for the title, the
// attribution and the legend (on the right, as on the page), plus room
// for markers at the edge.
func (fig *figure) fitPadding() [4]float64 {
	const edge = figPad + 22
	W := float64(fig.Width)
	top, bottom, right := edge, edge, edge
	if t := strings.TrimSpace(fig.Title); t != "" {
		top += float64(min(3, len(draw.Wrap(t, draw.Bold, titleSize, W-2*figPad)))) * titleLeading
	}
	bottom += float64(len(draw.Wrap(fig.credits(), draw.Regular, footerSize, W-12))+1) * footerLeading
	column := 0.0 // the legend's and the inset's, on the right
	if fig.Legend {
		if lg := fig.buildLegend(); lg != nil && lg.w+2*figPad < W*0.45 {
			column = lg.w
		}
	}
	if fig.wantInset() {
		column = math.Max(column, fig.insetSize()[0])
	}
	if column > 0 {
		right += column + figPad
	}
	return [4]float64{edge, top, right, bottom}
}

// box is a rectangle in CSS pixels.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

var (
	white    = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink      = color.RGBA{0x22, 0x22, 0x22, 0xff}
	greyInk  = color.RGBA{0x55, 0x55, 0x55, 0xff}
	panelRim = color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	legColor = color.RGBA{0x55, 0x55, 0x55, 0xff}
	// City labels, as the page's style sheet draws them.
	cityText   = color.RGBA{0x3a, 0x3d, 0x40, 0xff}
	cityDot    = color.RGBA{0x4a, 0x4d, 0x50, 0xff}
	anchorText = color.RGBA{0x6a, 0x3f, 0x1b, 0xff}
	anchorDot  = color.RGBA{0x7b, 0x4b, 0x22, 0xff}
)

// overlays is where the title, legend, scale bar and attribution go,
// worked out before the layers so that city labels keep clear of them.
type overlays struct {
	title       []string
	titleBox    box
	footer      []string
	footerBox   box
	legend      *legend
	legendBox   box
	legendScale float64
	scaleLen    float64 // CSS pixels
	scaleText   string
	scaleBox    box
	attackCount map[string]int
	insetBox    box
	inset       *insetMap
	cities      []cityMark // the city labels drawn (layoutCities)
}

// uncover drops the basemap's labels that the overlays (title, legend,
// inset, scale bar, credits) would cover, so that a PDF's or SVG's text
// holds no name hidden under the legend; k is the scene's pixels per
// figure pixel.
func (ov *overlays) uncover(sc *draw.Scene, k float64) {
	reserved := ov.reserved()
	kept := sc.Labels[:0]
	for _, l := range sc.Labels {
		ink := box{float64(l.Ink.Min.X) / k, float64(l.Ink.Min.Y) / k, float64(l.Ink.Max.X) / k, float64(l.Ink.Max.Y) / k}
		covered := false
		for _, b := range reserved {
			if !l.Ink.Empty() && ink.overlaps(b) {
				covered = true
				break
			}
		}
		if !covered {
			kept = append(kept, l)
		}
	}
	sc.Labels = kept
}

// draw paints everything but the basemap: the layers, then the overlays
// laid out as ov.
func (fig *figure) draw(ctx context.Context, c draw.Canvas, ov *overlays) error {
	if ov.insetBox != (box{}) {
		in, err := fig.insetMap(ctx, ov.insetBox)
		if err != nil {
			return err
		}
		ov.inset = in
	}
	c.Clip("map")
	if fig.choro != nil {
		fig.drawChoropleth(c)
	}
	for _, l := range fig.order {
		if fig.counted(l.Layer.Name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		feats := fig.features[l.Layer.Name]
		c.Group("layer-" + l.Layer.Name)
		switch layerKind(l.Layer) {
		case geo.KindReference:
			fig.drawBorders(c, l, feats)
		case geo.KindAreas:
			fig.drawKhorasan(c, feats)
		case geo.KindEvents:
			if err := fig.drawAttacks(ctx, c, l.Layer.Profile, fig.shapeOf(l.Layer.Name), feats); err != nil {
				return err
			}
		case geo.KindPlaces:
			fig.drawCities(c, ov)
		default:
			if err := fig.drawGeneric(ctx, c, feats); err != nil {
				return err
			}
		}
		c.End()
	}
	c.End() // clip
	fig.drawOverlays(c, ov)
	return nil
}

// project takes lon/lat to CSS pixels.
func (fig *figure) project(p orb.Point) orb.Point { return fig.css.Project(p) }

// clipBox is the map in CSS pixels, with room for strokes at the edges.
func (fig *figure) clipBox() orb.Bound {
	return orb.Bound{Min: orb.Point{-8, -8}, Max: orb.Point{float64(fig.Width) + 8, float64(fig.Height) + 8}}
}

// rings returns the projected rings of the polygons in g, clipped to the
// map (for filling), and their outlines clipped as lines (for stroking,
// which must not draw the map's edge).
func (fig *figure) rings(g orb.Geometry) (fill, outline [][]orb.Point) {
	cb := fig.clipBox()
	add := func(p orb.Polygon) {
		proj := make(orb.Polygon, len(p))
		for i, r := range p {
			pts := make(orb.Ring, len(r))
			for j, q := range r {
				pts[j] = fig.project(q)
			}
			proj[i] = orb.Ring(draw.SimplifyPx(pts, 0.3))
			for _, ls := range clip.MultiLineString(cb, orb.MultiLineString{orb.LineString(slices.Clone(proj[i]))}) {
				outline = append(outline, ls)
			}
		}
		for _, r := range clip.Polygon(cb, proj) {
			if len(r) >= 3 {
				fill = append(fill, r)
			}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		add(g)
	case orb.MultiPolygon:
		for _, p := range g {
			add(p)
		}
	case orb.Collection:
		for _, x := range g {
			f, o := fig.rings(x)
			fill, outline = append(fill, f...), append(outline, o...)
		}
	}
	return fill, outline
}

// lines returns the projected lines of g, clipped to the map.
func (fig *figure) lines(g orb.Geometry) [][]orb.Point {
	var out [][]orb.Point
	add := func(ls []orb.Point) {
		pts := make(orb.LineString, len(ls))
		for i, q := range ls {
			pts[i] = fig.project(q)
		}
		for _, c := range clip.MultiLineString(fig.clipBox(), orb.MultiLineString{orb.LineString(draw.SimplifyPx(pts, 0.3))}) {
			out = append(out, c)
		}
	}
	switch g := g.(type) {
	case orb.LineString:
		add(g)
	case orb.MultiLineString:
		for _, l := range g {
			add(l)
		}
	case orb.Collection:
		for _, x := range g {
			out = append(out, fig.lines(x)...)
		}
	}
	return out
}

// sharesBasemapBorders says the layer is the basemap's own borders,
// unfiltered: its outlines are the scene's, already projected and
// clipped, and need not be read and cut again.
func (fig *figure) sharesBasemapBorders(l Layer) bool {
	return l.Layer.Name == fig.basemap.Borders && l.Filter == nil
}

func (fig *figure) drawBorders(c draw.Canvas, l Layer, feats []geo.Feature) {
	s := fig.st.Land
	var rings [][]orb.Point
	if fig.sharesBasemapBorders(l) && fig.scene != nil {
		k := 1 / fig.scene.Scale
		for _, ls := range fig.scene.Outlines {
			pts := make([]orb.Point, len(ls))
			for i, p := range ls {
				pts[i] = orb.Point{p[0] * k, p[1] * k}
			}
			rings = append(rings, draw.SimplifyPx(pts, 0.3))
		}
	}
	for _, f := range feats {
		_, o := fig.rings(f.Geometry)
		rings = append(rings, o...)
	}
	c.Stroke(rings, false, mustColor(s.Color), opacity(s.Opacity, 1), s.Weight, dashes(s.DashArray))
}

func (fig *figure) drawKhorasan(c draw.Canvas, feats []geo.Feature) {
	k := fig.st.Khorasan
	// Broad first, so the main outline lies on top.
	sorted := slices.Clone(feats)
	slices.SortStableFunc(sorted, func(a, b geo.Feature) int {
		ab, bb := a.ID == "broad", b.ID == "broad"
		switch {
		case ab && !bb:
			return -1
		case bb && !ab:
			return 1
		}
		return 0
	})
	for _, f := range sorted {
		fill, outline := fig.rings(f.Geometry)
		line := k.Main
		if f.ID == "broad" {
			line = k.Broad
		} else {
			c.Fill(fill, mustColor(k.Fill.FillColor), opacity(k.Fill.FillOpacity, 0.2))
		}
		c.Stroke(outline, false, mustColor(line.Color), opacity(line.Opacity, 1), line.Weight, dashes(line.DashArray))
	}
}

func propFloat(p map[string]any, name string) (float64, bool) {
	switch v := p[name].(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func propString(p map[string]any, name string) string {
	switch v := p[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// attackMarker is one event as drawn.
type attackMarker struct {
	real, at orb.Point
	r        float64
	sw       Swatch
	title    string
	date     string
	moved    bool
}

// Marker shapes, one per events layer: the first layer's circles, then
// squares, diamonds and triangles, each of a circle's area, so that the
// size key reads for all.
const (
	shapeCircle = iota
	shapeSquare
	shapeDiamond
	shapeTriangle
	shapes
)

// mark draws one marker of a shape. The shapes of the second and later
// layers are drawn light, outlined in their colour, so that the first
// layer's circles show through a large one.
func mark(c draw.Canvas, shape int, at orb.Point, r float64, m draw.Mark) {
	if shape%shapes == shapeCircle {
		c.Circle(at, r, m)
		return
	}
	ring := shapeRing(shape, at, r)
	c.Fill([][]orb.Point{ring}, m.Fill, m.FillOpacity*0.4)
	c.Stroke([][]orb.Point{ring}, true, m.Fill, 1, 1.6, nil)
}

// shapeRing is the outline of a square, diamond or triangle centred on
// at with the area of a circle of radius r.
func shapeRing(shape int, at orb.Point, r float64) []orb.Point {
	area := math.Pi * r * r
	var pts []orb.Point
	switch shape % shapes {
	case shapeSquare:
		h := math.Sqrt(area) / 2
		pts = []orb.Point{{-h, -h}, {h, -h}, {h, h}, {-h, h}}
	case shapeDiamond:
		d := math.Sqrt(area / 2)
		pts = []orb.Point{{0, -d}, {d, 0}, {0, d}, {-d, 0}}
	default: // a triangle pointing up, centred on its centroid
		side := math.Sqrt(4 * area / math.Sqrt(3))
		R := side / math.Sqrt(3)
		for i := range 3 {
			a := -math.Pi/2 + 2*math.Pi*float64(i)/3
			pts = append(pts, orb.Point{R * math.Cos(a), R * math.Sin(a)})
		}
	}
	for i := range pts {
		pts[i] = orb.Point{at[0] + pts[i][0], at[1] + pts[i][1]}
	}
	return pts
}

// attackMarkers places the attack markers as the page does: co-located
// attacks spread on a ring in date order, big circles first so that
// small ones lie on top.
func (fig *figure) attackMarkers(pr geo.Profile, feats []geo.Feature) []attackMarker {
	col := fig.st.colouring(pr)
	type group struct {
		key   string
		items []attackMarker
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range feats {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		p := f.Properties
		killed, hasKilled := propFloat(p, pr.Magnitude)
		sw := col.swatch(fig.st, col.of(propString(p, colourProperty(pr))))
		date := propString(p, pr.Time)
		title := strings.TrimSpace(date + " – " + firstNonEmpty(propString(p, pr.Label), f.ID))
		if hasKilled {
			title += fmt.Sprintf(" (%s %s)", strconv.FormatFloat(killed, 'f', -1, 64), pr.Magnitude)
		}
		m := attackMarker{real: fig.project(pt), r: fig.st.Radius(killed), sw: sw, title: title, date: date}
		m.at = m.real
		key := strconv.FormatFloat(pt[1], 'f', 6, 64) + "," + strconv.FormatFloat(pt[0], 'f', 6, 64)
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, m)
	}
	var out []attackMarker
	for _, g := range groups {
		slices.SortStableFunc(g.items, func(a, b attackMarker) int { return strings.Compare(a.date, b.date) })
		n := len(g.items)
		if n > 1 {
			r := math.Max(fig.st.Spread.MinRing, float64(n)*fig.st.Spread.Spacing/(2*math.Pi))
			for i := range g.items {
				a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(n)
				g.items[i].at = orb.Point{g.items[i].real[0] + r*math.Cos(a), g.items[i].real[1] + r*math.Sin(a)}
				g.items[i].moved = true
			}
		}
		out = append(out, g.items...)
	}
	slices.SortStableFunc(out, func(a, b attackMarker) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func (fig *figure) drawAttacks(ctx context.Context, c draw.Canvas, p geo.Profile, shape int, feats []geo.Feature) error {
	ms := fig.attackMarkers(p, feats)
	var legs [][]orb.Point
	for _, m := range ms {
		if m.moved {
			legs = append(legs, []orb.Point{m.real, m.at})
		}
	}
	if len(legs) > 0 {
		c.Stroke(legs, false, legColor, 0.7, 0.8, nil)
	}
	mk := fig.st.Marker
	for i, m := range ms {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		mark(c, shape, m.at, m.r, draw.Mark{Fill: mustColor(m.sw.Color), FillOpacity: mk.FillOpacity, Stroke: mustColor(mk.Stroke), StrokeWidth: mk.Weight, Title: m.title})
	}
	return nil
}

func (fig *figure) drawGeneric(ctx context.Context, c draw.Canvas, feats []geo.Feature) error {
	s := fig.st.Generic
	col := mustColor(s.Color)
	var rings, outlines, lines [][]orb.Point
	var points []orb.Point
	var walk func(g orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			points = append(points, fig.project(g))
		case orb.MultiPoint:
			for _, p := range g {
				points = append(points, fig.project(p))
			}
		case orb.Polygon, orb.MultiPolygon:
			f, o := fig.rings(g)
			rings, outlines = append(rings, f...), append(outlines, o...)
		case orb.LineString, orb.MultiLineString:
			lines = append(lines, fig.lines(g)...)
		case orb.Collection:
			for _, x := range g {
				walk(x)
			}
		}
	}
	for _, f := range feats {
		walk(f.Geometry)
	}
	if len(rings) > 0 {
		c.Fill(rings, col, opacity(s.FillOpacity, 0.15))
		c.Stroke(outlines, false, col, opacity(s.Opacity, 1), s.Weight, nil)
	}
	if len(lines) > 0 {
		c.Stroke(lines, false, col, opacity(s.Opacity, 1), s.Weight, nil)
	}
	for i, p := range points {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c.Circle(p, 5, draw.Mark{Fill: col, FillOpacity: 0.8, Stroke: white, StrokeWidth: 1})
	}
	return nil
}

// cityLabel splits "Neyshabur (Nishapur)": a short aside stays, a long
// one ("Tus (Tus-e Sofla, near ancient Tus)") is left off, as on the page.
func cityLabel(name string) string {
	name = strings.TrimSpace(name)
	if !strings.HasSuffix(name, ")") {
		return name
	}
	i := strings.LastIndex(name, "(")
	if i <= 0 {
		return name
	}
	base, aside := strings.TrimSpace(name[:i]), strings.TrimSpace(name[i+1:len(name)-1])
	if utf8.RuneCountInString(aside) <= 16 && !strings.Contains(aside, ",") && !strings.ContainsAny(aside, "()") {
		return base + " (" + aside + ")"
	}
	return base
}

// cityMark is a city label as drawn: its dot at p, its text from at.
type cityMark struct {
	p, at  orb.Point
	name   string
	anchor bool
	box    box
}

// drawCities paints the city labels layoutCities kept.
func (fig *figure) drawCities(c draw.Canvas, ov *overlays) {
	for _, ct := range ov.cities {
		size, kind, col, dot := 11.5, draw.Regular, cityText, cityDot
		if ct.anchor {
			size, kind, col, dot = 12, draw.Italic, anchorText, anchorDot
		}
		c.Circle(ct.p, 2.5, draw.Mark{Fill: dot, FillOpacity: 1, Stroke: white, StrokeWidth: 1})
		c.Text(draw.TextRun{At: ct.at, Text: ct.name, Size: size, Font: kind, Color: col, Halo: true, HaloColor: white, HaloWidth: 2})
	}
}

// layoutCities lays the cities out as the page does: a dot and a name (in
// the figure's language where the data has it, as the basemap names
// them: basemap.Renderer.CityName), the
// historical anchors first, then the places of many attacks, then the
// most populous; a label that would overlap one placed (or the legend,
// title, scale bar or attribution) is left out. It runs before the
// basemap's labels are placed, which keep clear of these.
func (fig *figure) layoutCities(feats []geo.Feature, ov *overlays) error {
	attacksAt := map[string]int{}
	for _, f := range fig.eventFeatures() {
		if city := strings.ToLower(strings.TrimSpace(propString(f.Properties, "city"))); city != "" {
			attacksAt[city]++
		}
	}
	type city struct {
		p      orb.Point
		name   string
		anchor bool
		score  float64
		order  int
	}
	var cities []city
	for i, f := range feats {
		pt, ok := f.Geometry.(orb.Point)
		name := propString(f.Properties, "name")
		if !ok || strings.TrimSpace(name) == "" {
			continue
		}
		anchor := false
		switch v := f.Properties["anchor"].(type) {
		case bool:
			anchor = v
		case int64:
			anchor = v == 1
		case string:
			anchor = v == "true"
		}
		label := cityLabel(name)
		if fig.Lang != "" && fig.Lang != "en" {
			// The basemap's rule: the layer's name_LANG or its Natural
			// Earth place's, else the layer's own name.
			if n, ok, err := fig.basemap.CityName(f, fig.Lang); err != nil {
				return err
			} else if ok {
				label = n
			}
		}
		base := strings.ToLower(strings.TrimSpace(strings.SplitN(name, "(", 2)[0]))
		score := math.Log2(1 + float64(attacksAt[base]))
		if anchor {
			score += 3
		}
		pop, _ := propFloat(f.Properties, "population")
		cities = append(cities, city{p: fig.project(pt), name: label, anchor: anchor, score: score*1e12 + math.Min(pop, 1e11), order: i})
	}
	slices.SortStableFunc(cities, func(a, b city) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.order - b.order
	})
	placed := ov.reserved()
	for _, ct := range cities {
		size, kind := 11.5, draw.Regular
		if ct.anchor {
			size, kind = 12, draw.Italic
		}
		w := draw.Width(ct.name, kind, size)
		x := ct.p[0] + 2.5 + 3
		baseline := ct.p[1] + size*0.35
		b := box{ct.p[0] - 4, ct.p[1] - size*0.75, x + w + 3, ct.p[1] + size*0.55}
		if b.x1 < 0 || b.x0 > float64(fig.Width) || b.y1 < 0 || b.y0 > float64(fig.Height) {
			continue
		}
		clash := false
		for _, o := range placed {
			if o.overlaps(b) {
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		placed = append(placed, b)
		ov.cities = append(ov.cities, cityMark{p: ct.p, at: orb.Point{x, baseline}, name: ct.name, anchor: ct.anchor, box: b})
	}
	return nil
}

// reserved is the overlays' boxes, which city labels keep clear of.
func (ov *overlays) reserved() []box {
	var out []box
	for _, b := range []box{ov.titleBox, ov.footerBox, ov.legendBox, ov.scaleBox, ov.insetBox} {
		if b != (box{}) {
			out = append(out, b)
		}
	}
	return out
}
