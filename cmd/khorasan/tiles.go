package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/pack"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

const tilesUsage = `Usage: khorasan tiles COMMAND [flags]

Commands:
  export   write vector tiles of layers to an MBTiles or PMTiles archive

Run "khorasan tiles export --help" for its flags.
`

func runTiles(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tilesUsage)
		return &usageError{"tiles needs a command: export"}
	}
	switch args[0] {
	case "export":
		return runTilesExport(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, tilesUsage)
		return nil
	}
	fmt.Fprint(stderr, tilesUsage)
	return &usageError{fmt.Sprintf("unknown tiles command %q", args[0])}
}

func runTilesExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("tiles export", "--layers NAME[,NAME...] [--minzoom 0] [--maxzoom 8] [--format mbtiles|pmtiles] --out FILE",
		"Write the vector tiles of the layers (the same tiles /tiles/{layers}/{z}/{x}/{y}.mvt\nserves) over their extent to one archive for static hosting: MBTiles (SQLite,\nopened by GDAL and QGIS) or PMTiles v3. Empty tiles are left out; tiles are gzipped.\nThe format defaults to the --out file's extension.", stderr)
	dbPath, dbRead := dbFlags(fl, getenv)
	layerList := fl.String("layers", "", "layers to export, separated by commas (required)")
	minZoom := fl.Int("minzoom", 0, "lowest zoom")
	maxZoom := fl.Int("maxzoom", 8, "highest zoom, at most "+strconv.Itoa(tiles.MaxZoom))
	format := fl.String("format", "", "mbtiles or pmtiles (default: from the --out extension)")
	out := fl.String("out", "", "archive to create; it must not exist (required)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return &usageError{fmt.Sprintf("tiles export takes no arguments, got %q", fl.Args())}
	case *layerList == "":
		return &usageError{"tiles export needs --layers NAME[,NAME...]"}
	case *out == "":
		return &usageError{"tiles export needs --out FILE"}
	case *minZoom < 0 || *maxZoom > tiles.MaxZoom || *minZoom > *maxZoom:
		return &usageError{fmt.Sprintf("zooms must satisfy 0 <= --minzoom <= --maxzoom <= %d, got %d and %d", tiles.MaxZoom, *minZoom, *maxZoom)}
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	}
	if *format != "mbtiles" && *format != "pmtiles" {
		return &usageError{fmt.Sprintf("--format %q: use mbtiles or pmtiles", *format)}
	}
	store, err := openStore(ctx, *dbPath, readFrom(*dbRead))
	if err != nil {
		return err
	}
	defer store.Close()
	var layers []geo.Layer
	var names []string
	for _, n := range strings.Split(*layerList, ",") {
		l, err := store.Layer(ctx, strings.TrimSpace(n))
		if err != nil {
			return err
		}
		layers = append(layers, l)
		names = append(names, l.Name)
	}
	tj := tiles.NewTileJSON(layers, "{z}/{x}/{y}.mvt", 0)
	tj.MinZoom, tj.MaxZoom = *minZoom, *maxZoom
	tj.Center[2] = min(max(tj.Center[2], float64(*minZoom)), float64(*maxZoom))
	for i := range tj.VectorLayers {
		tj.VectorLayers[i].MinZoom, tj.VectorLayers[i].MaxZoom = *minZoom, *maxZoom
	}

	arc, err := createArchive(ctx, *format, *out, tj, layers)
	if err != nil {
		return err
	}
	bar := newProgress(stderr)
	start := time.Now()
	// The layers are cut from memory, as serve cuts them: loaded once,
	// rather than read from SQLite for every tile.
	enc := &tiles.Encoder{Source: store, Index: tiles.NewIndex(store)}
	if err := enc.Index.Warm(ctx, layers); err != nil {
		arc.abort()
		return err
	}
	n, err := pack.Export(ctx, enc, pack.ExportOptions{
		Layers: layers, MinZoom: *minZoom, MaxZoom: *maxZoom, Progress: bar.update,
	}, arc.put)
	bar.done()
	if err != nil {
		arc.abort()
		return err
	}
	if err := arc.finish(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d tiles of %s (zoom %d to %d) to %s in %s\n", n, strings.Join(names, ","), *minZoom, *maxZoom, *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// archive is a tile archive being written: put tiles, then finish, or
// abort to leave nothing behind.
type archive struct {
	put    func(maptile.Tile, []byte) error
	finish func() error
	abort  func()
}

// createArchive creates an MBTiles or PMTiles file with tj's metadata.
func createArchive(ctx context.Context, format, out string, tj tiles.TileJSON, layers []geo.Layer) (*archive, error) {
	switch format {
	case "mbtiles":
		vl, _ := json.Marshal(map[string]any{"vector_layers": tj.VectorLayers, "tilestats": tiles.NewTileStats(layers)})
		meta := map[string]string{
			"name": tj.Name, "description": tj.Description, "attribution": tj.Attribution,
			"format": "pbf", "type": "overlay", "version": tj.Version,
			"minzoom": strconv.Itoa(tj.MinZoom), "maxzoom": strconv.Itoa(tj.MaxZoom),
			"bounds": fmt.Sprintf("%g,%g,%g,%g", tj.Bounds[0], tj.Bounds[1], tj.Bounds[2], tj.Bounds[3]),
			"center": fmt.Sprintf("%g,%g,%g", tj.Center[0], tj.Center[1], tj.Center[2]),
			"json":   string(vl),
		}
		mb, err := pack.CreateMBTiles(ctx, out, meta)
		if err != nil {
			return nil, err
		}
		return &archive{
			put: func(t maptile.Tile, b []byte) error {
				return mb.Put(ctx, int(t.Z), int(t.X), int(t.Y), pack.GzipTile(b))
			},
			finish: mb.Close, abort: mb.Abort,
		}, nil
	case "pmtiles":
		meta, _ := json.Marshal(map[string]any{
			"name": tj.Name, "description": tj.Description, "attribution": tj.Attribution,
			"type": "overlay", "version": tj.Version, "vector_layers": tj.VectorLayers,
		})
		pm, err := pack.CreatePMTiles(out, pack.PMTilesInfo{
			TileType: pack.PMTilesMVT, TileCompression: pack.PMTilesGzip,
			Bounds:     orb.Bound{Min: orb.Point{tj.Bounds[0], tj.Bounds[1]}, Max: orb.Point{tj.Bounds[2], tj.Bounds[3]}},
			Center:     orb.Point{tj.Center[0], tj.Center[1]},
			CenterZoom: uint8(tj.Center[2]),
			Metadata:   meta,
		})
		if err != nil {
			return nil, err
		}
		return &archive{
			put:    func(t maptile.Tile, b []byte) error { return pm.Put(t, pack.GzipTile(b)) },
			finish: pm.Close, abort: pm.Abort,
		}, nil
	}
	return nil, fmt.Errorf("unknown archive format %q", format)
}

// progress draws a bar on stderr when stderr is a terminal, and nothing
// otherwise (logs and pipes get no control characters).
type progress struct {
	w    io.Writer
	last time.Time
	on   bool
}

func newProgress(stderr io.Writer) *progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return &progress{}
	}
	fi, err := f.Stat()
	return &progress{w: f, on: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) update(done, total int) {
	if !p.on || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	fmt.Fprint(p.w, "\r"+progressLine(done, total, 30))
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}

// progressLine is "[#######.......]  45%  1234/2742 tiles".
func progressLine(done, total, width int) string {
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	fill := int(frac * float64(width))
	return fmt.Sprintf("[%s%s] %3.0f%%  %d/%d tiles", strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, done, total)
}
