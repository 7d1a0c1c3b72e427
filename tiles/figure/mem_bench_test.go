package figure

import (
	"context"
	"io"
	"runtime"
	"testing"
)

// BenchmarkFigureLargestPNG draws the largest PNG /render takes
// (2048×2048 at scale 4, 8192² pixels) and reports the heap it needs:
// peak-MiB is the most the Go heap held while drawing and encoding
// (sampled by a background reader), alloc-MiB what it allocated in all.
func BenchmarkFigureLargestPNG(b *testing.B) {
	fr := figureRenderer(b)
	f := Figure{Width: 2048, Height: 2048, Scale: 4, Format: FormatPNG, Legend: true,
		Layers: figureLayers(b, "", "borders", "khorasan", "attacks", "cities"), asOf: figureDate}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if err := fr.Render(context.Background(), f, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heap-sys-MiB")
}
