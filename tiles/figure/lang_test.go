package figure

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo/params"
)

// svgText is the character data of an SVG's text elements, one a line.
func svgText(t *testing.T, svg []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return strings.Join(texts, "\n")
}

// pdfText is what poppler's pdftotext reads of a PDF.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is missing: install poppler-utils (make deps does)")
	}
	path := filepath.Join(t.TempDir(), "figure.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func TestFigureInRussian(t *testing.T) {
	f := Figure{Width: 900, Height: 600, Scale: 1, Legend: true, Lang: "ru",
		Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities")}
	fr := atlasRenderer(t)
	f.Format = FormatSVG
	svg := svgText(t, renderWith(t, fr, f))
	for _, want := range []string{"Афганистан", "Пакистан", "Тегеран"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the SVG's text", want)
		}
	}
	if strings.Contains(svg, "Afghanistan") {
		t.Error("the Russian SVG names Afghanistan in English")
	}
	// The figure's own city labels (of the cities layer) named as the
	// basemap names them: Natural Earth's Russian name of the place; a
	// place without one (Maymana: Natural Earth's Meymaneh has none)
	// keeps the layer's name.
	for _, want := range []string{"Кабул", "Герат", "Нишапур", "Maymana"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no city label %q in the SVG's text", want)
		}
	}
	for _, english := range []string{"Kabul", "Herat", "Neyshabur"} {
		if strings.Contains(svg, english) {
			t.Errorf("the Russian SVG names %s in English", english)
		}
	}
	f.Format = FormatPDF
	txt := pdfText(t, renderWith(t, fr, f))
	for _, want := range []string{"Афганистан", "Кабул", "Герат"} {
		if !strings.Contains(txt, want) {
			t.Errorf("pdftotext finds no %s in the PDF:\n%.600s", want, txt)
		}
	}
	f.Lang = ""
	f.Format = FormatSVG
	if svg := svgText(t, renderWith(t, fr, f)); !strings.Contains(svg, "Afghanistan") || strings.Contains(svg, "Афганистан") {
		t.Error("the default figure is not in English")
	}
}

func TestParseLang(t *testing.T) {
	store := layerStore{}
	for _, c := range []struct{ v, want string }{{"en", "en"}, {"ru", "ru"}, {"fa", "fa"}, {"ps", "ps"}, {"ur", "ur"}} {
		f, err := Parse(context.Background(), store, url.Values{"lang": {c.v}})
		if err != nil || f.Lang != c.want {
			t.Errorf("lang=%s: %q, %v", c.v, f.Lang, err)
		}
	}
	for _, bad := range []string{"de", "RU", "", " ru"} {
		_, err := Parse(context.Background(), store, url.Values{"lang": {bad}})
		var pe *params.Error
		if !errors.As(err, &pe) || pe.Name != "lang" {
			t.Errorf("lang=%q: %v, want an error naming lang", bad, err)
		}
	}
}

func TestFigureInPersian(t *testing.T) {
	f := Figure{Width: 900, Height: 600, Scale: 1, Legend: true, Lang: "fa",
		Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities")}
	fr := atlasRenderer(t)
	f.Format = FormatSVG
	svg := svgText(t, renderWith(t, fr, f))
	// Countries in Persian; the places, which have no Persian names, in English.
	for _, want := range []string{"افغانستان", "پاکستان", "Tehran"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the SVG's text", want)
		}
	}
	f.Format = FormatPDF
	if txt := withoutBidiMarks(pdfText(t, renderWith(t, fr, f))); !strings.Contains(txt, "افغانستان") {
		t.Errorf("pdftotext finds no افغانستان in the PDF:\n%.600s", txt)
	}
}
