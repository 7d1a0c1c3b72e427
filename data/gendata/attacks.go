package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// attack is one row of attacks.csv, typed.
type attack struct {
	ID      string
	Point   orb.Point // [lon, lat]
	Date    string
	City    string
	Country string
	ISO3    string
	Props   props // every column but id, lat and lon, in CSV order
}

// columnKind is how a column of attacks.csv is typed in the output.
// Columns not named by attackColumnKind are strings; every empty cell
// becomes JSON null.
type columnKind int

const (
	kindString columnKind = iota
	kindDate
	kindInt
)

func attackColumnKind(name string) columnKind {
	switch name {
	case "date", "end_date":
		return kindDate
	case "killed", "killed_low", "killed_high", "wounded":
		return kindInt
	}
	return kindString
}

// attackRequired are the columns every row must fill.
func attackRequired() []string {
	return []string{"id", "date", "name", "city", "country", "iso3", "lat", "lon", "attribution", "source_url"}
}

// allowedValues are the documented vocabularies (facts/README.md).
func allowedValues(column string) []string {
	switch column {
	case "attribution":
		return []string{"claimed", "attributed", "disputed"}
	case "precision":
		return []string{"site", "neighbourhood", "city", "district"}
	}
	return nil
}

// weakAttribution is how the facts' notes flag a weak attribution.
const weakAttribution = "ATTRIBUTION WEAK"

// parseAttacks reads and validates attacks.csv. Any bad cell is an error
// naming the row and column: the data must not be guessed.
func parseAttacks(r io.Reader) ([]attack, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("attacks.csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("attacks.csv: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, c := range attackRequired() {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("attacks.csv: missing column %q", c)
		}
	}
	var out []attack
	ids := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("attacks.csv: %w", err)
		}
		a, err := parseAttackRow(header, col, rec)
		if err != nil {
			return nil, fmt.Errorf("attacks.csv line %d: %w", line, err)
		}
		if prev, dup := ids[a.ID]; dup {
			return nil, fmt.Errorf("attacks.csv line %d: id %q already used on line %d", line, a.ID, prev)
		}
		ids[a.ID] = line
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("attacks.csv: no rows")
	}
	return out, nil
}

func parseAttackRow(header []string, col map[string]int, rec []string) (attack, error) {
	cell := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
	for _, c := range attackRequired() {
		if cell(c) == "" {
			return attack{}, fmt.Errorf("column %s is empty", c)
		}
	}
	a := attack{ID: cell("id"), Date: cell("date"), City: cell("city"), Country: cell("country"), ISO3: cell("iso3")}
	lat, err := parseCoord(cell("lat"), 90)
	if err != nil {
		return attack{}, fmt.Errorf("id %s: lat: %w", a.ID, err)
	}
	lon, err := parseCoord(cell("lon"), 180)
	if err != nil {
		return attack{}, fmt.Errorf("id %s: lon: %w", a.ID, err)
	}
	a.Point = orb.Point{lon, lat}

	ints := map[string]int64{}
	dates := map[string]time.Time{}
	for i, name := range header {
		if name == "id" || name == "lat" || name == "lon" {
			continue
		}
		raw := strings.TrimSpace(rec[i])
		if raw == "" {
			a.Props = append(a.Props, prop{name, nil})
			continue
		}
		if allowed := allowedValues(name); allowed != nil && !slices.Contains(allowed, raw) {
			return attack{}, fmt.Errorf("id %s: %s is %q, want one of %s", a.ID, name, raw, strings.Join(allowed, ", "))
		}
		switch attackColumnKind(name) {
		case kindDate:
			t, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				return attack{}, fmt.Errorf("id %s: %s %q is not a YYYY-MM-DD date", a.ID, name, raw)
			}
			dates[name] = t
			a.Props = append(a.Props, prop{name, raw})
		case kindInt:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n < 0 {
				return attack{}, fmt.Errorf("id %s: %s %q is not a non-negative integer", a.ID, name, raw)
			}
			ints[name] = n
			a.Props = append(a.Props, prop{name, n})
		default:
			a.Props = append(a.Props, prop{name, raw})
		}
	}
	// The facts mark an attribution resting on thin evidence in the notes;
	// such a row must not claim more than "attributed".
	if i, ok := col["notes"]; ok && strings.Contains(rec[i], weakAttribution) && cell("attribution") != "attributed" {
		return attack{}, fmt.Errorf("id %s: notes say %s, but attribution is %q, want attributed", a.ID, weakAttribution, cell("attribution"))
	}
	if end, ok := dates["end_date"]; ok && end.Before(dates["date"]) {
		return attack{}, fmt.Errorf("id %s: end_date is before date", a.ID)
	}
	k, okK := ints["killed"]
	lo, okLo := ints["killed_low"]
	hi, okHi := ints["killed_high"]
	if okLo && okHi && lo > hi {
		return attack{}, fmt.Errorf("id %s: killed_low %d > killed_high %d", a.ID, lo, hi)
	}
	if okK && ((okLo && k < lo) || (okHi && k > hi)) {
		return attack{}, fmt.Errorf("id %s: killed %d is outside killed_low..killed_high", a.ID, k)
	}
	return a, nil
}

// parseCoord parses a degree value and checks it lies within ±limit.
func parseCoord(s string, limit float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v != v || v < -limit || v > limit {
		return 0, fmt.Errorf("%v is outside [-%v, %v]", v, limit, limit)
	}
	return v, nil
}

func attackFeatures(attacks []attack) []feature {
	out := make([]feature, len(attacks))
	for i, a := range attacks {
		out[i] = newFeature(a.ID, a.Point, a.Props)
	}
	return out
}
