package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/geo/kml"
)

const importAbout = `Import a GeoJSON file, a CSV file (a point per row, or a WKT column) or KML/KMZ as
the features of a layer, in one transaction: when any feature is refused the file
is left as it was, and every refused feature is listed with its line and reason.

Modes: replace (the default: the layer becomes the file), create (a new layer
only), append (new features; their ids must be new), upsert (update the
features whose id the layer has, add the others; an update changes the
properties the file has and keeps the rest). --dry-run checks and reports
what would change without writing. --title, --description and --attribution
set the layer's texts in every mode (without them a kept layer keeps its own).

To update a database made from an older release's default data, upsert
the data this binary embeds (serve's log names the layers behind):
  khorasan import --db khorasan.gpkg --layer attacks --mode upsert --default
(or the file itself, data/attacks.geojson in the repository). The default data also brings its layer's title and description. Features
the default data does not have (your own) are kept; those it has take its
values.

CSV exports of ACLED, the Global Terrorism Database (ISO-8859-1 is detected)
and UCDP GED are recognised by their header and keep their own columns and
values (ACLED event_date, event_type, actor1, fatalities; GTD iyear/imonth/iday
as date, attacktype1_txt, gname, nkill, claimed; UCDP date_start, best,
type_of_violence, side_a); a new layer gets a profile in the export's
vocabulary, its categories built from the values found. Any other CSV or
GeoJSON with a date column becomes an events layer with a profile guessed
from its columns (see khorasan layer profile). A CSV keeps its columns and
finds latitude/longitude (lat/lon, y/x) by name, or maps them with
--columns, entries separated by commas (or one a line in a file given as
@FILE):
  property=Column       a column's text becomes a property
  property:type=Column  ... as integer, real, text, boolean, date or datetime
  property=#3           the third column
  property='text'       a constant
  lat=Y, lon=X, wkt=Shape, id=Event ID   coordinates, geometry, stable id
  *                     keep every other column; -Column drops one
Values are checked on the way in: coordinates in range, geometries valid (no
self-intersections), dates that parse, and for the attacks layer the
required properties (date, country, attribution, a point).
A missing database file is created empty.`

func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseImport(args, getenv, stderr)
	if err != nil {
		return err
	}
	store, err := openOrCreate(ctx, c.db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := c.defaultInfo(); err != nil {
		return err
	}
	start := time.Now()
	rep, err := c.run(ctx, store, stderr)
	return c.report(rep, err, stdout, stderr, time.Since(start))
}

// importCmd is a khorasan import as its flags ask it.
type importCmd struct {
	db, layer  string
	file       string // as messages name it
	reportPath string
	useDefault bool
	src        ingest.Source
	opt        ingest.ImportOptions
	// The default data of the layer, when the file is it (or --default
	// asks for it).
	isDefault bool
	m         manifestEntry
	doc       []byte
}

