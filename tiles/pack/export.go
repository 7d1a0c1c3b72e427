package pack

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// ExportOptions says which vector tiles to export.
type ExportOptions struct {
	Layers           []geo.Layer
	MinZoom, MaxZoom int
	// Progress, when set, is told how many tiles of the total are done.
	Progress func(done, total int)
}

// ExportBound is the area exported: the union of the layers' bounds.
func ExportBound(layers []geo.Layer) (orb.Bound, bool) {
	var b orb.Bound
	found := false
	for _, l := range layers {
		if l.Count == 0 {
			continue
		}
		if !found {
			b, found = l.Bounds, true
		} else {
			b = b.Union(l.Bounds)
		}
	}
	return b, found
}

// Export encodes every tile from MinZoom to MaxZoom over the layers'
// bounds and hands the non-empty ones to put in TileID order (as PMTiles
// wants them), encoding on every core. It returns the number of tiles put.
func Export(ctx context.Context, enc *tiles.Encoder, opt ExportOptions, put func(maptile.Tile, []byte) error) (int, error) {
	if opt.MinZoom < 0 || opt.MaxZoom > tiles.MaxZoom || opt.MinZoom > opt.MaxZoom {
		return 0, &geo.InvalidError{Where: "zoom", Msg: "zooms must satisfy 0 <= minzoom <= maxzoom <= 14"}
	}
	bound, ok := ExportBound(opt.Layers)
	if !ok {
		return 0, &geo.InvalidError{Where: "layers", Msg: "the layers hold no features"}
	}
	var all []maptile.Tile
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		all = append(all, tiles.TilesCovering(bound, z)...)
	}
	slices.SortFunc(all, func(a, b maptile.Tile) int {
		ia, ib := TileID(a), TileID(b)
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	})
	workers := runtime.GOMAXPROCS(0)
	const batch = 256
	out := make([][]byte, batch)
	written, done := 0, 0
	for start := 0; start < len(all); start += batch {
		chunk := all[start:min(start+batch, len(all))]
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					out[i], errs[i] = enc.Encode(ctx, opt.Layers, chunk[i])
				}
			}()
		}
		for i := range chunk {
			next <- i
		}
		close(next)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return written, err
		}
		for i, t := range chunk {
			if len(out[i]) == 0 {
				continue
			}
			if err := put(t, out[i]); err != nil {
				return written, err
			}
			written++
		}
		done += len(chunk)
		if opt.Progress != nil {
			opt.Progress(done, len(all))
		}
		if err := ctx.Err(); err != nil {
			return written, err
		}
	}
	return written, nil
}
