package figure

import (
	"encoding/json"
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles/draw"
)

// Style is the one style of the map, the file static/style.json: the
// web page and the figures of Renderer both read it, so a report
// figure looks like the map the analyst saw. Parse it with ParseStyle.
type Style struct {
	Sea      string    `json:"sea"`
	Land     PathStyle `json:"land"`
	Khorasan struct {
		Main  PathStyle `json:"main"`
		Broad PathStyle `json:"broad"`
		Fill  PathStyle `json:"fill"`
	} `json:"khorasan"`
	// Attribution colours attack markers by their attribution property
	// (claimed, attributed, disputed); anything else is AttributionUnknown.
	Attribution        map[string]Swatch `json:"attribution"`
	AttributionUnknown Swatch            `json:"attributionUnknown"`
	Marker             MarkerStyle       `json:"marker"`
	Spread             struct {
		MinRing float64 `json:"minRing"`
		Spacing float64 `json:"spacing"`
	} `json:"spread"`
	Generic PathStyle `json:"generic"`
	// Choropleth fills countries or hexagon cells by class, lightest
	// first (choropleth.go); NoFigure fills those whose magnitude has no
	// figure.
	Choropleth struct {
		Colors   []string `json:"colors"`
		Opacity  float64  `json:"opacity"`
		NoFigure string   `json:"noFigure"`
	} `json:"choropleth"`
}

// palette colours the values of a category whose profile has no colour
// for them, by the value's place in the list: the page's PALETTE
// (static/profiles.js, ColorBrewer Set1 and Dark2 without their greys).
var palette = []string{"#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf",
	"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"}

// defaultChoropleth is ColorBrewer's GnBu in five classes (blues, apart
// from the markers' reds, oranges and purples drawn over it), for a
// style file that has no choropleth.
var defaultChoropleth = []string{"#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac"}

// PathStyle is a Leaflet path style: stroke colour, weight (pixels),
// opacity and dashes, fill colour and opacity.
type PathStyle struct {
	Color       string   `json:"color"`
	Weight      float64  `json:"weight"`
	Opacity     *float64 `json:"opacity"`
	DashArray   *string  `json:"dashArray"`
	FillColor   string   `json:"fillColor"`
	FillOpacity *float64 `json:"fillOpacity"`
	Label       string   `json:"label"`
}

// Swatch is a colour with the legend's words for it.
type Swatch struct {
	Color string `json:"color"`
	Label string `json:"label"`
}

// MarkerStyle sizes attack markers: the AREA is proportional to the
// number killed, radius = K*sqrt(killed) pixels, never below MinRadius.
type MarkerStyle struct {
	K               float64   `json:"k"`
	MinRadius       float64   `json:"minRadius"`
	ReferenceKilled []float64 `json:"referenceKilled"`
	Stroke          string    `json:"stroke"`
	Weight          float64   `json:"weight"`
	FillOpacity     float64   `json:"fillOpacity"`
}

// ParseStyle reads static/style.json and checks that every colour
// parses and the marker scale is usable.
func ParseStyle(b []byte) (*Style, error) {
	var s Style
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("map style: %w", err)
	}
	check := func(where, c string) error {
		if _, err := parseColor(c); err != nil {
			return fmt.Errorf("map style: %s: %w", where, err)
		}
		return nil
	}
	for where, c := range map[string]string{
		"sea": s.Sea, "land.fillColor": s.Land.FillColor, "land.color": s.Land.Color,
		"khorasan.main.color": s.Khorasan.Main.Color, "khorasan.broad.color": s.Khorasan.Broad.Color,
		"khorasan.fill.fillColor": s.Khorasan.Fill.FillColor, "attributionUnknown.color": s.AttributionUnknown.Color,
		"marker.stroke": s.Marker.Stroke,
	} {
		if err := check(where, c); err != nil {
			return nil, err
		}
	}
	if len(s.Attribution) == 0 {
		return nil, fmt.Errorf("map style: attribution has no colours")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Attribution)) {
		if err := check("attribution."+k+".color", s.Attribution[k].Color); err != nil {
			return nil, err
		}
	}
	if s.Generic.Color == "" {
		s.Generic.Color = "#3b6e8f"
	}
	if err := check("generic.color", s.Generic.Color); err != nil {
		return nil, err
	}
	if len(s.Choropleth.Colors) == 0 {
		s.Choropleth.Colors = defaultChoropleth
	}
	for i, c := range s.Choropleth.Colors {
		if err := check("choropleth.colors["+strconv.Itoa(i)+"]", c); err != nil {
			return nil, err
		}
	}
	if s.Choropleth.NoFigure == "" {
		s.Choropleth.NoFigure = "#d9d9d9"
	}
	if err := check("choropleth.noFigure", s.Choropleth.NoFigure); err != nil {
		return nil, err
	}
	if !(s.Choropleth.Opacity > 0 && s.Choropleth.Opacity <= 1) {
		s.Choropleth.Opacity = 0.75
	}
	if !(s.Marker.K > 0) || !(s.Marker.MinRadius > 0) {
		return nil, fmt.Errorf("map style: marker.k and marker.minRadius must be positive")
	}
	if s.Spread.MinRing <= 0 {
		s.Spread.MinRing = 12
	}
	if s.Spread.Spacing <= 0 {
		s.Spread.Spacing = 10
	}
	return &s, nil
}