func parseImport(args []string, getenv func(string) string, stderr io.Writer) (*importCmd, error) {
	fl := newFlags("import", "--db FILE --layer NAME [--mode M] [flags] FILE", importAbout, stderr)
	dbPath := dbFlag(fl, getenv)
	layer := fl.String("layer", "", "layer name: letters, digits and _ (required)")
	modeName := fl.String("mode", "replace", "create, append, upsert or replace")
	formatName := fl.String("format", "", "geojson, csv or kml (default: from the file name, then its first bytes)")
	title := fl.String("title", "", "human title of the layer (default: the name, or the layer's own)")
	description := fl.String("description", "", "what the layer holds and where it comes from")
	attribution := fl.String("attribution", "", "credit line for the data's sources, shown on maps")
	dryRun := fl.Bool("dry-run", false, "check and report what would change; write nothing")
	skipInvalid := fl.Bool("skip-invalid", false, "write the features that pass and leave out (and list) the refused ones")
	profile := fl.String("profile", "auto", "CSV: auto, acled, gtd, ucdp or generic")
	columns := fl.String("columns", "", "CSV: column mapping (see above), or @FILE")
	encoding := fl.String("encoding", "auto", "CSV: auto, utf-8, latin1 or utf-16")
	delimiter := fl.String("delimiter", "", "CSV: field separator (default: guessed among , ; tab |)")
	dateOrder := fl.String("date-order", "", "read dates such as 02/01/2006 as dmy or mdy")
	idProp := fl.String("id", "", "property or column holding each feature's stable id (default: the format's own)")
	maxErrors := fl.Int("max-errors", 100, "refused features listed (all are counted)")
	reportPath := fl.String("report", "", "also write the report as JSON to this file")
	actor := fl.String("actor", "", "name recorded in the audit log (default: cli:USER)")
	useDefault := fl.Bool("default", false, "import this binary's own default data of --layer instead of a FILE")
	if err := parseFlags(fl, args); err != nil {
		return nil, err
	}
	if *layer == "" {
		return nil, &usageError{"import needs --layer NAME"}
	}
	c := &importCmd{db: *dbPath, layer: *layer, reportPath: *reportPath, useDefault: *useDefault}
	switch {
	case *useDefault && fl.NArg() != 0:
		return nil, &usageError{"import --default takes no file: it imports the embedded default data of --layer"}
	case !*useDefault && fl.NArg() != 1:
		return nil, &usageError{"import needs exactly one file (or --default)"}
	case !*useDefault:
		c.file = fl.Arg(0)
	}
	if err := gpkg.CheckLayerName(*layer); err != nil {
		return nil, &usageError{err.Error()}
	}
	mode, err := ingest.ParseMode(*modeName)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	format, err := ingest.ParseFormat(*formatName)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	if err := c.openSource(); err != nil {
		return nil, err
	}
	c.src.Format, c.src.IDProperty = format, *idProp
	if c.src.CSV, err = csvOptions(*profile, *encoding, *dateOrder, *delimiter, *columns); err != nil {
		return nil, err
	}
	if *actor == "" {
		*actor = "cli:" + userName()
	}
	c.opt = ingest.ImportOptions{
		Layer: geo.LayerInfo{Name: *layer, Title: *title, Description: *description, Attribution: *attribution},
		Mode:  mode, DryRun: *dryRun, SkipInvalid: *skipInvalid, Actor: *actor, MaxErrors: *maxErrors,
	}
	return c, nil
}

// openSource finds the input: the file, or with --default the layer's
// embedded default data.
func (c *importCmd) openSource() error {
	if !c.useDefault {
		var err error
		c.src, err = ingest.FileSource(c.file)
		return err
	}
	m, doc, isDefault, err := embeddedDefault(data.FS, c.layer)
	if err != nil {
		return err
	}
	if !isDefault {
		return &usageError{fmt.Sprintf("--default: layer %q has no default data; the default layers are %s", c.layer, strings.Join(defaultLayerNames(data.FS), ", "))}
	}
	c.m, c.doc, c.isDefault = m, doc, true
	c.file = m.File + " (embedded)"
	c.src = ingest.Source{Name: m.File, Size: int64(len(doc)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(doc)), nil
	}}
	return nil
}

// csvOptions reads the CSV flags.
func csvOptions(profile, encoding, dateOrder, delimiter, columns string) (csv.Options, error) {
	o := csv.Options{Profile: profile, Encoding: encoding, DateOrder: dateOrder}
	if delimiter != "" {
		d := []rune(strings.ReplaceAll(delimiter, `\t`, "\t"))
		if len(d) != 1 {
			return o, &usageError{"--delimiter must be one character"}
		}
		o.Delimiter = d[0]
	}
	if columns == "" {
		return o, nil
	}
	spec := columns
	if strings.HasPrefix(spec, "@") {
		b, err := os.ReadFile(spec[1:])
		if err != nil {
			return o, err
		}
		spec = string(b)
	}
	cm, err := csv.ParseColumnMap(spec)
	if err != nil {
		return o, &usageError{err.Error()}
	}
	o.Columns = cm
	return o, nil
}

