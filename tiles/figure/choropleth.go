package figure

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/geo/params"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
)

// Choropleth groupings and measures (/render's choropleth= and measure=).
const (
	ByCountry        = "country"
	ByHex            = "hex"
	MeasureCount     = "count"
	MeasureMagnitude = "magnitude"
)

// MaxClasses is the most classes a choropleth's legend has.
const MaxClasses = 5

// Choropleth fills the countries of the borders layer, or the cells of a
// hexagon grid, by the numbers /api/collections/{id}/aggregate gives for
// the same layer and filters (geo/aggregate, without a bbox: the view
// frames the counts, it does not cut them).
type Choropleth struct {
	// By is ByCountry or ByHex; Size the hexagons' size in km (ByHex).
	By   string
	Size float64
	// Measure is MeasureCount (features) or MeasureMagnitude (the sum of
	// the layer profile's magnitude, aggregate's magnitude_sum).
	Measure string
	// Layer is the events layer counted, one of the figure's; its
	// features are the fill, not markers.
	Layer string
}

// check says what is wrong with the choropleth, naming the parameter.
func (ch *Choropleth) check() *geo.InvalidError {
	switch {
	case ch.By != ByCountry && ch.By != ByHex:
		return &geo.InvalidError{Where: "choropleth", Msg: fmt.Sprintf("must be country or hex, got %q", ch.By)}
	case ch.By == ByHex && !(ch.Size >= aggregate.MinHexKM && ch.Size <= aggregate.MaxHexKM):
		return &geo.InvalidError{Where: "size", Msg: fmt.Sprintf("must be a number of km from %d to %d, got %v", aggregate.MinHexKM, aggregate.MaxHexKM, ch.Size)}
	case ch.By != ByHex && ch.Size != 0:
		return &geo.InvalidError{Where: "size", Msg: "is the hexagons' width: only choropleth=hex takes it"}
	case ch.Measure != MeasureCount && ch.Measure != MeasureMagnitude:
		return &geo.InvalidError{Where: "measure", Msg: fmt.Sprintf("must be count or magnitude, got %q", ch.Measure)}
	}
	return nil
}

// Class is one class of a choropleth: the groups whose value lies from
// Min to Max (both held by a group), Count of them.
type Class struct {
	Min, Max float64
	Count    int
}

// Classes splits the groups' values into at most max classes, the rule
// the legend states: with max or fewer distinct values, one class per
// value; otherwise quantiles, each class taking the next ceil(k·N/max)
// values in ascending order (k = 1, 2, ...), and then every value equal
// to its last, so that equal values share a class (a class may so take
// more than its share, and there may be fewer than max classes). Each
// class's bounds are its smallest and largest value.
func Classes(values []float64, max int) []Class {
	v := slices.Clone(values)
	slices.Sort(v)
	v = slices.DeleteFunc(v, func(x float64) bool { return math.IsNaN(x) })
	n := len(v)
	if n == 0 || max < 1 {
		return nil
	}
	var out []Class
	if distinct := len(slices.Compact(slices.Clone(v))); distinct <= max {
		for i := 0; i < n; {
			j := i
			for j+1 < n && v[j+1] == v[i] {
				j++
			}
			out = append(out, Class{Min: v[i], Max: v[i], Count: j - i + 1})
			i = j + 1
		}
		return out
	}
	for k, i := 1, 0; i < n; k++ {
		j := (k*n+max-1)/max - 1 // ceil(k·n/max) values in all, 0-based
		if j < i {
			j = i
		}
		if k >= max || j >= n {
			j = n - 1
		}
		for j+1 < n && v[j+1] == v[j] {
			j++
		}
		out = append(out, Class{Min: v[i], Max: v[j], Count: j - i + 1})
		i = j + 1
	}
	return out
}

// ClassOf is the index of the class that holds v, or -1.
func ClassOf(classes []Class, v float64) int {
	for i, c := range classes {
		if v >= c.Min && v <= c.Max {
			return i
		}
	}
	return -1
}

// FormatValue writes a count or a sum as the legend does.
func FormatValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ClassLabel is a class's bounds as the legend writes them: "3–20", or
// "68" for a class of one value.
func ClassLabel(c Class) string {
	if c.Min == c.Max {
		return FormatValue(c.Min)
	}
	return FormatValue(c.Min) + "–" + FormatValue(c.Max)
}

