package draw

import (
	"bytes"
	_ "embed"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	gofont "github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/shaping"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/paulmach/orb"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
	"golang.org/x/text/unicode/bidi"
)

// naskhTTF is Noto Naskh Arabic (fonts/README.md): the Arabic script,
// which the Go fonts lack.
//
//go:embed fonts/NotoNaskhArabic-Regular.ttf
var naskhTTF []byte

// NaskhTTF is the Arabic-script font's file, for a PDF to embed.
func NaskhTTF() []byte { return naskhTTF }

// SVGArabicFonts is the font-family of SVG text in Arabic script: the Go
// fonts for its Latin letters, then the Arabic-script font the PNG and
// PDF use and close substitutes.
const SVGArabicFonts = `Go, 'Go Regular', 'Noto Naskh Arabic', 'Noto Sans Arabic', 'DejaVu Sans', Tahoma, Arial, sans-serif`

// Shaped reports whether s needs shaping: it holds a character of the
// Arabic script or of another right-to-left one. Other text is set as
// before, one Go glyph a character.
func Shaped(s string) bool {
	for _, r := range s {
		if r < 0x0590 {
			continue // Latin, Greek, Cyrillic: the Go fonts'
		}
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
		if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL {
			return true
		}
	}
	return false
}

// RightToLeft reports whether s, as a paragraph, reads right to left:
// its first strong character is of a right-to-left script (UAX #9 P2,
// P3). A title in Persian is set flush right.
func RightToLeft(s string) bool {
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}

// shapedText is a line of text shaped at a size of 1 pixel (so each
// length scales with the size: unhinted, as the outputs set it).
type shapedText struct {
	width float64 // the advance
	rtl   bool    // its paragraph reads right to left
	// ascent and descent bound the glyphs' ink above and below the
	// baseline (both positive below it: y points down).
	top, bottom float64
	// path is every glyph's outline, from the baseline's left end, y
	// down: ops M, L, Q (2 points), C (3 points), Z.
	ops []byte
	pts []orb.Point
	// runs are the text's runs of one font, left to right on the page.
	runs []shapedRun
}

// shapedRun is a run of one font: where it starts and ends, and its
// characters in the order they stand on the page (a right-to-left run
// reversed), which a PDF writes as invisible text so that its text reads
// back in logical order.
type shapedRun struct {
	x0, x1 float64
	arabic bool // in the Arabic-script font, else a Go font
	visual string
}

// shaper shapes text with the Go fonts and the Arabic-script font, and
// keeps what it shaped last. Its shaper and faces are not safe for
// concurrent use: one lock guards them.
type shaper struct {
	mu     sync.Mutex
	hb     shaping.HarfbuzzShaper
	seg    shaping.Segmenter
	faces  [3]*gofont.Face // Regular, Bold, Italic
	arabic *gofont.Face
	cache  *lru.Cache[shapeKey, *shapedText]
	err    error
}

type shapeKey struct {
	s    string
	kind FontKind
}

var (
	shaperOnce sync.Once
	theShaper  shaper
)

func getShaper() (*shaper, error) {
	shaperOnce.Do(func() {
		sh := &theShaper
		for i, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF} {
			if sh.faces[i], sh.err = gofont.ParseTTF(bytes.NewReader(ttf)); sh.err != nil {
				return
			}
		}
		if sh.arabic, sh.err = gofont.ParseTTF(bytes.NewReader(naskhTTF)); sh.err != nil {
			return
		}
		sh.cache, sh.err = lru.New[shapeKey, *shapedText](512)
	})
	return &theShaper, theShaper.err
}

// fontmap picks the Go face of a kind, or the Arabic-script font for a
// character the Go face lacks.
type fontmap struct {
	goFace, arabic *gofont.Face
}

func (m fontmap) ResolveFace(r rune) *gofont.Face {
	if _, ok := m.goFace.NominalGlyph(r); ok {
		return m.goFace
	}
	if _, ok := m.arabic.NominalGlyph(r); ok {
		return m.arabic
	}
	return m.goFace
}

