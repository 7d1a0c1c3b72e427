package gpkg

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/ingest"
)

// BenchmarkSpatialFilter: S_INTERSECTS with a 3,000-vertex polygon over
// 100,000 synthetic points, the request of issue 10 (6.3 s before the
// literal was prepared). Count and one page, as the items endpoint runs.
func BenchmarkSpatialFilter(b *testing.B) {
	ctx := context.Background()
	s, err := Create(ctx, filepath.Join(b.TempDir(), "b.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var csv strings.Builder
	csv.WriteString("id,latitude,longitude,killed\n")
	for i := range 100_000 {
		// A deterministic scatter over 44..80 E, 24..44 N.
		fmt.Fprintf(&csv, "p%d,%.5f,%.5f,%d\n", i, 24+float64(i*7919%100_000)/5000, 44+float64(i*104729%100_000)/2778, i%60)
	}
	doc := csv.String()
	src := ingest.Source{Name: "points.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(doc)), nil }}
	if _, err := s.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "points"}, Mode: ingest.ModeReplace}); err != nil {
		b.Fatal(err)
	}
	// A 3,000-vertex circle over most of the points.
	var wkt strings.Builder
	wkt.WriteString("S_INTERSECTS(geometry, POLYGON((")
	for i := range 3001 {
		a := 2 * math.Pi * float64(i%3000) / 3000
		if i > 0 {
			wkt.WriteString(", ")
		}
		fmt.Fprintf(&wkt, "%.6f %.6f", 62+15*math.Cos(a), 34+9*math.Sin(a))
	}
	wkt.WriteString(")))")
	filter, err := cql2.Parse(wkt.String())
	if err != nil {
		b.Fatal(err)
	}
	q := geo.Query{Filter: filter, Limit: 100}
	for b.Loop() {
		n, err := s.Count(ctx, "points", q)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		if err := s.Features(ctx, "points", q, func(geo.Feature) error { got++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n < 50_000 || got != 100 {
			b.Fatalf("%d matched, %d returned", n, got)
		}
	}
}
