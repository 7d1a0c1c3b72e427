package cql2_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

func Example() {
	e, err := cql2.Parse("killed >= 50 AND S_INTERSECTS(geometry, BBOX(69, 34, 70, 35)) AND wounded IS NOT NULL")
	if err != nil {
		panic(err)
	}
	props := map[string]any{"killed": int64(182), "wounded": int64(150)}
	get := func(name string) (any, bool) { v, ok := props[name]; return v, ok }
	ok, err := cql2.Eval(e, get, orb.Point{69.22028, 34.55861})
	fmt.Println(ok, err)
	fmt.Println(cql2.Format(e))
	// Output:
	// true <nil>
	// killed >= 50 AND S_INTERSECTS(geometry, BBOX(69, 34, 70, 35)) AND wounded IS NOT NULL
}

func ExampleParse_error() {
	_, err := cql2.Parse("city = 'Kabul")
	var se *cql2.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Pos, se.Msg)
	}
	// Output:
	// 8 unterminated string starting at character 8
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cql2.Parse("iso3 IN ('AFG', 'PAK') AND killed BETWEEN 10 AND 100 AND T_INTERSECTS(date, INTERVAL('2020-01-01', '..')) AND S_INTERSECTS(geometry, POLYGON((60 30, 70 30, 70 40, 60 40, 60 30)))"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntersects(b *testing.B) {
	ring := orb.Ring{}
	for i := range 1000 { // a 1000-gon around (65, 35)
		ring = append(ring, orb.Point{65 + 5*cos(i), 35 + 5*sin(i)})
	}
	ring = append(ring, ring[0])
	poly := orb.Polygon{ring}
	b.ReportAllocs()
	for b.Loop() {
		cql2.Intersects(orb.Point{66, 36}, poly)
	}
}

func cos(i int) float64 { return math.Cos(2 * math.Pi * float64(i) / 1000) }
func sin(i int) float64 { return math.Sin(2 * math.Pi * float64(i) / 1000) }
