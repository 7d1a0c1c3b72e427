package ingest_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
)

// BenchmarkImport imports 10,000 points as a new layer, from CSV and from
// GeoJSON (bench/import.sh compares a million with ogr2ogr).
func BenchmarkImport(b *testing.B) {
	const n = 10_000
	var csv, gj strings.Builder
	csv.WriteString("id,date,latitude,longitude,killed,attribution\n")
	gj.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		lat, lon := 24+float64(i%2000)/100, 44+float64(i%3600)/100
		fmt.Fprintf(&csv, "ev-%d,2020-01-%02d,%.5f,%.5f,%d,claimed\n", i, 1+i%28, lat, lon, i%60)
		if i > 0 {
			gj.WriteByte(',')
		}
		fmt.Fprintf(&gj, `{"type":"Feature","id":"ev-%d","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},"properties":{"date":"2020-01-%02d","killed":%d,"attribution":"claimed"}}`, i, lon, lat, 1+i%28, i%60)
	}
	gj.WriteString("]}")
	for name, doc := range map[string]string{"csv": csv.String(), "geojson": gj.String()} {
		b.Run(name, func(b *testing.B) {
			s, err := gpkg.Create(context.Background(), filepath.Join(b.TempDir(), "b.gpkg"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			src := ingest.Source{Name: "points." + name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(doc)), nil }}
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := s.Import(context.Background(), src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "points"}, Mode: ingest.ModeReplace}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
