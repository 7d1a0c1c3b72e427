package draw

import (
	"image/color"
	"math"

	"github.com/go-pdf/fpdf"
	"github.com/paulmach/orb"
)

// NewPDF is a canvas onto the current page, w by h points, of doc.
func NewPDF(doc *fpdf.Fpdf, w, h float64) *PDF { return &PDF{doc: doc, w: w, h: h} }

// PDF draws on a PDF page; 1 CSS pixel is 1 pt.
type PDF struct {
	doc   *fpdf.Fpdf
	w, h  float64
	stack []bool // true for a clip to end
	naskh bool   // the Arabic-script font is added
}

func (pc *PDF) Group(string) { pc.stack = append(pc.stack, false) }

func (pc *PDF) Clip(string) {
	pc.doc.ClipRect(0, 0, pc.w, pc.h, false)
	pc.stack = append(pc.stack, true)
}

func (pc *PDF) End() {
	if n := len(pc.stack); n > 0 {
		if pc.stack[n-1] {
			pc.doc.ClipEnd()
		}
		pc.stack = pc.stack[:n-1]
	}
}

func (pc *PDF) path(lines [][]orb.Point, closed bool) bool {
	any := false
	for _, l := range lines {
		if len(l) < 2 {
			continue
		}
		any = true
		pc.doc.MoveTo(l[0][0], l[0][1])
		for _, p := range l[1:] {
			pc.doc.LineTo(p[0], p[1])
		}
		if closed {
			pc.doc.ClosePath()
		}
	}
	return any
}

func (pc *PDF) alpha(op float64) {
	if op > 1 {
		op = 1
	}
	if op < 0 {
		op = 0
	}
	pc.doc.SetAlpha(op, "Normal")
}

func (pc *PDF) Fill(rings [][]orb.Point, c color.RGBA, op float64) {
	pc.doc.SetFillColor(int(c.R), int(c.G), int(c.B))
	pc.alpha(op)
	if pc.path(rings, true) {
		pc.doc.DrawPath("F")
	}
	pc.alpha(1)
}

func (pc *PDF) Stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
	if width <= 0 {
		return
	}
	pc.doc.SetDrawColor(int(c.R), int(c.G), int(c.B))
	pc.doc.SetLineWidth(width)
	pc.doc.SetLineJoinStyle("round")
	pc.doc.SetLineCapStyle("round")
	if len(dash) > 0 {
		pc.doc.SetLineCapStyle("butt")
		pc.doc.SetDashPattern(dash, 0)
	}
	pc.alpha(op)
	if pc.path(lines, closed) {
		pc.doc.DrawPath("D")
	}
	pc.alpha(1)
	if len(dash) > 0 {
		pc.doc.SetDashPattern([]float64{}, 0)
	}
}

func (pc *PDF) Circle(p orb.Point, r float64, m Mark) {
	pc.doc.SetFillColor(int(m.Fill.R), int(m.Fill.G), int(m.Fill.B))
	pc.alpha(m.FillOpacity)
	pc.doc.Circle(p[0], p[1], r, "F")
	pc.alpha(1)
	if m.StrokeWidth > 0 {
		pc.doc.SetDrawColor(int(m.Stroke.R), int(m.Stroke.G), int(m.Stroke.B))
		pc.doc.SetLineWidth(m.StrokeWidth)
		pc.doc.Circle(p[0], p[1], r, "D")
	}
}

func (pc *PDF) Rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
	pc.doc.SetFillColor(int(fill.R), int(fill.G), int(fill.B))
	pc.alpha(op)
	pc.doc.Rect(x, y, w, h, "F")
	pc.alpha(1)
	if bw > 0 {
		pc.doc.SetDrawColor(int(border.R), int(border.G), int(border.B))
		pc.doc.SetLineWidth(bw)
		pc.doc.Rect(x, y, w, h, "D")
	}
}

