package ingest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
)

// The profile an import leaves with the layer. A layer made or replaced
// from an ACLED, GTD or UCDP export gets the export's profile (geo/csv),
// its categories filled with the values found; from another source, the
// layer's stored profile when it still fits, else none when the dataset
// describes the layer, else one guessed from the columns and values (an
// events layer when there is a date column). An append or upsert adds the
// new values of the stored profile's open categories.

// maxValues caps the distinct values kept per property: a property with
// more is no category worth a legend (an export's named one keeps the
// first maxValues found).
const maxValues = 200

// maxGuessedValues is the most values a guessed category has, and
// maxGuessed the most guessed categories.
const (
	maxGuessedValues = 12
	maxGuessed       = 4
)

// palette colours the values of the first category of a profile an import
// makes, in the order of their counts (Tableau 10).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// valueStats counts the distinct values of each property in the first
// pass, up to maxValues.
type valueStats struct {
	rows   int64
	counts map[string]map[string]int64
	over   map[string]bool // more values than maxValues, or too long
}

func newValueStats() *valueStats {
	return &valueStats{counts: map[string]map[string]int64{}, over: map[string]bool{}}
}

func (s *valueStats) observe(name string, v any) {
	if v == nil || s.over[name] {
		return
	}
	switch v.(type) {
	case geo.Cell, string, int64, bool:
	default:
		s.over[name] = true // reals, structured values: no categories
		delete(s.counts, name)
		return
	}
	t := strings.TrimSpace(geo.ValueText(v))
	if t == "" {
		return
	}
	m := s.counts[name]
	if m == nil {
		m = map[string]int64{}
		s.counts[name] = m
	}
	if _, ok := m[t]; !ok && (len(m) >= maxValues || len(t) > 200) {
		s.over[name] = true
		delete(s.counts, name)
		return
	}
	m[t]++
}

// values are a property's values, the most frequent first; ok is false
// when it had too many to count.
func (s *valueStats) values(name string) (vals []string, ok bool) {
	m := s.counts[name]
	vals = slices.Collect(maps.Keys(m))
	slices.SortFunc(vals, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	return vals, !s.over[name]
}

// decideProfile sets the profile the import leaves with the layer
// (opt.Layer.Profile for a new or replaced layer; p.keptProfile for a
// kept one) and reports it.
func (p *plan) decideProfile() error {
	if p.seed {
		return nil
	}
	if given := p.opt.Layer.Profile; given != nil {
		if err := given.Validate(p.schema); err != nil {
			return err
		}
		p.rep.LayerProfile = given
		return nil
	}
	if p.base != nil {
		if stored := p.base.StoredProfile; stored != nil {
			if grown, ok := extendValues(*stored, p.stats); ok {
				p.keptProfile = &grown
				p.rep.LayerProfile = &grown
			}
		}
		return nil
	}
	var prof *geo.Profile
	switch {
	case p.export != nil:
		prof = p.fill(*p.export)
	case p.existing != nil && p.existing.StoredProfile != nil && p.existing.StoredProfile.Validate(p.schema) == nil:
		kept := *p.existing.StoredProfile
		prof = &kept
	case p.described != nil:
	default:
		prof = guessProfile(p.schema, p.stats)
	}
	p.opt.Layer.Profile = prof
	p.rep.LayerProfile = prof
	return nil
}

// fill makes an export's profile fit the layer: what the file lacks is
// left out, and the categories get the values found, the first coloured.
func (p *plan) fill(ep geo.Profile) *geo.Profile {
	s := p.schema
	has := func(name string) bool {
		_, ok := s.Column(name)
		return ok
	}
	numeric := func(name string) bool {
		c, ok := s.Column(name)
		return ok && (c.Type == geo.Integer || c.Type == geo.Real)
	}
	keep := func(names []string, ok func(string) bool) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !ok(n) })
	}
	blank := func(name string, ok func(string) bool) string {
		if name != "" && !ok(name) {
			return ""
		}
		return name
	}
	ep.EndTime = blank(ep.EndTime, has)
	ep.Magnitude, ep.MagnitudeLow, ep.MagnitudeHigh = blank(ep.Magnitude, numeric), blank(ep.MagnitudeLow, numeric), blank(ep.MagnitudeHigh, numeric)
	ep.Counts = keep(ep.Counts, numeric)
	ep.Popup = keep(ep.Popup, has)
	ep.Label, ep.Source = blank(ep.Label, has), blank(ep.Source, has)
	var cats []geo.Category
	for _, c := range ep.Categories {
		if !has(c.Property) {
			continue
		}
		vals, _ := p.stats.values(c.Property)
		cats = append(cats, category(c, vals, len(cats) == 0))
	}
	ep.Categories = cats
	if !has(ep.Time) {
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("the export has no %s column, so the layer gets no profile", ep.Time))
		return nil
	}
	if err := ep.Validate(s); err != nil {
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("the export's profile does not fit the layer (%v), so it gets none", err))
		return nil
	}
	return &ep
}

