package draw

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// SVGFonts names the Go fonts first (the PNG and PDF use them) and close
// substitutes after.
const SVGFonts = `Go, 'Go Regular', 'DejaVu Sans', Verdana, Arial, sans-serif`

// NewSVG is a canvas that writes SVG elements to w.
func NewSVG(w *bufio.Writer) *SVG { return &SVG{w: w} }

// SVG writes SVG elements.
type SVG struct {
	w *bufio.Writer
}

func xmlText(w *bufio.Writer, s string) { xml.EscapeText(w, []byte(s)) }

func num(v float64) string {
	if math.Abs(v) < 0.005 {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func (sv *SVG) Group(id string) {
	sv.w.WriteString(`<g id="`)
	xmlText(sv.w, id)
	sv.w.WriteString("\">\n")
}

func (sv *SVG) End() { sv.w.WriteString("</g>\n") }

func (sv *SVG) Clip(id string) { sv.w.WriteString("<g clip-path=\"url(#" + id + ")\">\n") }

func (sv *SVG) path(lines [][]orb.Point, closed bool) {
	sv.w.WriteString(` d="`)
	for _, l := range lines {
		if len(l) < 2 {
			continue
		}
		for i, p := range l {
			if i == 0 {
				sv.w.WriteByte('M')
			} else {
				sv.w.WriteByte('L')
			}
			sv.w.WriteString(num(p[0]))
			sv.w.WriteByte(' ')
			sv.w.WriteString(num(p[1]))
		}
		if closed {
			sv.w.WriteByte('Z')
		}
	}
	sv.w.WriteString(`"`)
}

func opAttr(name string, op float64) string {
	if op >= 1 {
		return ""
	}
	return " " + name + `="` + num(op) + `"`
}

func (sv *SVG) Fill(rings [][]orb.Point, c color.RGBA, op float64) {
	if len(rings) == 0 {
		return
	}
	sv.w.WriteString("<path")
	sv.path(rings, true)
	fmt.Fprintf(sv.w, " fill=\"%s\"%s/>\n", hex(c), opAttr("fill-opacity", op))
}

func (sv *SVG) Stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
	if len(lines) == 0 || width <= 0 {
		return
	}
	sv.w.WriteString("<path")
	sv.path(lines, closed)
	fmt.Fprintf(sv.w, " fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s stroke-linejoin=\"round\" stroke-linecap=\"round\"", hex(c), num(width), opAttr("stroke-opacity", op))
	if len(dash) > 0 {
		parts := make([]string, len(dash))
		for i, d := range dash {
			parts[i] = num(d)
		}
		fmt.Fprintf(sv.w, " stroke-dasharray=\"%s\"", strings.Join(parts, " "))
	}
	sv.w.WriteString("/>\n")
}

func (sv *SVG) Circle(p orb.Point, r float64, m Mark) {
	fmt.Fprintf(sv.w, `<circle cx="%s" cy="%s" r="%s" fill="%s"%s`, num(p[0]), num(p[1]), num(r), hex(m.Fill), opAttr("fill-opacity", m.FillOpacity))
	if m.StrokeWidth > 0 {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s"`, hex(m.Stroke), num(m.StrokeWidth))
	}
	if m.Title == "" {
		sv.w.WriteString("/>\n")
		return
	}
	sv.w.WriteString("><title>")
	xmlText(sv.w, m.Title)
	sv.w.WriteString("</title></circle>\n")
}

func (sv *SVG) Rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
	fmt.Fprintf(sv.w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s`, num(x), num(y), num(w), num(h), hex(fill), opAttr("fill-opacity", op))
	if bw > 0 {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s"`, hex(border), num(bw))
	}
	sv.w.WriteString("/>\n")
}

func (sv *SVG) Text(t TextRun) {
	if len(t.Glyphs) > 0 {
		sv.glyphs(t)
		return
	}
	fmt.Fprintf(sv.w, `<text x="%s" y="%s" font-size="%s" fill="%s"`, num(t.At[0]), num(t.At[1]), num(t.Size), hex(t.Color))
	switch t.Font {
	case Bold:
		sv.w.WriteString(` font-weight="bold"`)
	case Italic:
		sv.w.WriteString(` font-style="italic"`)
	}
	anchor := t.Anchor
	if Shaped(t.Text) {
		// The logical text: the viewer shapes it (joins the letters, sets
		// the right-to-left runs) with the Arabic-script font listed. A
		// paragraph that reads right to left starts at its right end, so
		// the anchor's ends swap to keep the text where the layout put it.
		fmt.Fprintf(sv.w, ` font-family="%s"`, SVGArabicFonts)
		if st, err := shape(t.Text, t.Font); err == nil && st.rtl {
			sv.w.WriteString(` direction="rtl" unicode-bidi="embed"`)
			switch anchor {
			case AnchorStart:
				anchor = AnchorEnd
			case AnchorEnd:
				anchor = AnchorStart
			}
		}
	}
	switch anchor {
	case AnchorMiddle:
		sv.w.WriteString(` text-anchor="middle"`)
	case AnchorEnd:
		sv.w.WriteString(` text-anchor="end"`)
	}
	// The layout was measured with the Go fonts; a viewer without them
	// squeezes its substitute to the same length rather than overflow
	// the legend or the attribution strip.
	if w := measure.width(t.Text, t.Font, t.Size); w > 0 {
		fmt.Fprintf(sv.w, ` textLength="%s" lengthAdjust="spacingAndGlyphs"`, num(w))
	}
	if t.Halo {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s" stroke-linejoin="round" paint-order="stroke"`, hex(t.HaloColor), num(2*t.HaloWidth))
	}
	sv.w.WriteString(">")
	xmlText(sv.w, t.Text)
	sv.w.WriteString("</text>\n")
}

// glyphs writes a label placed character by character as one text
// element (its words stay whole for search and copy) with a position and
// a turn for each character.
func (sv *SVG) glyphs(t TextRun) {
	var xs, ys, rs []string
	turned := false
	for _, g := range t.Glyphs {
		for range g.Text {
			xs, ys = append(xs, num(g.At[0])), append(ys, num(g.At[1]))
			rs = append(rs, num(g.Angle*180/math.Pi))
			turned = turned || g.Angle != 0
		}
	}
	fmt.Fprintf(sv.w, `<text x="%s" y="%s" font-size="%s" fill="%s"`, strings.Join(xs, " "), strings.Join(ys, " "), num(t.Size), hex(t.Color))
	if turned {
		fmt.Fprintf(sv.w, ` rotate="%s"`, strings.Join(rs, " "))
	}
	switch t.Font {
	case Bold:
		sv.w.WriteString(` font-weight="bold"`)
	case Italic:
		sv.w.WriteString(` font-style="italic"`)
	}
	if t.Halo {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s" stroke-linejoin="round" paint-order="stroke"`, hex(t.HaloColor), num(2*t.HaloWidth))
	}
	sv.w.WriteString(">")
	for _, g := range t.Glyphs {
		xmlText(sv.w, g.Text)
	}
	sv.w.WriteString("</text>\n")
}