func (pc *PDF) Text(t TextRun) {
	style := ""
	switch t.Font {
	case Bold:
		style = "B"
	case Italic:
		style = "I"
	}
	pc.doc.SetFont("go", style, t.Size)
	if len(t.Glyphs) > 0 {
		// One character at a time, each turned about its own origin.
		for _, g := range t.Glyphs {
			u := t
			u.Glyphs, u.At, u.Text, u.Anchor = nil, g.At, g.Text, AnchorStart
			if g.Angle != 0 {
				pc.doc.TransformBegin()
				pc.doc.TransformRotate(-g.Angle*180/math.Pi, g.At[0], g.At[1])
			}
			pc.Text(u)
			if g.Angle != 0 {
				pc.doc.TransformEnd()
			}
		}
		return
	}
	if Shaped(t.Text) {
		pc.shapedText(t, style)
		return
	}
	x := t.At[0]
	switch t.Anchor {
	case AnchorMiddle:
		x -= pc.doc.GetStringWidth(t.Text) / 2
	case AnchorEnd:
		x -= pc.doc.GetStringWidth(t.Text)
	}
	if t.Halo {
		// The halo is the same text stroked wide in the halo colour
		// under the filled text.
		pc.doc.SetDrawColor(int(t.HaloColor.R), int(t.HaloColor.G), int(t.HaloColor.B))
		pc.doc.SetLineWidth(2 * t.HaloWidth)
		pc.doc.SetLineJoinStyle("round")
		pc.doc.SetTextRenderingMode(1)
		pc.doc.SetTextColor(int(t.HaloColor.R), int(t.HaloColor.G), int(t.HaloColor.B))
		pc.doc.Text(x, t.At[1], t.Text)
		pc.doc.SetTextRenderingMode(0)
	}
	pc.doc.SetTextColor(int(t.Color.R), int(t.Color.G), int(t.Color.B))
	pc.doc.Text(x, t.At[1], t.Text)
}

// naskhFamily is the Arabic-script font's name in the PDF.
const naskhFamily = "naskh"

// shapedText draws a line that needs shaping (Arabic script). fpdf sets
// text one nominal glyph a character, left to right, which would leave
// Arabic letters unjoined and reversed; so the shaped glyphs are drawn
// as filled outlines (with the halo stroked under them), and the text is
// written again over them invisibly (text rendering mode 3), run by run
// at the runs' places, in the order the characters stand on the page, as
// PDFs of right-to-left text hold it: a reader (pdftotext, search, copy)
// gets the logical text back. The Arabic-script font is embedded
// (subset) for that invisible text.
func (pc *PDF) shapedText(t TextRun, style string) {
	st, err := shape(t.Text, t.Font)
	if err != nil {
		return
	}
	x := t.At[0]
	switch w := st.width * t.Size; t.Anchor {
	case AnchorMiddle:
		x -= w / 2
	case AnchorEnd:
		x -= w
	}
	o := orb.Point{x, t.At[1]}
	if len(st.ops) > 0 {
		outline := func() {
			var rec recorder
			rec.reset()
			st.path(&rec, o, t.Size)
			for i, k := range rec.kinds {
				switch k {
				case 'M':
					pc.doc.MoveTo(rec.pts[i][0], rec.pts[i][1])
				case 'L':
					pc.doc.LineTo(rec.pts[i][0], rec.pts[i][1])
				case 'Z':
					pc.doc.ClosePath()
				}
			}
		}
		if t.Halo {
			pc.doc.SetDrawColor(int(t.HaloColor.R), int(t.HaloColor.G), int(t.HaloColor.B))
			pc.doc.SetLineWidth(2 * t.HaloWidth)
			pc.doc.SetLineJoinStyle("round")
			outline()
			pc.doc.DrawPath("D")
		}
		pc.doc.SetFillColor(int(t.Color.R), int(t.Color.G), int(t.Color.B))
		outline()
		pc.doc.DrawPath("F")
	}
	if !pc.naskh {
		pc.doc.AddUTF8FontFromBytes(naskhFamily, "", naskhTTF)
		pc.naskh = true
	}
	pc.doc.SetTextRenderingMode(3)
	for _, r := range st.runs {
		if r.visual == "" {
			continue
		}
		if r.arabic {
			pc.doc.SetFont(naskhFamily, "", t.Size)
		} else {
			pc.doc.SetFont("go", style, t.Size)
		}
		// Squeezed or stretched to the shaped run's width (joined
		// letters are narrower than the letters alone): a reader then
		// finds each run where it is drawn, whole, beside its neighbours.
		x := o[0] + r.x0*t.Size
		nominal := pc.doc.GetStringWidth(r.visual)
		scaled := nominal > 0 && r.x1 > r.x0
		if scaled {
			pc.doc.TransformBegin()
			pc.doc.TransformScaleX(100*(r.x1-r.x0)*t.Size/nominal, x, o[1])
		}
		pc.doc.Text(x, o[1], r.visual)
		if scaled {
			pc.doc.TransformEnd()
		}
	}
	pc.doc.SetTextRenderingMode(0)
	pc.doc.SetFont("go", style, t.Size)
}
