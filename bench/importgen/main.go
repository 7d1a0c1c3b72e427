// Command importgen writes a CSV of synthetic point events for the import
// benchmark, bench/import.sh (an id, a date, a place over the region, a death
// toll, an attribution and a note: test data, never map data). It imports
// bench/synth, which names the columns after the default dataset.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/khorasan/khorasan/bench/synth"
)

func main() {
	n := flag.Int("n", 1000000, "number of rows")
	seed := flag.Uint64("seed", 1, "random seed; the same seed writes the same file")
	flag.Parse()
	ev, err := synth.DefaultEvents()
	if err != nil {
		fmt.Fprintln(os.Stderr, "importgen:", err)
		os.Exit(1)
	}
	rng := rand.New(rand.NewPCG(*seed, *seed+1))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Fprintf(w, "id,%s,latitude,longitude,%s,%s,notes\n", ev.Time, ev.Magnitude, ev.Category)
	for i := range *n {
		fmt.Fprintf(w, "ev-%d,%s,%.5f,%.5f,%d,%s,synthetic event %d\n", i,
			start.AddDate(0, 0, rng.IntN(3650)).Format(time.DateOnly), 24+rng.Float64()*20, 44+rng.Float64()*36,
			rng.IntN(60), ev.Values[rng.IntN(len(ev.Values))], i)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "importgen:", err)
		os.Exit(1)
	}
}