// defaultInfo: the default data's own file (data/<layer>.geojson of this
// release) also brings its title, description and version, so a database
// made from an older release is current after an upsert of it.
func (c *importCmd) defaultInfo() error {
	if !c.useDefault {
		var err error
		if c.m, c.doc, c.isDefault, err = defaultFor(data.FS, c.layer, c.file); err != nil {
			return err
		}
	}
	if !c.isDefault {
		return nil
	}
	info, err := c.m.layerInfo(c.doc)
	if err != nil {
		return err
	}
	l := &c.opt.Layer
	l.Version, l.Updated = info.Version, info.Updated
	l.Title = cmp.Or(l.Title, info.Title)
	l.Description = cmp.Or(l.Description, info.Description)
	l.Attribution = cmp.Or(l.Attribution, info.Attribution)
	return nil
}

// run imports, drawing a progress line on a terminal.
func (c *importCmd) run(ctx context.Context, store store, stderr io.Writer) (*ingest.Report, error) {
	bar := newLineBar(stderr)
	if bar.on {
		c.opt.Progress = func(p ingest.Progress) { bar.line(importProgress(p)) }
	}
	rep, err := store.Import(ctx, c.src, c.opt)
	bar.done()
	return rep, err
}

// report writes the report file (when asked), lists the refused
// features and says what the import did.
func (c *importCmd) report(rep *ingest.Report, err error, stdout, stderr io.Writer, took time.Duration) error {
	if rep != nil && c.reportPath != "" {
		if b, jerr := json.MarshalIndent(rep, "", "  "); jerr == nil {
			os.WriteFile(c.reportPath, append(b, '\n'), 0o644)
		}
	}
	if rep != nil && len(rep.Errors) > 0 {
		for _, e := range rep.Errors {
			fmt.Fprintf(stderr, "%s: %s\n", c.file, e)
		}
		if rep.Rejected > int64(len(rep.Errors)) {
			fmt.Fprintf(stderr, "%s: ... and %d more refused\n", c.file, rep.Rejected-int64(len(rep.Errors)))
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.file, err)
	}
	printReport(stdout, rep, c.file, c.db, took)
	if c.isDefault && !rep.DryRun {
		fmt.Fprintf(stdout, "  %s is this release's default data of layer %q: its title (%s), description and version were recorded\n", c.file, c.layer, c.opt.Layer.Title)
	}
	return nil
}

// printReport says what an import did.
func printReport(w io.Writer, rep *ingest.Report, file, db string, took time.Duration) {
	verb := "imported"
	if rep.DryRun {
		verb = "dry run, nothing written: would import"
	}
	what := fmt.Sprintf("%d features", rep.Inserted)
	if rep.Mode == ingest.ModeUpsert {
		what = fmt.Sprintf("%d features (%d new, %d updated, %d unchanged)", rep.Inserted+rep.Updated+rep.Unchanged, rep.Inserted, rep.Updated, rep.Unchanged)
	}
	fmt.Fprintf(w, "%s %s from %s into layer %q of %s (%s", verb, what, file, rep.Layer, db, rep.Mode)
	if rep.Profile != "" && rep.Profile != "generic" {
		fmt.Fprintf(w, ", %s export", strings.ToUpper(rep.Profile))
	}
	fmt.Fprintf(w, ", %.1fs)\n", took.Seconds())
	if rep.Created {
		fmt.Fprintf(w, "  new layer %q\n", rep.Layer)
	}
	if rep.Deleted > 0 {
		fmt.Fprintf(w, "  replaced: %d features of the old layer removed\n", rep.Deleted)
	}
	for _, c := range rep.NewColumns {
		fmt.Fprintf(w, "  new column %s (%s)\n", c.Name, c.Type)
	}
	if rep.Rejected > 0 {
		fmt.Fprintf(w, "  %d features refused and left out (listed above)\n", rep.Rejected)
	}
	if p := rep.LayerProfile; p != nil {
		fmt.Fprintf(w, "  profile: %s\n", describeProfile(*p))
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "  note: %s\n", warn)
	}
}

