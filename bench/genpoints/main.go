// Command genpoints writes a GeoJSON FeatureCollection of synthetic point
// events for load tests (random places over the region with a date, a death
// toll and an attribution: test data, never map data). It imports
// bench/synth, which names the properties after the default dataset.
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
	n := flag.Int("n", 100000, "number of points")
	seed := flag.Uint64("seed", 1, "random seed; the same seed writes the same file")
	flag.Parse()
	if err := write(*n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genpoints:", err)
		os.Exit(1)
	}
}

func write(n int, seed uint64) error {
	ev, err := synth.DefaultEvents()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	w := bufio.NewWriter(os.Stdout)
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Fprint(w, `{"type":"FeatureCollection","features":[`)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		lon := 44 + rng.Float64()*36 // 44..80 E
		lat := 24 + rng.Float64()*20 // 24..44 N
		date := start.AddDate(0, 0, rng.IntN(3650)).Format(time.DateOnly)
		fmt.Fprintf(w, "\n"+`{"type":"Feature","id":"synthetic-%d","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},"properties":{%q:%q,%q:%d,%q:%q,"synthetic":true}}`,
			i, lon, lat, ev.Time, date, ev.Magnitude, rng.IntN(60), ev.Category, ev.Values[rng.IntN(len(ev.Values))])
	}
	fmt.Fprint(w, "\n]}\n")
	return w.Flush()
}