// choropleth is a Choropleth as counted for a figure.
type choropleth struct {
	Choropleth
	layer   geo.Layer
	res     *aggregate.Result
	classes []Class
	// regions are the groups with a place, each with its class (-1: a
	// magnitude without a figure).
	regions []region
	// noFigure counts the groups without a magnitude figure; outside
	// is the group of the features in no country (or without a place).
	noFigure int
	outside  *aggregate.Group
}

type region struct {
	id    string
	geom  orb.Geometry
	class int
}

// value is what a group is filled by; false: no figure.
func (ch *choropleth) value(g aggregate.Group) (float64, bool) {
	if ch.Measure == MeasureMagnitude {
		return g.Sum, g.Summed > 0
	}
	return float64(g.Count), true
}

// countChoropleth runs the aggregate of the figure's choropleth.
func (fr *Renderer) countChoropleth(ctx context.Context, fig *figure) (*choropleth, error) {
	spec := *fig.Choropleth
	if err := spec.check(); err != nil {
		return nil, err
	}
	var l *Layer
	for i := range fig.order {
		if fig.order[i].Layer.Name == spec.Layer {
			l = &fig.order[i]
		}
	}
	if l == nil {
		return nil, &params.Error{Name: "choropleth", Reason: fmt.Sprintf("counts layer %q, which the figure does not draw", spec.Layer)}
	}
	var g aggregate.Grouping
	switch spec.By {
	case ByCountry:
		c, err := fr.countries(ctx)
		if err != nil {
			return nil, err
		}
		g = aggregate.Country(c)
	default:
		var err error
		if g, err = aggregate.Hex(spec.Size); err != nil {
			return nil, &params.Error{Name: "size", Reason: err.Error()}
		}
	}
	res, err := aggregate.Run(ctx, fr.Source, l.Layer, geo.Query{Filter: l.Filter}, g)
	var many *aggregate.TooManyGroupsError
	switch {
	case errors.As(err, &many) && spec.By == ByHex:
		return nil, &params.Error{Name: "size", Reason: err.Error() + "; use a larger size or a filter"}
	case errors.As(err, &many):
		return nil, &params.Error{Name: "choropleth", Reason: err.Error() + "; use a filter"}
	case err != nil:
		return nil, err
	}
	if spec.Measure == MeasureMagnitude && res.Magnitude == "" {
		return nil, &params.Error{Name: "measure", Reason: "magnitude needs the profile's magnitude property, and " + l.Layer.Name + " has none"}
	}
	ch := &choropleth{Choropleth: spec, layer: l.Layer, res: res}
	var values []float64
	for i := range res.Groups {
		gr := res.Groups[i]
		if gr.ID == "" {
			ch.outside = &res.Groups[i]
			continue
		}
		if v, ok := ch.value(gr); ok {
			values = append(values, v)
		}
	}
	ch.classes = Classes(values, MaxClasses)
	for _, gr := range res.Groups {
		if gr.ID == "" {
			continue
		}
		class := -1
		if v, ok := ch.value(gr); ok {
			class = ClassOf(ch.classes, v)
		} else {
			ch.noFigure++
		}
		ch.regions = append(ch.regions, region{id: gr.ID, geom: gr.Geometry, class: class})
	}
	return ch, nil
}

// countries is the borders layer in memory, from Renderer.Countries
// when set (the server's cache), else from the Renderer's own.
func (fr *Renderer) countries(ctx context.Context) (*aggregate.Countries, error) {
	if fr.Borders == "" {
		return nil, &params.Error{Name: "choropleth", Reason: "country needs a borders layer, and the dataset names none"}
	}
	l, err := fr.Source.Layer(ctx, fr.Borders)
	if errors.Is(err, geo.ErrNotFound) {
		return nil, &params.Error{Name: "choropleth", Reason: "country needs the borders layer " + strconv.Quote(fr.Borders) + ", which is not in the database"}
	}
	if err != nil {
		return nil, err
	}
	cache := fr.Countries
	if cache == nil {
		cache = &fr.ownCountries
	}
	c, _, err := cache.Get(ctx, fr.Source, l)
	return c, err
}

