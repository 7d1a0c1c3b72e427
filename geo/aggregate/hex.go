package aggregate

import (
	"fmt"
	"math"
	"strconv"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/project"
)

// The hexagon grid: flat-topped regular hexagons on the Web Mercator
// plane (EPSG:3857, in metres), the plane the page and the tiles draw on,
// so the cells look regular on the map. The grid is fixed: the cell
// (0, 0) is centred on lon 0, lat 0, and a cell's axial coordinates q
// (columns, eastwards) and r (rows, northwards) do not depend on the
// data or the query, so an id names the same cell in every answer.
//
// The size is the distance between the centres of two neighbouring
// cells (the hexagon's width from flat side to flat side), in Web
// Mercator kilometres: that is true on the ground at the equator and
// shrinks with the cosine of the latitude elsewhere (a 50 km cell is
// 41 km across at 35°N). Each cell says its area on the ground
// (area_km2), so counts can be compared as densities.

// Hexagon sizes, in kilometres.
const (
	MinHexKM = 5
	MaxHexKM = 1000
)

// Hex groups features by the hexagon cell of the grid of size km their
// point lies in. Latitudes past Web Mercator's ±85.05° are taken at its
// edge; a cell's outline is clamped to longitudes -180..180.
func Hex(km float64) (Grouping, error) {
	if !(km >= MinHexKM && km <= MaxHexKM) { // also refuses NaN
		return nil, fmt.Errorf("a hexagon size must be from %d to %d km, got %v", MinHexKM, MaxHexKM, km)
	}
	// R is the circumradius: the distance from the centre to a corner,
	// which is also the length of a side.
	return hexGrid{km: km, r: km * 1000 / math.Sqrt(3)}, nil
}

type hexGrid struct {
	km float64 // centre to neighbouring centre
	r  float64 // centre to corner, metres
}

type cell struct{ q, r int64 }

func (g hexGrid) By() string { return "hex" }

func (g hexGrid) key(f geo.Feature) (any, bool) {
	p, ok := pointOf(f)
	if !ok {
		return nil, false
	}
	return g.cellOf(project.WGS84.ToMercator(p)), true
}

// cellOf is the cell that holds the Mercator point m: the axial
// coordinates of m, rounded to the nearest cell centre in cube
// coordinates (Amit Patel, "Hexagonal Grids", redblobgames.com).
func (g hexGrid) cellOf(m orb.Point) cell {
	fq := (2.0 / 3 * m[0]) / g.r
	fr := (-1.0/3*m[0] + math.Sqrt(3)/3*m[1]) / g.r
	fs := -fq - fr
	q, r, s := math.Round(fq), math.Round(fr), math.Round(fs)
	dq, dr, ds := math.Abs(q-fq), math.Abs(r-fr), math.Abs(s-fs)
	switch {
	case dq > dr && dq > ds:
		q = -r - s
	case dr > ds:
		r = -q - s
	}
	return cell{int64(q), int64(r)}
}

// centre is the Mercator centre of a cell.
func (g hexGrid) centre(c cell) orb.Point {
	return orb.Point{g.r * 1.5 * float64(c.q), g.r * math.Sqrt(3) * (float64(c.r) + float64(c.q)/2)}
}

// outline is the cell's hexagon in lon/lat, counter-clockwise from its
// east corner, coordinates rounded to 1e-6° (a tenth of a metre).
func (g hexGrid) outline(c cell) orb.Polygon {
	o := g.centre(c)
	ring := make(orb.Ring, 7)
	for i := range 6 {
		a := math.Pi / 3 * float64(i)
		p := project.Mercator.ToWGS84(orb.Point{o[0] + g.r*math.Cos(a), o[1] + g.r*math.Sin(a)})
		ring[i] = orb.Point{round6(max(-180, min(180, p[0]))), round6(p[1])}
	}
	ring[6] = ring[0]
	return orb.Polygon{ring}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func (g hexGrid) describe(k any) (string, orb.Geometry, map[string]any) {
	c, ok := k.(cell)
	if !ok { // the null group: features without a geometry
		return "", nil, map[string]any{"q": nil, "r": nil, "area_km2": nil}
	}
	poly := g.outline(c)
	return g.id(c), poly, map[string]any{
		"q": c.q, "r": c.r,
		"area_km2": math.Round(orbgeo.Area(poly)/1e4) / 100,
	}
}

// id is the cell's name: the size, q and r ("50:12:-3").
func (g hexGrid) id(c cell) string {
	return strconv.FormatFloat(g.km, 'f', -1, 64) + ":" + strconv.FormatInt(c.q, 10) + ":" + strconv.FormatInt(c.r, 10)
}

func (g hexGrid) less(a, b any) bool {
	x, y := a.(cell), b.(cell)
	if x.r != y.r {
		return x.r < y.r
	}
	return x.q < y.q
}