// shape is s in kind shaped at 1 pixel.
func shape(s string, kind FontKind) (*shapedText, error) {
	sh, err := getShaper()
	if err != nil {
		return nil, err
	}
	key := shapeKey{s, kind}
	if st, ok := sh.cache.Get(key); ok {
		return st, nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.shape(s, kind)
	sh.cache.Add(key, st)
	return st, nil
}

// arabicScale sets Noto Naskh larger than the size asked: its letters
// stand smaller on their body than the Go fonts' (its x-height is about
// four fifths of theirs), and Arabic script wants the room for its dots.
const arabicScale = 1.15

// unit is the size text is shaped at: 64 pixels, so that 26.6 fixed
// point keeps the positions to a 4096th of the size.
const unit = 64

func (sh *shaper) shape(s string, kind FontKind) *shapedText {
	text := []rune(s)
	goFace := sh.faces[0]
	if int(kind) < len(sh.faces) {
		goFace = sh.faces[kind]
	}
	dir := di.DirectionLTR
	st := &shapedText{rtl: RightToLeft(s)}
	if st.rtl {
		dir = di.DirectionRTL
	}
	in := shaping.Input{Text: text, RunStart: 0, RunEnd: len(text), Direction: dir, Face: goFace, Size: fixed.I(unit)}
	var outs []shaping.Output
	for _, run := range sh.seg.Split(in, fontmap{goFace: goFace, arabic: sh.arabic}) {
		if run.Face == sh.arabic {
			run.Size = fixed.Int26_6(math.Round(float64(arabicScale * unit * 64)))
		}
		outs = append(outs, sh.hb.Shape(run))
	}
	// Runs in their visual order: a paragraph's runs left to right, the
	// runs against its direction reversed (as go-text's line wrapper
	// orders them).
	order := make([]int, len(outs))
	for i := range order {
		order[i] = i
		if st.rtl {
			order[i] = len(outs) - 1 - i
		}
	}
	for i := 0; i < len(order); {
		if outs[order[i]].Direction == dir {
			i++
			continue
		}
		j := i
		for j < len(order) && outs[order[j]].Direction != dir {
			j++
		}
		for a, b := i, j-1; a < b; a, b = a+1, b-1 {
			order[a], order[b] = order[b], order[a]
		}
		i = j
	}
	k := 1.0 / unit
	pen := 0.0
	st.top, st.bottom = 0, 0
	for _, oi := range order {
		out := outs[oi]
		run := shapedRun{x0: pen * k, arabic: out.Face == sh.arabic}
		upem := float64(out.Face.Upem())
		seen := map[int]bool{}
		var visual []rune
		for _, g := range out.Glyphs {
			ox := (pen + float64(g.XOffset)/64) * k
			oy := -float64(g.YOffset) / 64 * k
			if !seen[g.ClusterIndex] {
				seen[g.ClusterIndex] = true
				end := min(g.ClusterIndex+g.RuneCount, len(text))
				cluster := text[g.ClusterIndex:end]
				visual = append(visual, cluster...)
			}
			if top := -float64(g.YBearing) / 64 * k; top < st.top {
				st.top = top
			}
			if bottom := -float64(g.YBearing+g.Height) / 64 * k; bottom > st.bottom {
				st.bottom = bottom
			}
			if o, ok := out.Face.GlyphDataOutline(g.GlyphID); ok {
				st.addOutline(o, ox, oy, float64(out.Size)/64/unit/upem)
			}
			pen += float64(g.Advance) / 64
		}
		run.x1 = pen * k
		run.visual = string(visual)
		st.runs = append(st.runs, run)
	}
	st.width = pen * k
	return st
}

// addOutline adds a glyph's outline (font units, y up) at (x, y), scaled
// by f to pixels at a size of 1.
func (st *shapedText) addOutline(o gofont.GlyphOutline, x, y, f float64) {
	pt := func(p gofont.SegmentPoint) orb.Point { return orb.Point{x + float64(p.X)*f, y - float64(p.Y)*f} }
	open := false
	for _, s := range o.Segments {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if open {
				st.ops = append(st.ops, 'Z')
			}
			st.ops, st.pts = append(st.ops, 'M'), append(st.pts, pt(s.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			st.ops, st.pts = append(st.ops, 'L'), append(st.pts, pt(s.Args[0]))
		case ot.SegmentOpQuadTo:
			st.ops, st.pts = append(st.ops, 'Q'), append(st.pts, pt(s.Args[0]), pt(s.Args[1]))
		case ot.SegmentOpCubeTo:
			st.ops, st.pts = append(st.ops, 'C'), append(st.pts, pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2]))
		}
	}
	if open {
		st.ops = append(st.ops, 'Z')
	}
}

