package draw

import (
	"image"
	"image/color"
	"image/draw"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// PaintCache is what Scene.Paint keeps from one paint to the next: the
// masks of label text as it draws it (the hinted Go fonts, on whole
// pixels), so that a label is rasterized once, not once for each tile it
// crosses and nine times for its halo in each (a mask is the same
// wherever the label stands: its glyphs sit on whole pixels); and
// rasterizers with their path buffers, half a megabyte a tile otherwise.
// It is safe for concurrent use.
type PaintCache struct {
	mu    sync.Mutex // guards faces (a face is not safe for concurrent use)
	faces map[textFace]font.Face
	masks *lru.Cache[textKey, *textMask]
	works sync.Pool // *paintWork
}

// paintWork is one painter's rasterizer and path.
type paintWork struct {
	z   *vector.Rasterizer
	rec recorder
}

func (tc *PaintCache) work() *paintWork {
	if w, ok := tc.works.Get().(*paintWork); ok {
		return w
	}
	return &paintWork{z: vector.NewRasterizer(1, 1)}
}

func (tc *PaintCache) done(w *paintWork) { tc.works.Put(w) }

type textFace struct {
	kind FontKind
	size float64
}

type textKey struct {
	text string
	face textFace
	hw   int
}

// textMask is a text's coverage and its halo's, hw pixels round it,
// in pixels from the baseline's left end.
type textMask struct {
	text, halo *image.Alpha
}

// NewPaintCache keeps the masks of up to n texts (a zoom's labels are a
// few hundred).
func NewPaintCache(n int) *PaintCache {
	c, err := lru.New[textKey, *textMask](max(n, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &PaintCache{faces: map[textFace]font.Face{}, masks: c}
}

// LabelFace is the face a basemap label of kind is set in at size device
// pixels: hinted, as it is measured and drawn.
func LabelFace(kind FontKind, size float64) (font.Face, error) {
	f, err := FontOf(kind)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

// mask is s's masks in kind at size, with a halo hw pixels wide.
func (tc *PaintCache) mask(s string, kind FontKind, size float64, hw int) (*textMask, error) {
	key := textKey{s, textFace{kind, size}, hw}
	if m, ok := tc.masks.Get(key); ok {
		return m, nil
	}
	tc.mu.Lock()
	f, ok := tc.faces[key.face]
	if !ok {
		var err error
		if f, err = LabelFace(kind, size); err != nil {
			tc.mu.Unlock()
			return nil, err
		}
		tc.faces[key.face] = f
	}
	b, _ := font.BoundString(f, s)
	r := image.Rect(b.Min.X.Floor()-hw, b.Min.Y.Floor()-hw, b.Max.X.Ceil()+hw, b.Max.Y.Ceil()+hw)
	text := image.NewAlpha(r)
	d := font.Drawer{Dst: text, Face: f, Src: image.Opaque, Dot: fixed.P(0, 0)}
	d.DrawString(s)
	tc.mu.Unlock()
	// The halo is the text drawn at each offset of a square hw pixels
	// round it, one over the other: 1 - Π(1 - a).
	halo := image.NewAlpha(r)
	w := r.Dx()
	clear := make([]float64, len(halo.Pix))
	for i := range clear {
		clear[i] = 1
	}
	for dy := -hw; dy <= hw; dy++ {
		for dx := -hw; dx <= hw; dx++ {
			if dx == 0 && dy == 0 {
				continue
			}
			for y := max(0, dy); y < min(r.Dy(), r.Dy()+dy); y++ {
				src := text.Pix[(y-dy)*w:]
				row := clear[y*w:]
				for x := max(0, dx); x < min(w, w+dx); x++ {
					if a := src[x-dx]; a != 0 {
						row[x] *= 1 - float64(a)/255
					}
				}
			}
		}
	}
	for i, c := range clear {
		halo.Pix[i] = uint8((1-c)*255 + 0.5)
	}
	m := &textMask{text: text, halo: halo}
	tc.masks.Add(key, m)
	return m, nil
}

// paint draws s with its baseline's left end at whole pixel (x, y) of
// dst: its halo hw pixels wide, then the text.
func (tc *PaintCache) paint(dst *image.RGBA, s string, kind FontKind, size float64, x, y, hw int, col, halo color.RGBA) error {
	m, err := tc.mask(s, kind, size, hw)
	if err != nil {
		return err
	}
	r := m.text.Rect.Add(image.Pt(x, y))
	if !r.Overlaps(dst.Rect) {
		return nil
	}
	draw.DrawMask(dst, r, image.NewUniform(halo), image.Point{}, m.halo, m.text.Rect.Min, draw.Over)
	draw.DrawMask(dst, r, image.NewUniform(col), image.Point{}, m.text, m.text.Rect.Min, draw.Over)
	return nil
}
