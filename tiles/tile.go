// Package tiles holds the tile maths (XYZ in Web Mercator, y down from the
// north, as Leaflet asks), the MVT encoder, the in-memory tile index and
// TileJSON, reading features through Source, which gpkg.Store satisfies. It
// imports only geo and geo/cql2; the basemap, figures and archives are its
// subpackages draw, basemap, figure and pack.
package tiles

import (
	"fmt"
	"math"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Zoom limits. Vector tiles go to MaxZoom: at z14 a tile spans about 2 km
// and one tile unit (1/4096) about 60 cm, finer than any layer we hold;
// clients overzoom beyond it. The basemap stops at BasemapMaxZoom: its
// data is Natural Earth at 1:10m (about 1 km), so deeper tiles would only
// magnify the same lines; clients scale the z10 tiles beyond it.
const (
	MaxZoom        = 14
	BasemapMaxZoom = 10
)

// MaxLat is the latitude where Web Mercator's square world ends.
const MaxLat = 85.0511287798066

// Check returns the tile z/x/y after checking that z is 0..maxZoom and x
// and y are 0..2^z-1 (maptile.Tile.Valid checks x and y only). Its errors
// are *geo.InvalidError, which say what was wrong with which number.
func Check(z, x, y, maxZoom int) (maptile.Tile, error) {
	if z < 0 || z > maxZoom {
		return maptile.Tile{}, &geo.InvalidError{Where: "z", Msg: fmt.Sprintf("zoom %d is outside 0..%d", z, maxZoom)}
	}
	n := 1 << z
	if x < 0 || x >= n {
		return maptile.Tile{}, &geo.InvalidError{Where: "x", Msg: fmt.Sprintf("column %d is outside 0..%d at zoom %d", x, n-1, z)}
	}
	if y < 0 || y >= n {
		return maptile.Tile{}, &geo.InvalidError{Where: "y", Msg: fmt.Sprintf("row %d is outside 0..%d at zoom %d", y, n-1, z)}
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

// WorldPixel is Web Mercator at zoom z in units of 1/scale of a tile:
// x grows east from the antimeridian, y south from the north edge.
// Latitudes are clamped to the square world.
func WorldPixel(p orb.Point, z uint32, scale float64) (x, y float64) {
	lat := math.Max(-MaxLat, math.Min(MaxLat, p[1]))
	n := float64(uint64(1)<<z) * scale
	x = (p[0]/360 + 0.5) * n
	s := math.Sin(lat * math.Pi / 180)
	y = (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * n
	return x, y
}

// LonLat is the inverse of worldPixel.
func LonLat(x, y float64, z uint32, scale float64) orb.Point {
	n := float64(uint64(1)<<z) * scale
	lon := x/n*360 - 180
	lat := math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi
	return orb.Point{lon, lat}
}

// TilesCovering lists the tiles of zoom z that meet the bound, row by row.
func TilesCovering(b orb.Bound, z int) []maptile.Tile {
	minX, minY := WorldPixel(orb.Point{b.Min[0], b.Max[1]}, uint32(z), 1)
	maxX, maxY := WorldPixel(orb.Point{b.Max[0], b.Min[1]}, uint32(z), 1)
	last := float64(int(1)<<z) - 1
	clampf := func(v float64) int { return int(math.Max(0, math.Min(last, math.Floor(v)))) }
	var out []maptile.Tile
	for y := clampf(minY); y <= clampf(maxY); y++ {
		for x := clampf(minX); x <= clampf(maxX); x++ {
			out = append(out, maptile.New(uint32(x), uint32(y), maptile.Zoom(z)))
		}
	}
	return out
}
