package figure

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/khorasan/khorasan/tiles/draw"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// png draws the figure on a raster exactly Width×Scale by Height×Scale
// pixels: the basemap as the tiles draw it, then the layers and overlays.
func (fig *figure) png(ctx context.Context, w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, fig.dpr.Width, fig.dpr.Height))
	sc, err := fig.basemap.Scene(ctx, fig.dpr)
	if err != nil {
		return err
	}
	ov := fig.layout()
	ov.uncover(sc, fig.Scale)
	if err := sc.Paint(ctx, img); err != nil { // as Draw does
		return err
	}
	fig.scene = sc
	rc := draw.NewRaster(ctx, img, fig.Scale)
	if err := fig.draw(ctx, rc, ov); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	// Encoding 8192² pixels takes seconds; the deadline covers it too.
	if err := fig.r.pngEnc.Encode(ctxWriter{ctx, bw}, img); err != nil {
		return err
	}
	return bw.Flush()
}

// ctxWriter fails its writes once ctx is done, which stops an encoder
// that writes as it goes (png writes each 32 KiB of compressed data).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// svg writes the figure as SVG 1.1: the basemap and layers as paths and
// circles, every label, the title, legend and attribution as text. Each
// part is a group with an id (basemap, layer-NAME, legend, scale-bar,
// attribution), so it can be edited in a drawing program.
func (fig *figure) svg(ctx context.Context, w io.Writer) error {
	sc, err := fig.basemap.Scene(ctx, fig.css)
	if err != nil {
		return err
	}
	ov := fig.layout()
	ov.uncover(sc, 1)
	fig.scene = sc
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	sv := draw.NewSVG(bw)
	W, H := fig.Width, fig.Height
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\">\n",
		W, H, W, H, draw.SVGFonts)
	title := strings.TrimSpace(fig.Title)
	if title == "" {
		title = "Map"
	}
	bw.WriteString("<title>")
	xml.EscapeText(bw, []byte(title))
	bw.WriteString("</title>\n<desc>")
	xml.EscapeText(bw, []byte(fig.credits()))
	bw.WriteString("</desc>\n")
	fmt.Fprintf(bw, "<defs><clipPath id=\"map\"><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/></clipPath></defs>\n", W, H)
	bw.WriteString("<g clip-path=\"url(#map)\">\n")
	sc.PaintVector(sv)
	bw.WriteString("</g>\n")
	if err := fig.draw(ctx, sv, ov); err != nil {
		return err
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// pdf writes the figure as a one-page PDF of Width by Height points: the
// basemap and layers as vector paths, all text as text in the embedded
// (subset) Go fonts, so it prints sharp and can be searched and copied.
func (fig *figure) pdf(ctx context.Context, w io.Writer) error {
	sc, err := fig.basemap.Scene(ctx, fig.css)
	if err != nil {
		return err
	}
	ov := fig.layout()
	ov.uncover(sc, 1)
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
	pc := draw.NewPDF(doc, W, H)
	doc.ClipRect(0, 0, W, H, false)
	sc.PaintVector(pc)
	doc.ClipEnd()
	if err := fig.draw(ctx, pc, ov); err != nil {
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