// category is c with the values found, open; its labels are kept for
// those values, and the first category's values get colours.
func category(c geo.Category, vals []string, coloured bool) geo.Category {
	c.Values, c.Open = vals, true
	labels := map[string]string{}
	for _, v := range vals {
		if l, ok := c.Labels[v]; ok {
			labels[v] = l
		}
	}
	c.Labels = nil
	if len(labels) > 0 {
		c.Labels = labels
	}
	if coloured && len(vals) > 0 {
		c.Colors = map[string]string{}
		for i, v := range vals[:min(len(vals), len(palette))] {
			c.Colors[v] = palette[i]
		}
	}
	return c
}

// extendValues adds to the open categories of a stored profile the values
// an append or upsert brought; ok says it changed.
func extendValues(stored geo.Profile, stats *valueStats) (geo.Profile, bool) {
	grown := stored.Clone()
	changed := false
	for i, c := range grown.Categories {
		if !c.Open {
			continue
		}
		vals, _ := stats.values(c.Property)
		for _, v := range vals {
			if !slices.Contains(c.Values, v) && len(c.Values) < maxValues {
				grown.Categories[i].Values = append(grown.Categories[i].Values, v)
				changed = true
			}
		}
	}
	return grown, changed
}

// Names that columns of a guessed profile's fields go by, lower case.
var (
	magnitudeNames = []string{"killed", "fatalities", "deaths", "casualties", "dead", "nkill", "killed_total", "total_killed", "victims"}
	labelNames     = []string{"name", "title", "label", "location", "place", "city", "town", "village", "site"}
	sourceNames    = []string{"source_url", "source", "sources", "url", "link", "reference"}
)

// guessProfile is the profile of a layer the dataset does not describe,
// read from its columns and values: an events layer when it has a date
// column, with a magnitude named like killed or fatalities and
// categories of the text columns with few distinct values; nil when it
// has no date column.
func guessProfile(s geo.Schema, stats *valueStats) *geo.Profile {
	var dates []geo.Column
	for _, c := range s.Columns {
		if c.Type == geo.Date || c.Type == geo.DateTime {
			dates = append(dates, c)
		}
	}
	if len(dates) == 0 {
		return nil
	}
	isEnd := func(c geo.Column) bool { return strings.Contains(strings.ToLower(c.Name), "end") }
	p := geo.Profile{Kind: geo.KindEvents, Time: dates[0].Name}
	if i := slices.IndexFunc(dates, func(c geo.Column) bool { return !isEnd(c) }); i >= 0 {
		p.Time = dates[i].Name
	}
	if i := slices.IndexFunc(dates, func(c geo.Column) bool { return isEnd(c) && c.Name != p.Time }); i >= 0 {
		p.EndTime = dates[i].Name
	}
	named := func(names []string, ok func(geo.Column) bool) string {
		for _, n := range names {
			for _, c := range s.Columns {
				if strings.EqualFold(c.Name, n) && ok(c) {
					return c.Name
				}
			}
		}
		return ""
	}
	numeric := func(c geo.Column) bool { return c.Type == geo.Integer || c.Type == geo.Real }
	text := func(c geo.Column) bool { return c.Type == geo.Text }
	p.Magnitude = named(magnitudeNames, numeric)
	if p.Magnitude == "" {
		// killed_civilians, Deaths (best), ...
		for _, c := range s.Columns {
			l := strings.ToLower(c.Name)
			if numeric(c) && slices.ContainsFunc(magnitudeNames[:4], func(n string) bool { return strings.Contains(l, n) }) {
				p.Magnitude = c.Name
				break
			}
		}
	}
	p.Label = named(labelNames, text)
	p.Source = named(sourceNames, text)
	for _, c := range s.Columns {
		if len(p.Categories) == maxGuessed {
			break
		}
		if !text(c) || c.Name == p.Label || c.Name == p.Source {
			continue
		}
		vals, ok := stats.values(c.Name)
		if !ok || len(vals) < 2 || len(vals) > maxGuessedValues || int64(len(vals)) >= stats.rows {
			continue
		}
		p.Categories = append(p.Categories, category(geo.Category{Property: c.Name}, vals, len(p.Categories) == 0))
	}
	if p.Validate(s) != nil {
		return nil
	}
	return &p
}

// exportProfile is the profile of the CSV export the reader recognised,
// if any.
func exportProfile(export string) *geo.Profile {
	if p, ok := csv.ExportProfile(export); ok {
		return &p
	}
	return nil
}