// path writes the outlines at origin o, size size, to z, curves as short
// lines; bounds are the path's.
func (st *shapedText) path(z pather, o orb.Point, size float64) {
	at := func(p orb.Point) (float32, float32) {
		return float32(o[0] + p[0]*size), float32(o[1] + p[1]*size)
	}
	var last orb.Point
	i := 0
	for _, op := range st.ops {
		switch op {
		case 'M':
			z.MoveTo(at(st.pts[i]))
			last = st.pts[i]
			i++
		case 'L':
			z.LineTo(at(st.pts[i]))
			last = st.pts[i]
			i++
		case 'Q':
			a, b, c := last, st.pts[i], st.pts[i+1]
			for n := 1; n <= 4; n++ {
				t := float64(n) / 4
				u := 1 - t
				z.LineTo(at(orb.Point{u*u*a[0] + 2*u*t*b[0] + t*t*c[0], u*u*a[1] + 2*u*t*b[1] + t*t*c[1]}))
			}
			last = c
			i += 2
		case 'C':
			a, b, c, d := last, st.pts[i], st.pts[i+1], st.pts[i+2]
			for n := 1; n <= 6; n++ {
				t := float64(n) / 6
				u := 1 - t
				z.LineTo(at(orb.Point{
					u*u*u*a[0] + 3*u*u*t*b[0] + 3*u*t*t*c[0] + t*t*t*d[0],
					u*u*u*a[1] + 3*u*u*t*b[1] + 3*u*t*t*c[1] + t*t*t*d[1]}))
			}
			last = d
			i += 3
		case 'Z':
			z.ClosePath()
		}
	}
}

// ShapedWidth is the advance of s in kind at size pixels, shaped.
func ShapedWidth(s string, kind FontKind, size float64) float64 {
	st, err := shape(s, kind)
	if err != nil {
		return 0
	}
	return st.width * size
}

// ShapedInk is how far the ink of s at size pixels reaches above the
// baseline (top, negative) and below it (bottom).
func ShapedInk(s string, kind FontKind, size float64) (top, bottom float64) {
	st, err := shape(s, kind)
	if err != nil {
		return 0, 0
	}
	return st.top * size, st.bottom * size
}

// paintShaped draws s shaped, its baseline's left end at o (device
// pixels), size pixels high, in col over a halo hw pixels wide (none when
// hw is 0), as Raster.Text draws the Go fonts' text: the glyphs into a
// mask, the halo that mask grown.
func paintShaped(z *vector.Rasterizer, dst *image.RGBA, s string, kind FontKind, o orb.Point, size float64, col color.RGBA, halo color.RGBA, hw int) {
	st, err := shape(s, kind)
	if err != nil || len(st.ops) == 0 {
		return
	}
	var rec recorder
	rec.reset()
	st.path(&rec, o, size)
	r := image.Rect(int(math.Floor(float64(rec.x0)))-hw-1, int(math.Floor(float64(rec.y0)))-hw-1,
		int(math.Ceil(float64(rec.x1)))+hw+1, int(math.Ceil(float64(rec.y1)))+hw+1)
	if !r.Overlaps(dst.Bounds()) {
		return
	}
	mask := image.NewAlpha(r)
	rasterizeAlpha(z, mask, &rec)
	if hw > 0 {
		grown := image.NewAlpha(r)
		w := r.Dx()
		for py := 0; py < r.Dy(); py++ {
			for px := 0; px < w; px++ {
				a := mask.Pix[py*w+px]
				if a == 0 {
					continue
				}
				for dy := max(0, py-hw); dy <= min(r.Dy()-1, py+hw); dy++ {
					for dx := max(0, px-hw); dx <= min(w-1, px+hw); dx++ {
						if (dx-px)*(dx-px)+(dy-py)*(dy-py) > hw*hw+1 {
							continue
						}
						if p := &grown.Pix[dy*w+dx]; *p < a {
							*p = a
						}
					}
				}
			}
		}
		draw.DrawMask(dst, r, image.NewUniform(halo), image.Point{}, grown, r.Min, draw.Over)
	}
	draw.DrawMask(dst, r, image.NewUniform(col), image.Point{}, mask, r.Min, draw.Over)
}
