package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// isoCodes is the ISO 3166-1 table of the npm package i18n-iso-countries
// (codes.json: rows of [alpha-2, alpha-3, numeric, ISO 3166-2 id]).
type isoCodes struct {
	numericToAlpha3 map[string]string
	alpha3ToAlpha2  map[string]string
}

func parseISOCodes(data []byte) (isoCodes, error) {
	var rows [][]string
	if err := json.Unmarshal(data, &rows); err != nil {
		return isoCodes{}, fmt.Errorf("codes.json: %w", err)
	}
	c := isoCodes{numericToAlpha3: map[string]string{}, alpha3ToAlpha2: map[string]string{}}
	for i, r := range rows {
		if len(r) < 3 || len(r[0]) != 2 || len(r[1]) != 3 || len(r[2]) != 3 {
			return isoCodes{}, fmt.Errorf("codes.json: row %d is %q, want [alpha-2, alpha-3, numeric, ...]", i, r)
		}
		c.numericToAlpha3[r[2]] = r[1]
		c.alpha3ToAlpha2[r[1]] = r[0]
	}
	if len(c.numericToAlpha3) == 0 {
		return isoCodes{}, fmt.Errorf("codes.json: no rows")
	}
	return c, nil
}

// countryLangs are the languages of the countries' other names, the
// basemap's label languages besides English: name_ru, name_fa, name_ps
// and name_ur, from i18n-iso-countries' langs/LANG.json.
var countryLangs = []string{"ru", "fa", "ps", "ur"}

// countryNames is language → alpha-2 → name.
type countryNames map[string]map[string]string