func importProgress(p ingest.Progress) string {
	phase := "checking"
	if p.Phase == "write" {
		phase = "writing "
	}
	if p.Total > 0 {
		frac := min(1, float64(p.Bytes)/float64(p.Total))
		fill := int(frac * 30)
		return fmt.Sprintf("%s [%s%s] %3.0f%%  %d features", phase, strings.Repeat("#", fill), strings.Repeat(".", 30-fill), frac*100, p.Records)
	}
	return fmt.Sprintf("%s %d features", phase, p.Records)
}

// lineBar redraws one status line on stderr when stderr is a terminal,
// and prints nothing otherwise (logs and pipes get no control characters).
type lineBar struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newLineBar(stderr io.Writer) *lineBar {
	f, ok := stderr.(*os.File)
	if !ok {
		return &lineBar{}
	}
	fi, err := f.Stat()
	return &lineBar{w: f, on: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (b *lineBar) line(s string) {
	if !b.on || time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	fmt.Fprint(b.w, "\r"+s+"\x1b[K")
}

func (b *lineBar) done() {
	if b.on && !b.last.IsZero() {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}

func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

// openOrCreate opens the database an import writes to, making a new
// GeoPackage when the file does not exist.
func openOrCreate(ctx context.Context, db string) (store, error) {
	there, err := exists(db)
	if err != nil {
		return nil, err
	}
	if !there {
		return createStore(ctx, db)
	}
	return openStore(ctx, db)
}

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("export", "--db FILE --layer NAME [--format geojson|csv|kml|gpkg] [--out FILE]",
		"Write a layer as a GeoJSON FeatureCollection, as CSV (id, longitude and latitude\nfor points or WKT for other geometries, then the properties), as KML, or as a\nGeoPackage of its own (gpkg, which needs --out).", stderr)
	dbPath, dbRead := dbFlags(fl, getenv)
	layer := fl.String("layer", "", "layer to export (required)")
	format := fl.String("format", "geojson", "geojson, csv, kml or gpkg")
	out := fl.String("out", "", "output file (default: standard output)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *layer == "" {
		return &usageError{"export needs --layer NAME"}
	}
	switch *format {
	case "geojson", "csv", "kml":
	case "gpkg":
		if *out == "" {
			return &usageError{"--format gpkg needs --out FILE.gpkg"}
		}
	default:
		return &usageError{fmt.Sprintf("--format %q: use geojson, csv, kml or gpkg", *format)}
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("export takes no arguments, got %q", fl.Args())}
	}
	store, err := openStore(ctx, *dbPath, readFrom(*dbRead))
	if err != nil {
		return err
	}
	defer store.Close()
	l, err := store.Layer(ctx, *layer)
	if err != nil {
		return err
	}
	if *format == "gpkg" {
		return store.ExportLayer(ctx, *layer, *out)
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
	switch *format {
	case "csv":
		err = exportCSV(ctx, store, l, bw)
	case "kml":
		kw := kml.NewWriter(l.Title, l.Schema)
		if err = store.Features(ctx, l.Name, geo.Query{}, kw.Write); err == nil {
			err = kw.Flush(bw)
		}
	default:
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

func exportGeoJSON(ctx context.Context, store store, l geo.Layer, w *bufio.Writer) error {
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
		buf, err = geojson.AppendFeature(buf[:0], f, l.Schema)
		w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("\n]}\n")
	return err
}

func exportCSV(ctx context.Context, store store, l geo.Layer, w io.Writer) error {
	cw, err := csv.NewWriter(w, l.Schema)
	if err != nil {
		return err
	}
	if err := store.Features(ctx, l.Name, geo.Query{}, cw.Write); err != nil {
		return err
	}
	return cw.Flush()
}
