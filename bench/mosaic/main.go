// Command mosaic puts n×n basemap tiles of a running server side by side
// in one PNG, for looking at a block of tiles as a map reader sees it
// (labels across tile edges, overlaps). It fetches
// BASE/tiles/basemap/{z}/{x}/{y}.png?lang=LANG for the n×n tiles whose
// middle is nearest -at, at zoom -z.
//
//	go run ./bench/mosaic -base http://127.0.0.1:18097 -z 5 -at 66,34 -lang ru -out z5-ru.png
package main

import (
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:18097", "the server's URL")
	z := flag.Int("z", 5, "zoom")
	at := flag.String("at", "66,34", "lon,lat of the middle")
	n := flag.Int("n", 4, "tiles a side")
	lang := flag.String("lang", "en", "label language")
	query := flag.String("query", "", "more query parameters, e.g. cities=off")
	out := flag.String("out", "mosaic.png", "PNG to write")
	flag.Parse()
	if err := run(*base, *z, *at, *n, *lang, *query, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mosaic:", err)
		os.Exit(1)
	}
}

func run(base string, z int, at string, n int, lang, query, out string) error {
	parts := strings.Split(at, ",")
	if len(parts) != 2 {
		return fmt.Errorf("-at %q: want lon,lat", at)
	}
	lon, err1 := strconv.ParseFloat(parts[0], 64)
	lat, err2 := strconv.ParseFloat(parts[1], 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("-at %q: want lon,lat", at)
	}
	// The tile whose top left corner is nearest the middle, less half the block.
	c := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
	x0, y0 := c.X-uint32(n/2), c.Y-uint32(n/2)
	img := image.NewRGBA(image.Rect(0, 0, 256*n, 256*n))
	for dy := range n {
		for dx := range n {
			u := fmt.Sprintf("%s/tiles/basemap/%d/%d/%d.png?lang=%s", base, z, x0+uint32(dx), y0+uint32(dy), lang)
			if query != "" {
				u += "&" + query
			}
			t, err := fetch(u)
			if err != nil {
				return err
			}
			draw.Draw(img, image.Rect(dx*256, dy*256, dx*256+256, dy*256+256), t, t.Bounds().Min, draw.Src)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fetch(u string) (image.Image, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return png.Decode(resp.Body)
}
