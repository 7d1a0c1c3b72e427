package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
	"github.com/khorasan/khorasan/static"
	"github.com/khorasan/khorasan/tiles/figure"
)

// whereFlags collects repeated --where NAME=VALUE property filters.
type whereFlags []string

func (w *whereFlags) String() string { return strings.Join(*w, " ") }

func (w *whereFlags) Set(v string) error {
	name, _, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	*w = append(*w, v)
	return nil
}

func runRender(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opt, err := parseRenderFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	out := opt.out
	raw, err := fs.ReadFile(static.FS, "style.json")
	if err != nil {
		return err
	}
	style, err := figure.ParseStyle(raw)
	if err != nil {
		return err
	}
	// Like serve, a missing database is made from the embedded default
	// data, so one command on a fresh machine gives a figure.
	store, err := openOrSeed(ctx, opt.db, slog.New(slog.NewTextHandler(stderr, nil)), readFrom(opt.dbRead))
	if err != nil {
		return err
	}
	defer store.Close()
	fig, err := figure.Parse(ctx, store, opt.query)
	if err != nil {
		var pe *params.Error
		if errors.As(err, &pe) {
			if opt.flags.Lookup(pe.Name) != nil {
				return &usageError{"--" + pe.Name + ": " + pe.Reason}
			}
			return &usageError{"--where " + pe.Name + ": " + pe.Reason}
		}
		return err
	}
	fig.BaseURL = opt.baseURL
	ds, err := data.Dataset()
	if err != nil {
		return err
	}
	fr := &figure.Renderer{Source: store, Style: style, Borders: ds.Basemap.Borders, Cities: ds.Basemap.Cities, Detail: data.Basemap()}
	if out == "-" {
		return fr.Render(ctx, fig, stdout)
	}
	err = writeAtomically(out, func(w io.Writer) error { return fr.Render(ctx, fig, w) })
	var ie *geo.InvalidError
	if errors.As(err, &ie) {
		return &usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", out)
	return nil
}

// renderOptions are render's flags: the figure as /render's parameters
// (query), and where it goes.
type renderOptions struct {
	flags                    *flag.FlagSet
	query                    url.Values
	db, dbRead, out, baseURL string
}

// parseRenderFlags reads render's flags into /render's parameters, so
// that both read them alike.
func parseRenderFlags(args []string, getenv func(string) string, stderr io.Writer) (*renderOptions, error) {
	fl := newFlags("render", "--db FILE --out FILE.png|.svg|.pdf [flags]",
		"Draw a static map figure, as /render does, with no server: the offline basemap, the\n"+
			"layers in the page's style, a legend, a scale bar, the attribution and the date the\n"+
			"data last changed. PNG is exactly width×scale by height×scale pixels; SVG and PDF are\n"+
			"vector, with text as text (the PDF page is width by height points). The view is\n"+
			"--bbox, or --center with --zoom, or else fits the selected features. Filters apply to\n"+
			"each layer that has the properties they name.", stderr)
	dbPath, dbRead := dbFlags(fl, getenv)
	out := fl.String("out", "", "file to write, or - for standard output (required)")
	format := fl.String("format", "", "png, svg or pdf (default: from the --out extension)")
	baseURL := fl.String("base-url", getenv("KHORASAN_BASE_URL"), "the server's public URL, named in the attribution as where the sources are listed (env KHORASAN_BASE_URL)")
	fl.String("bbox", "", "view: minLon,minLat,maxLon,maxLat")
	fl.String("center", "", "view: lon,lat (with --zoom)")
	fl.String("zoom", "", "view: web map zoom at --center, 0 to 20 (fractions allowed)")
	fl.String("width", "1200", "width in CSS pixels (PDF: points), 1 to 4096")
	fl.String("height", "800", "height in CSS pixels (PDF: points), 1 to 4096")
	fl.String("scale", "1", "PNG pixels per CSS pixel, 1 to 4 (2 for print)")
	fl.String("layers", "", "layers to draw, separated by commas (default: all)")
	fl.String("events", "", "the events layers to draw, separated by commas, as the page's events= (default: those --layers selects)")
	fl.String("data", "", "the events layer the figure is about: first in the legend, counted by --choropleth (default: the first events layer)")
	fl.String("choropleth", "", "fill countries or hexagon cells by the events counted: country, or hex with --size")
	fl.String("size", "", "the hexagons' width in km for --choropleth hex, 5 to 1000")
	fl.String("measure", "", "what the choropleth counts: count (events, the default) or magnitude (its sum, e.g. killed)")
	fl.String("title", "", "title drawn across the top")
	fl.String("legend", "true", "draw the legend (true or false)")
	fl.String("lang", "en", "language of the basemap's labels: en, ru, fa, ps or ur (names the data has in that language; the rest in English)")
	var inset optionalBool
	fl.Var(&inset, "inset", "draw the locator inset, or --inset=false to leave it out (default: when width and height are 600 or more)")
	fl.String("datetime", "", "date filter: an instant or an interval start/end (.. for open)")
	fl.String("filter", "", "CQL2 text filter, e.g. \"killed >= 50 AND attribution = 'claimed'\"")
	var where whereFlags
	fl.Var(&where, "where", "property filter NAME=VALUE (repeatable), e.g. --where attribution=claimed")
	if err := parseFlags(fl, args); err != nil {
		return nil, err
	}
	switch {
	case fl.NArg() > 0:
		return nil, &usageError{fmt.Sprintf("render takes no arguments, got %q", fl.Args())}
	case *out == "":
		return nil, &usageError{"render needs --out FILE (.png, .svg or .pdf), or - with --format"}
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
		if *format == "" || *out == "-" {
			return nil, &usageError{fmt.Sprintf("cannot tell the format of %q: give --format png, svg or pdf", *out)}
		}
	}

	q := url.Values{"format": {*format}}
	for _, name := range figure.Params {
		if f := fl.Lookup(name); f != nil && name != "format" && isSet(fl, name) {
			q.Set(name, f.Value.String())
		}
	}
	for _, w := range where {
		name, value, _ := strings.Cut(w, "=")
		name = strings.TrimSpace(name)
		if _, dup := q[name]; dup || fl.Lookup(name) != nil {
			return nil, &usageError{fmt.Sprintf("--where %s: %q is a flag or given twice", w, name)}
		}
		q.Set(name, value)
	}

	return &renderOptions{flags: fl, query: q, db: *dbPath, dbRead: *dbRead, out: *out, baseURL: *baseURL}, nil
}

// writeAtomically writes a file beside the target and renames it, so a
// failure leaves no half file.
func writeAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".render-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// isSet reports whether the flag was given on the command line.
func isSet(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// optionalBool is a boolean flag without a default of its own: --inset,
// --inset=false, or left to the figure.
type optionalBool string

func (b *optionalBool) String() string { return string(*b) }

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b = optionalBool(strconv.FormatBool(v))
	return nil
}

func (b *optionalBool) IsBoolFlag() bool { return true }
