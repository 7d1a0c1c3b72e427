package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/khorasan/khorasan/geo"
)

// maxImportBytes bounds what import reads into memory.
const maxImportBytes = 1 << 30

func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("import", "--db FILE --layer NAME [--title T] [--description D] FILE.geojson",
		"Import a GeoJSON file (FeatureCollection, Feature or geometry) as a layer, creating\nit or replacing it whole. Column types are inferred from the values. The import\nis one transaction: when any feature is refused, the database is left as it was.\nA missing database file is created empty.", stderr)
	dbPath := fl.String("db", envOr(getenv, "KHORASAN_DB", "khorasan.gpkg"), "GeoPackage file (env KHORASAN_DB)")
	layer := fl.String("layer", "", "layer name: letters, digits and _ (required)")
	title := fl.String("title", "", "human title of the layer (default: the name)")
	description := fl.String("description", "", "what the layer holds and where it comes from")
	attribution := fl.String("attribution", "", "credit line for the data's sources, shown on maps")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *layer == "" {
		return &usageError{"import needs --layer NAME"}
	}
	if fl.NArg() != 1 {
		return &usageError{"import needs exactly one GeoJSON file"}
	}
	file := fl.Arg(0)
	if err := geo.CheckLayerName(*layer); err != nil {
		return &usageError{err.Error()}
	}
	raw, err := readLimited(file, maxImportBytes)
	if err != nil {
		return err
	}
	store, err := openOrCreate(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.ImportGeoJSON(ctx, geo.LayerInfo{Name: *layer, Title: *title, Description: *description, Attribution: *attribution}, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(stdout, "imported %d features from %s into layer %q of %s\n", n, file, *layer, *dbPath)
	return nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB, the most import reads", path, limit>>20)
	}
	return raw, nil
}

func openOrCreate(ctx context.Context, path string) (*geo.Store, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return geo.Create(ctx, path)
	}
	return geo.Open(ctx, path)
}

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("export", "--db FILE --layer NAME [--format geojson|csv] [--out FILE]",
		"Write a layer as a GeoJSON FeatureCollection or as CSV (id, longitude and latitude\nfor points or WKT for other geometries, then the properties).", stderr)
	dbPath := fl.String("db", envOr(getenv, "KHORASAN_DB", "khorasan.gpkg"), "GeoPackage file (env KHORASAN_DB)")
	layer := fl.String("layer", "", "layer to export (required)")
	format := fl.String("format", "geojson", "geojson or csv")
	out := fl.String("out", "", "output file (default: standard output)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *layer == "" {
		return &usageError{"export needs --layer NAME"}
	}
	if *format != "geojson" && *format != "csv" {
		return &usageError{fmt.Sprintf("--format %q: use geojson or csv", *format)}
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("export takes no arguments, got %q", fl.Args())}
	}
	store, err := geo.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	l, err := store.Layer(ctx, *layer)
	if err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if *format == "csv" {
		err = exportCSV(ctx, store, l, bw)
	} else {
		err = exportGeoJSON(ctx, store, l, bw)
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		return f.Close()
	}
	return nil
}

func exportGeoJSON(ctx context.Context, store *geo.Store, l geo.Layer, w *bufio.Writer) error {
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	var buf []byte
	err := store.Features(ctx, l.Name, geo.Query{}, func(f geo.Feature) error {
		if !first {
			w.WriteString(",\n")
		} else {
			w.WriteString("\n")
		}
		first = false
		var err error
		buf, err = geo.AppendFeatureJSON(buf[:0], f, l.Schema)
		w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("\n]}\n")
	return err
}

func exportCSV(ctx context.Context, store *geo.Store, l geo.Layer, w io.Writer) error {
	cw, err := geo.NewCSVWriter(w, l.Schema)
	if err != nil {
		return err
	}
	if err := store.Features(ctx, l.Name, geo.Query{}, cw.Write); err != nil {
		return err
	}
	return cw.Flush()
}
