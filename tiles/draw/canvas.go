package draw

import (
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/opentype"
)

// Canvas is an output: a raster, an SVG or a PDF page. Coordinates and
// sizes are CSS pixels from the top left.
type Canvas interface {
	Group(id string)
	End()
	// Fill fills closed rings with the nonzero rule.
	Fill(rings [][]orb.Point, c color.RGBA, opacity float64)
	Stroke(lines [][]orb.Point, closed bool, c color.RGBA, opacity, width float64, dash []float64)
	Circle(p orb.Point, r float64, m Mark)
	Rect(x, y, w, h float64, fill color.RGBA, opacity float64, border color.RGBA, borderWidth float64)
	Text(t TextRun)
	// Clip limits what follows (until end) to the map.
	Clip(id string)
}

// Mark is a circle's look, and what it stands for (an SVG tooltip).
type Mark struct {
	Fill        color.RGBA
	FillOpacity float64
	Stroke      color.RGBA
	StrokeWidth float64
	Title       string
}

// TextRun is one line of text.
type TextRun struct {
	At        orb.Point // baseline: its left end, middle or right end by anchor
	Text      string
	Size      float64
	Font      FontKind
	Color     color.RGBA
	Halo      bool
	HaloColor color.RGBA
	HaloWidth float64 // on each side
	Anchor    int     // anchorStart, anchorMiddle, anchorEnd
	// Glyphs, when set, place the characters of Text one by one (a
	// river's name along its line); At and Anchor are then unused.
	Glyphs []Glyph
}

const (
	AnchorStart = iota
	AnchorMiddle
	AnchorEnd
)

var (
	italicOnce sync.Once
	italicFont *opentype.Font
	italicErr  error
)

func FontOf(kind FontKind) (*opentype.Font, error) {
	regular, bold, err := fonts()
	if err != nil {
		return nil, err
	}
	switch kind {
	case Bold:
		return bold, nil
	case Italic:
		italicOnce.Do(func() { italicFont, italicErr = opentype.Parse(goitalic.TTF) })
		return italicFont, italicErr
	}
	return regular, nil
}

// measurer measures text in CSS pixels, unhinted, as the vector outputs
// set it.
type measurer struct {
	mu    sync.Mutex
	faces map[[2]float64]font.Face
}

var measure = &measurer{faces: map[[2]float64]font.Face{}}

func (m *measurer) face(kind FontKind, size float64) font.Face {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]float64{float64(kind), size}
	if f, ok := m.faces[key]; ok {
		return f
	}
	ft, err := FontOf(kind)
	if err != nil {
		panic(err) // the embedded Go fonts always parse
	}
	f, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic(err)
	}
	m.faces[key] = f
	return f
}

func (m *measurer) width(s string, kind FontKind, size float64) float64 {
	if Shaped(s) {
		return ShapedWidth(s, kind, size)
	}
	f := m.face(kind, size)
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(font.MeasureString(f, s)) / 64
}

// Width is the width of s in CSS pixels, unhinted, as the vector outputs
// set it.
func Width(s string, kind FontKind, size float64) float64 { return measure.width(s, kind, size) }

// Wrap breaks s into lines no wider than w, at spaces (not at no-break
// spaces).
func Wrap(s string, kind FontKind, size, w float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Split(s, " ") {
		if word == "" {
			continue
		}
		next := word
		if line != "" {
			next = line + " " + word
		}
		if line != "" && measure.width(next, kind, size) > w {
			lines = append(lines, line)
			line = word
			continue
		}
		line = next
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// SimplifyPx drops points closer than tol pixels to the previous kept
// one: lines far finer than a pixel cost bytes in SVG and PDF and show
// nothing more.
func SimplifyPx(pts []orb.Point, tol float64) []orb.Point {
	if len(pts) < 3 {
		return pts
	}
	out := pts[:1:1]
	out = slices.Clone(out)
	for i := 1; i < len(pts)-1; i++ {
		last := out[len(out)-1]
		if math.Abs(pts[i][0]-last[0]) < tol && math.Abs(pts[i][1]-last[1]) < tol {
			continue
		}
		out = append(out, pts[i])
	}
	return append(out, pts[len(pts)-1])
}

// Scale is c scaled by k about origin o: a legend shrunk to fit a small
// figure.
func Scale(c Canvas, o orb.Point, k float64) Canvas { return &scaledCanvas{Canvas: c, o: o, k: k} }

// scaledCanvas draws onto another canvas scaled by k about origin o: the
// legend, shrunk to fit a small figure.
type scaledCanvas struct {
	Canvas
	o orb.Point
	k float64
}

func (sc *scaledCanvas) pt(p orb.Point) orb.Point {
	return orb.Point{sc.o[0] + p[0]*sc.k, sc.o[1] + p[1]*sc.k}
}

func (sc *scaledCanvas) pts(lines [][]orb.Point) [][]orb.Point {
	out := make([][]orb.Point, len(lines))
	for i, l := range lines {
		out[i] = make([]orb.Point, len(l))
		for j, p := range l {
			out[i][j] = sc.pt(p)
		}
	}
	return out
}

func (sc *scaledCanvas) Fill(rings [][]orb.Point, c color.RGBA, op float64) {
	sc.Canvas.Fill(sc.pts(rings), c, op)
}

func (sc *scaledCanvas) Stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
	var d []float64
	for _, v := range dash {
		d = append(d, v*sc.k)
	}
	sc.Canvas.Stroke(sc.pts(lines), closed, c, op, width*sc.k, d)
}

func (sc *scaledCanvas) Circle(p orb.Point, r float64, m Mark) {
	m.StrokeWidth *= sc.k
	sc.Canvas.Circle(sc.pt(p), r*sc.k, m)
}

func (sc *scaledCanvas) Rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
	p := sc.pt(orb.Point{x, y})
	sc.Canvas.Rect(p[0], p[1], w*sc.k, h*sc.k, fill, op, border, bw*sc.k)
}

func (sc *scaledCanvas) Text(t TextRun) {
	t.At = sc.pt(t.At)
	t.Size *= sc.k
	t.HaloWidth *= sc.k
	sc.Canvas.Text(t)
}
