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
	"math"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles/draw"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// png draws the figure on a raster exactly Width×Scale by Height×Scale
// pixels: the basemap as the tiles draw it, then the layers and overlays.
func (fig *figure) png(ctx context.Context, w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, fig.dpr.Width, fig.dpr.Height))
	sc, ov, err := fig.baseScene(ctx, fig.dpr)
	if err != nil {
		return err
	}
	if err := sc.Paint(ctx, img); err != nil { // as Draw does
		return err
	}
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

// baseScene lays the figure out over view v and the basemap under it:
// the overlays and the city labels first, then the basemap's labels,
// placed clear of the markers and city labels the figure draws over
// them (View.Obstacles: "HINDU KUSH" not under Kabul's markers), and
// without those the overlays would cover (uncover).
func (fig *figure) baseScene(ctx context.Context, v draw.View) (*draw.Scene, *overlays, error) {
	ov := fig.layout()
	for _, l := range fig.order {
		if layerKind(l.Layer) == geo.KindPlaces {
			if err := fig.layoutCities(fig.features[l.Layer.Name], ov); err != nil {
				return nil, nil, err
			}
		}
	}
	v.Obstacles = fig.obstacles(ov, v.Scale)
	sc, err := fig.basemap.Scene(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	ov.uncover(sc, v.Scale)
	fig.scene = sc
	return sc, ov, nil
}

// obstacles is the room of the event markers (with their outline) and
// the city labels the figure draws, in pixels of a view of k pixels per
// figure pixel.
func (fig *figure) obstacles(ov *overlays, k float64) []image.Rectangle {
	var out []image.Rectangle
	add := func(b box) {
		r := image.Rect(int(math.Floor(b.x0*k)), int(math.Floor(b.y0*k)), int(math.Ceil(b.x1*k)), int(math.Ceil(b.y1*k)))
		if !r.Empty() {
			out = append(out, r)
		}
	}
	for _, l := range fig.eventLayers() {
		if fig.counted(l.Layer.Name) {
			continue
		}
		pad := fig.st.Marker.Weight
		for _, m := range fig.attackMarkers(l.Layer.Profile, fig.features[l.Layer.Name]) {
			e := m.r + pad
			add(box{m.at[0] - e, m.at[1] - e, m.at[0] + e, m.at[1] + e})
		}
	}
	for _, c := range ov.cities {
		add(c.box)
	}
	return out
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
	sc, ov, err := fig.baseScene(ctx, fig.css)
	if err != nil {
		return err
	}
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
	sc, ov, err := fig.baseScene(ctx, fig.css)
	if err != nil {
		return err
	}
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
