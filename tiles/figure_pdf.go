package tiles

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// pdf writes the figure as a one-page PDF of Width by Height points: the
// basemap and layers as vector paths, all text as text in the embedded
// (subset) Go fonts, so it prints sharp and can be searched and copied.
func (fig *figure) pdf(ctx context.Context, w io.Writer) error {
	sc, err := fig.basemap.scene(ctx, fig.css)
	if err != nil {
		return err
	}
	fig.scene = sc
	W, H := float64(fig.Width), float64(fig.Height)
	// "P" keeps Wd and Ht as given; "L" would swap them.
	doc := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: W, Ht: H}})
	doc.SetMargins(0, 0, 0)
	doc.SetAutoPageBreak(false, 0)
	doc.SetCompression(true)
	doc.AddUTF8FontFromBytes("go", "", goregular.TTF)
	doc.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	doc.AddUTF8FontFromBytes("go", "I", goitalic.TTF)
	title := strings.TrimSpace(fig.Title)
	if title == "" {
		title = "Map"
	}
	doc.SetTitle(title, true)
	doc.SetSubject(fig.credits(), true)
	doc.SetCreator("khorasan", true)
	doc.SetProducer("khorasan", true)
	if !fig.changed.IsZero() {
		// The same data and request give the same bytes.
		doc.SetCreationDate(fig.changed)
		doc.SetModificationDate(fig.changed)
	}
	doc.SetCatalogSort(true)
	doc.AddPage()
	pc := &pdfCanvas{doc: doc, w: W, h: H}
	doc.ClipRect(0, 0, W, H, false)
	paintScene(pc, sc)
	doc.ClipEnd()
	if err := fig.draw(ctx, pc); err != nil {
		return err
	}
	if err := doc.Error(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		return err
	}
	if buf.Len() == 0 {
		return errors.New("pdf: empty output")
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// pdfCanvas draws on a PDF page; 1 CSS pixel is 1 pt.
type pdfCanvas struct {
	doc   *fpdf.Fpdf
	w, h  float64
	stack []bool // true for a clip to end
}

func (pc *pdfCanvas) group(string) { pc.stack = append(pc.stack, false) }

func (pc *pdfCanvas) clip(string) {
	pc.doc.ClipRect(0, 0, pc.w, pc.h, false)
	pc.stack = append(pc.stack, true)
}

func (pc *pdfCanvas) end() {
	if n := len(pc.stack); n > 0 {
		if pc.stack[n-1] {
			pc.doc.ClipEnd()
		}
		pc.stack = pc.stack[:n-1]
	}
}

func (pc *pdfCanvas) path(lines [][]orb.Point, closed bool) bool {
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

func (pc *pdfCanvas) alpha(op float64) {
	if op > 1 {
		op = 1
	}
	if op < 0 {
		op = 0
	}
	pc.doc.SetAlpha(op, "Normal")
}

func (pc *pdfCanvas) fill(rings [][]orb.Point, c color.RGBA, op float64) {
	pc.doc.SetFillColor(int(c.R), int(c.G), int(c.B))
	pc.alpha(op)
	if pc.path(rings, true) {
		pc.doc.DrawPath("F")
	}
	pc.alpha(1)
}

func (pc *pdfCanvas) stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
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

func (pc *pdfCanvas) circle(p orb.Point, r float64, m mark) {
	pc.doc.SetFillColor(int(m.fill.R), int(m.fill.G), int(m.fill.B))
	pc.alpha(m.fillOpacity)
	pc.doc.Circle(p[0], p[1], r, "F")
	pc.alpha(1)
	if m.strokeWidth > 0 {
		pc.doc.SetDrawColor(int(m.stroke.R), int(m.stroke.G), int(m.stroke.B))
		pc.doc.SetLineWidth(m.strokeWidth)
		pc.doc.Circle(p[0], p[1], r, "D")
	}
}

func (pc *pdfCanvas) rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
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

func (pc *pdfCanvas) text(t textRun) {
	style := ""
	switch t.font {
	case fontBold:
		style = "B"
	case fontItalic:
		style = "I"
	}
	pc.doc.SetFont("go", style, t.size)
	x := t.at[0]
	switch t.anchor {
	case anchorMiddle:
		x -= pc.doc.GetStringWidth(t.s) / 2
	case anchorEnd:
		x -= pc.doc.GetStringWidth(t.s)
	}
	if t.halo {
		// The halo is the same text stroked wide in the halo colour
		// under the filled text.
		pc.doc.SetDrawColor(int(t.haloC.R), int(t.haloC.G), int(t.haloC.B))
		pc.doc.SetLineWidth(2 * t.haloW)
		pc.doc.SetLineJoinStyle("round")
		pc.doc.SetTextRenderingMode(1)
		pc.doc.SetTextColor(int(t.haloC.R), int(t.haloC.G), int(t.haloC.B))
		pc.doc.Text(x, t.at[1], t.s)
		pc.doc.SetTextRenderingMode(0)
	}
	pc.doc.SetTextColor(int(t.color.R), int(t.color.G), int(t.color.B))
	pc.doc.Text(x, t.at[1], t.s)
}