// Basemap is the basemap palette the style implies: its sea, land and
// border colours (and lakes a shade of its sea), the rest from
// DefaultStyle.
func (s *Style) Basemap() draw.Style {
	st := draw.DefaultStyle
	st.Sea = mustColor(s.Sea)
	st.Land = mustColor(s.Land.FillColor)
	st.Border = mustColor(s.Land.Color)
	st.Lake = draw.Mix(st.Sea, st.River, 0.12)
	return st
}

// Radius is the marker radius, in CSS pixels, for a number killed
// (negative or unknown counts as none).
func (s *Style) Radius(killed float64) float64 {
	if !(killed > 0) {
		killed = 0
	}
	return math.Max(s.Marker.MinRadius, s.Marker.K*math.Sqrt(killed))
}

// colouring is how an events layer's markers are coloured: by the
// values of its profile's first category, each with the profile's colour
// and label, else the palette's colour at the value's place and the
// value itself, as the page colours them (static/profiles.js
// categoryStyles). A value the category does not list is "other".
type colouring struct {
	title  string // what the legend says the markers are coloured by
	open   bool   // the values are those known, not a rule
	values []Swatch
	keys   []string
	index  map[string]int // value → its place, and its lower case too
}

func (s *Style) colouring(p geo.Profile) colouring {
	var c colouring
	if len(p.Categories) == 0 {
		return c
	}
	cat := p.Categories[0]
	c.title, c.open, c.index = firstNonEmpty(cat.Title, cat.Property), cat.Open, map[string]int{}
	for i, v := range cat.Values {
		sw := Swatch{Color: palette[i%len(palette)], Label: v}
		if col, ok := cat.Colors[v]; ok {
			if _, err := parseColor(col); err == nil {
				sw.Color = col
			}
		}
		if l := cat.Labels[v]; strings.TrimSpace(l) != "" {
			sw.Label = l
		}
		c.values = append(c.values, sw)
		c.keys = append(c.keys, v)
		if _, dup := c.index[v]; !dup {
			c.index[v] = i
		}
	}
	for i, v := range cat.Values {
		if _, taken := c.index[strings.ToLower(v)]; !taken {
			c.index[strings.ToLower(v)] = i
		}
	}
	return c
}

// of is the place of a value among the category's, or -1 for other:
// the value itself, else ignoring case.
func (c colouring) of(v string) int {
	if i, ok := c.index[v]; ok {
		return i
	}
	if i, ok := c.index[strings.ToLower(v)]; ok {
		return i
	}
	return -1
}

// swatch is the colour and label of the value at place i (-1: other).
func (c colouring) swatch(st *Style, i int) Swatch {
	if i < 0 || i >= len(c.values) {
		return st.AttributionUnknown
	}
	return c.values[i]
}

func opacity(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return math.Max(0, math.Min(1, *p))
}

// dashes reads a Leaflet dashArray ("7 5" or "7,5").
func dashes(p *string) []float64 {
	if p == nil {
		return nil
	}
	var out []float64
	for _, f := range strings.FieldsFunc(*p, func(r rune) bool { return r == ' ' || r == ',' }) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v < 0 {
			return nil
		}
		out = append(out, v)
	}
	if len(out)%2 == 1 {
		out = append(out, out...)
	}
	sum := 0.0
	for _, v := range out {
		sum += v
	}
	if sum == 0 {
		return nil
	}
	return out
}

// parseColor reads #rgb or #rrggbb.
func parseColor(s string) (color.RGBA, error) {
	h := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 || !strings.HasPrefix(strings.TrimSpace(s), "#") {
		return color.RGBA{}, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}, nil
}

// mustColor is parseColor for colours ParseStyle has checked.
func mustColor(s string) color.RGBA {
	c, err := parseColor(s)
	if err != nil {
		return color.RGBA{0x80, 0x80, 0x80, 0xff}
	}
	return c
}