// classColor is the fill of class i of n: the style's ramp, spread so
// that the lightest and the darkest are used (-1: no figure).
func (fig *figure) classColor(i, n int) string {
	ramp := fig.st.Choropleth.Colors
	if i < 0 {
		return fig.st.Choropleth.NoFigure
	}
	if n <= 1 {
		return ramp[len(ramp)/2] // one class: neither end
	}
	return ramp[int(math.Round(float64(i)*float64(len(ramp)-1)/float64(n-1)))]
}

// drawChoropleth fills each group in view by its class, a group per
// region (SVG id choropleth-ID), under the other layers.
func (fig *figure) drawChoropleth(c draw.Canvas) {
	ch := fig.choro
	c.Group("choropleth")
	outline := mustColor(fig.st.Land.Color)
	if ch.By == ByHex {
		outline = white
	}
	for _, r := range ch.regions {
		fill, edges := fig.rings(r.geom)
		if len(fill) == 0 {
			continue
		}
		c.Group("choropleth-" + r.id)
		c.Fill(fill, mustColor(fig.classColor(r.class, len(ch.classes))), fig.st.Choropleth.Opacity)
		c.Stroke(edges, false, outline, 0.9, 0.6, nil)
		c.End()
	}
	c.End()
}

// what is what the choropleth counts, as the legend says it: "events",
// or the magnitude's name ("killed", "fatalities").
func (ch *choropleth) what() string {
	if ch.Measure == MeasureMagnitude {
		return ch.res.Magnitude
	}
	return "events"
}

// groupNoun names n groups: countries or hexagon cells.
func (ch *choropleth) groupNoun(n int) string {
	switch {
	case ch.By == ByCountry && n == 1:
		return "country"
	case ch.By == ByCountry:
		return "countries"
	case n == 1:
		return "cell"
	}
	return "cells"
}

// legend explains the fill: a row per class with its bounds and how many
// groups it holds, the groups without a figure, the rule, the total and
// what fell in no group.
func (lg *legend) choropleth(fig *figure) {
	ch := fig.choro
	where := "country"
	if ch.By == ByHex {
		where = FormatValue(ch.Size) + " km hexagon"
	}
	lg.heading(shortTitle(ch.layer) + ": " + ch.what() + " per " + where)
	for i, cl := range ch.classes {
		col := mustColor(fig.classColor(i, len(ch.classes)))
		lg.item(func(c draw.Canvas, x, y float64) {
			c.Rect(x+2, y-5, 18, 10, col, fig.st.Choropleth.Opacity, mustColor(fig.st.Land.Color), 0.6)
		}, fmt.Sprintf("%s (%d %s)", ClassLabel(cl), cl.Count, ch.groupNoun(cl.Count)), draw.Regular, ink)
	}
	if ch.noFigure > 0 {
		col := mustColor(fig.classColor(-1, 0))
		lg.item(func(c draw.Canvas, x, y float64) {
			c.Rect(x+2, y-5, 18, 10, col, fig.st.Choropleth.Opacity, mustColor(fig.st.Land.Color), 0.6)
		}, fmt.Sprintf("no figure (%d %s)", ch.noFigure, ch.groupNoun(ch.noFigure)), draw.Regular, ink)
	}
	if !oneValueEach(ch.classes) {
		lg.note(fmt.Sprintf("Classes: quantiles, about as many %s each.", ch.groupNoun(2)))
	}
	total := fmt.Sprintf("Total: %d events", ch.res.Count)
	if ch.Measure == MeasureMagnitude {
		total = fmt.Sprintf("Total: %s %s in %d events", FormatValue(ch.res.Sum), ch.res.Magnitude, ch.res.Count)
	}
	lg.note(total)
	if o := ch.outside; o != nil {
		place := "in no country"
		if ch.By == ByHex {
			place = "without a place"
		}
		lg.note(fmt.Sprintf("%d %s %s", o.Count, plural(o.Count, "event", "events"), place))
	}
}

// oneValueEach says every class holds one value.
func oneValueEach(cs []Class) bool {
	return !slices.ContainsFunc(cs, func(c Class) bool { return c.Min != c.Max })
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shortTitle is a layer's title for a legend heading, as the page's
// legend writes it: the title when short, else the layer's name.
func shortTitle(l geo.Layer) string {
	t := strings.TrimSpace(l.Title)
	if t == "" || len([]rune(t)) >= 28 {
		return l.Name
	}
	return t
}
