package draw

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestPNGEncoderRoundTrip: what PNGEncoder writes decodes to the image's
// pixels, for an image whose bounds start anywhere.
func TestPNGEncoderRoundTrip(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 256, 256), image.Rect(3, 5, 40, 17), image.Rect(0, 0, 1, 1), image.Rect(0, 0, 1200, 800)} {
		img := image.NewRGBA(r)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetRGBA(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 0xff})
			}
		}
		var e PNGEncoder
		for range 2 { // the second time with the kept buffers
			var buf bytes.Buffer
			if err := e.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds().Size() != r.Size() {
				t.Fatalf("%v: decoded %v", r, got.Bounds())
			}
			for y := 0; y < r.Dy(); y++ {
				for x := 0; x < r.Dx(); x++ {
					want := img.RGBAAt(r.Min.X+x, r.Min.Y+y)
					if c := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA); c != want {
						t.Fatalf("%v: pixel %d,%d is %v, want %v", r, x, y, c, want)
					}
				}
			}
		}
	}
}