// parseCountryNames reads a locale file of i18n-iso-countries
// (langs/ru.json: {"locale": "ru", "countries": {alpha-2: name or [names]}})
// (or fa.json, ...) into alpha-2 → name. Of several names the shortest is
// taken, as a map labels a country ("Россия", not "Российская Федерация").
func parseCountryNames(data []byte, locale string) (map[string]string, error) {
	var f struct {
		Locale    string                     `json:"locale"`
		Countries map[string]json.RawMessage `json:"countries"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("langs/%s.json: %w", locale, err)
	}
	if f.Locale != locale || len(f.Countries) == 0 {
		return nil, fmt.Errorf("langs/%s.json: locale %q with %d countries, want %s", locale, f.Locale, len(f.Countries), locale)
	}
	out := map[string]string{}
	for code, raw := range f.Countries {
		var names []string
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			names = []string{one}
		} else if err := json.Unmarshal(raw, &names); err != nil {
			return nil, fmt.Errorf("langs/%s.json: %s: want a name or a list of names", locale, code)
		}
		best := ""
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n != "" && (best == "" || len([]rune(n)) < len([]rune(best))) {
				best = n
			}
		}
		if best == "" {
			return nil, fmt.Errorf("langs/%s.json: %s has no name", locale, code)
		}
		out[code] = best
	}
	return out, nil
}

// borderStats says what buildBorders did, for the log and SOURCES.md.
type borderStats struct {
	fine, coarse  int      // features at each scale
	droppedRings  int      // degenerate rings (or polygons) left out after rounding
	droppedIn     []string // the countries they belonged to
	withoutISO    []string
	withoutNames  []string // countries with no name in the other languages
	sharedISO     []string // "036: Ashmore and Cartier Is., Australia"
	skippedNoGeom []string
}

// countryFeatures decodes the "countries" object of a world-atlas topology
// and returns the features whose name passes keep.
func countryFeatures(t *topology, scale string, keep func(name string) bool, iso isoCodes, names countryNames, decimals int, st *borderStats) ([]feature, map[string]bool, error) {
	obj, ok := t.Objects["countries"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: topology has no \"countries\" object", scale)
	}
	if obj.Type != "GeometryCollection" {
		return nil, nil, fmt.Errorf("%s: countries is a %s, want GeometryCollection", scale, obj.Type)
	}
	arcs, err := decodeArcs(t)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", scale, err)
	}
	seen := map[string]bool{}
	var out []feature
	for _, g := range obj.Geometries {
		name, _ := g.Properties["name"].(string)
		if name == "" {
			return nil, nil, fmt.Errorf("%s: a country has no name", scale)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("%s: country name %q appears twice", scale, name)
		}
		seen[name] = true
		if !keep(name) {
			continue
		}
		if g.Type == "" || len(g.Arcs) == 0 {
			st.skippedNoGeom = append(st.skippedNoGeom, name+" ("+scale+")")
			continue
		}
		geom, err := g.geometry(arcs)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", scale, name, err)
		}
		geom, dropped, err := cleanGeometry(geom, decimals)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", scale, name, err)
		}
		if dropped > 0 {
			st.droppedRings += dropped
			st.droppedIn = append(st.droppedIn, fmt.Sprintf("%s (%s, %d)", name, scale, dropped))
		}
		if geom == nil {
			st.skippedNoGeom = append(st.skippedNoGeom, name+" ("+scale+")")
			continue
		}
		id, hasID, err := g.idString()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", scale, name, err)
		}
		var isoN3, isoA3 any // JSON null unless known
		if hasID {
			isoN3 = id
			if a3, ok := iso.numericToAlpha3[id]; ok {
				isoA3 = a3
			}
		}
		if isoA3 == nil {
			st.withoutISO = append(st.withoutISO, name)
		}
		ps := props{{"name", name}}
		known := false
		for _, lang := range countryLangs {
			var n any // JSON null unless known
			if a3, ok := isoA3.(string); ok {
				if s, ok := names[lang][iso.alpha3ToAlpha2[a3]]; ok {
					n, known = s, true
				}
			}
			ps = append(ps, prop{"name_" + lang, n})
		}
		if !known {
			st.withoutNames = append(st.withoutNames, name)
		}
		out = append(out, newFeature("", geom, append(ps, props{
			{"iso_n3", isoN3},
			{"iso_a3", isoA3},
			{"scale", scale},
		}...)))
	}
	return out, seen, nil
}

// buildBorders takes the region's countries from the fine (1:10m) topology
// and every other country from the coarse (1:50m) one, sorted by name.
func buildBorders(fine, coarse *topology, region []string, iso isoCodes, names countryNames, decimals int, log io.Writer) ([]feature, borderStats, error) {
	var st borderStats
	inRegion := func(name string) bool { return slices.Contains(region, name) }
	fineFeatures, fineNames, err := countryFeatures(fine, "10m", inRegion, iso, names, decimals, &st)
	if err != nil {
		return nil, st, err
	}
	for _, name := range region {
		if !fineNames[name] {
			return nil, st, fmt.Errorf("region country %q is not in countries-10m.json", name)
		}
	}
	coarseFeatures, _, err := countryFeatures(coarse, "50m", func(name string) bool { return !inRegion(name) }, iso, names, decimals, &st)
	if err != nil {
		return nil, st, err
	}
	st.fine, st.coarse = len(fineFeatures), len(coarseFeatures)
	all := append(fineFeatures, coarseFeatures...)
	slices.SortStableFunc(all, func(a, b feature) int {
		return strings.Compare(a.Properties.get("name").(string), b.Properties.get("name").(string))
	})
	slices.Sort(st.withoutISO)
	slices.Sort(st.withoutNames)
	byCode := map[string][]string{}
	for _, f := range all {
		if code, ok := f.Properties.get("iso_n3").(string); ok {
			byCode[code] = append(byCode[code], f.Properties.get("name").(string))
		}
	}
	for code, names := range byCode {
		if len(names) > 1 {
			st.sharedISO = append(st.sharedISO, code+": "+strings.Join(names, ", "))
		}
	}
	slices.Sort(st.sharedISO)
	fmt.Fprintf(log, "borders: %d countries at 1:10m, %d at 1:50m; %d degenerate rings dropped (%s); no ISO code: %s\n",
		st.fine, st.coarse, st.droppedRings, strings.Join(st.droppedIn, ", "), strings.Join(st.withoutISO, ", "))
	if len(st.skippedNoGeom) > 0 {
		fmt.Fprintf(log, "borders: no geometry left, skipped: %s\n", strings.Join(st.skippedNoGeom, ", "))
	}
	return all, st, nil
}
