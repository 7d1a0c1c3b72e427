package tiles

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// svgFonts names the Go fonts first (the PNG and PDF use them) and close
// substitutes after.
const svgFonts = `Go, 'Go Regular', 'DejaVu Sans', Verdana, Arial, sans-serif`

// svg writes the figure as SVG 1.1: the basemap and layers as paths and
// circles, every label, the title, legend and attribution as text. Each
// part is a group with an id (basemap, layer-NAME, legend, scale-bar,
// attribution), so it can be edited in a drawing program.
func (fig *figure) svg(ctx context.Context, w io.Writer) error {
	sc, err := fig.basemap.scene(ctx, fig.css)
	if err != nil {
		return err
	}
	fig.scene = sc
	var buf bytes.Buffer
	sv := &svgCanvas{w: bufio.NewWriter(&buf)}
	W, H := fig.Width, fig.Height
	fmt.Fprintf(sv.w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\">\n",
		W, H, W, H, svgFonts)
	title := strings.TrimSpace(fig.Title)
	if title == "" {
		title = "Map"
	}
	sv.w.WriteString("<title>")
	xmlText(sv.w, title)
	sv.w.WriteString("</title>\n<desc>")
	xmlText(sv.w, fig.credits())
	sv.w.WriteString("</desc>\n")
	fmt.Fprintf(sv.w, "<defs><clipPath id=\"map\"><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/></clipPath></defs>\n", W, H)
	sv.w.WriteString("<g clip-path=\"url(#map)\">\n")
	paintScene(sv, sc)
	sv.w.WriteString("</g>\n")
	if err := fig.draw(ctx, sv); err != nil {
		return err
	}
	sv.w.WriteString("</svg>\n")
	if err := sv.w.Flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// svgCanvas writes SVG elements.
type svgCanvas struct {
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

func (sv *svgCanvas) group(id string) {
	sv.w.WriteString(`<g id="`)
	xmlText(sv.w, id)
	sv.w.WriteString("\">\n")
}

func (sv *svgCanvas) end() { sv.w.WriteString("</g>\n") }

func (sv *svgCanvas) clip(id string) { sv.w.WriteString("<g clip-path=\"url(#" + id + ")\">\n") }

func (sv *svgCanvas) path(lines [][]orb.Point, closed bool) {
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

func (sv *svgCanvas) fill(rings [][]orb.Point, c color.RGBA, op float64) {
	if len(rings) == 0 {
		return
	}
	sv.w.WriteString("<path")
	sv.path(rings, true)
	fmt.Fprintf(sv.w, " fill=\"%s\"%s/>\n", hex(c), opAttr("fill-opacity", op))
}

func (sv *svgCanvas) stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
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

func (sv *svgCanvas) circle(p orb.Point, r float64, m mark) {
	fmt.Fprintf(sv.w, `<circle cx="%s" cy="%s" r="%s" fill="%s"%s`, num(p[0]), num(p[1]), num(r), hex(m.fill), opAttr("fill-opacity", m.fillOpacity))
	if m.strokeWidth > 0 {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s"`, hex(m.stroke), num(m.strokeWidth))
	}
	if m.title == "" {
		sv.w.WriteString("/>\n")
		return
	}
	sv.w.WriteString("><title>")
	xmlText(sv.w, m.title)
	sv.w.WriteString("</title></circle>\n")
}

func (sv *svgCanvas) rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
	fmt.Fprintf(sv.w, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s`, num(x), num(y), num(w), num(h), hex(fill), opAttr("fill-opacity", op))
	if bw > 0 {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s"`, hex(border), num(bw))
	}
	sv.w.WriteString("/>\n")
}

func (sv *svgCanvas) text(t textRun) {
	fmt.Fprintf(sv.w, `<text x="%s" y="%s" font-size="%s" fill="%s"`, num(t.at[0]), num(t.at[1]), num(t.size), hex(t.color))
	switch t.font {
	case fontBold:
		sv.w.WriteString(` font-weight="bold"`)
	case fontItalic:
		sv.w.WriteString(` font-style="italic"`)
	}
	switch t.anchor {
	case anchorMiddle:
		sv.w.WriteString(` text-anchor="middle"`)
	case anchorEnd:
		sv.w.WriteString(` text-anchor="end"`)
	}
	// The layout was measured with the Go fonts; a viewer without them
	// squeezes its substitute to the same length rather than overflow
	// the legend or the attribution strip.
	if w := measure.width(t.s, t.font, t.size); w > 0 {
		fmt.Fprintf(sv.w, ` textLength="%s" lengthAdjust="spacingAndGlyphs"`, num(w))
	}
	if t.halo {
		fmt.Fprintf(sv.w, ` stroke="%s" stroke-width="%s" stroke-linejoin="round" paint-order="stroke"`, hex(t.haloC), num(2*t.haloW))
	}
	sv.w.WriteString(">")
	xmlText(sv.w, t.s)
	sv.w.WriteString("</text>\n")
}
