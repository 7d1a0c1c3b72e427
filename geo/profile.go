package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A layer's profile says what it is (events, areas, places, reference)
// and which of its properties carry the time, the magnitude and the
// categories, so that engines read it instead of deciding by a layer's
// or a property's name. The default data's profiles are data/profiles.json.

// Kind is what a layer holds.
type Kind string

// Layer kinds. A layer without a profile is KindGeneric.
const (
	KindGeneric   Kind = "generic"
	KindReference Kind = "reference" // outlines under everything (country borders)
	KindAreas     Kind = "areas"     // regions drawn as outlined shapes
	KindEvents    Kind = "events"    // dated points with a magnitude (attacks)
	KindPlaces    Kind = "places"    // named points (cities)
)

// Profile describes a layer; its rules (Check) hold on every write.
type Profile struct {
	Kind Kind `json:"kind"`
	// Noun names one feature in messages, with its article ("an attack").
	Noun string `json:"noun,omitempty"`
	// Geometry, when set, is the geometry type every feature must have.
	Geometry string `json:"geometry,omitempty"`
	// Required are the properties every feature must fill.
	Required []string `json:"required,omitempty"`
	// Time and EndTime hold each feature's date (YYYY-MM-DD) and its
	// last day; a date may not lie in the future, nor EndTime before Time.
	Time    string `json:"time,omitempty"`
	EndTime string `json:"endTime,omitempty"`
	// Magnitude is the number that sizes a marker and orders points when
	// tiles thin them; MagnitudeLow and MagnitudeHigh bound it.
	Magnitude     string `json:"magnitude,omitempty"`
	MagnitudeLow  string `json:"magnitudeLow,omitempty"`
	MagnitudeHigh string `json:"magnitudeHigh,omitempty"`
	// Counts are properties that hold whole numbers of zero or more.
	Counts []string `json:"counts,omitempty"`
	// Categories are properties with a closed vocabulary; the first
	// colours the markers (static/style.json has a style per value).
	Categories []Category `json:"categories,omitempty"`
	// Label is the property that names a feature on the map.
	Label string `json:"label,omitempty"`
	// Popup are the properties a feature's popup shows, in order; none
	// shows them all.
	Popup []string `json:"popup,omitempty"`
	// Source is the property that cites where a feature comes from.
	Source string `json:"source,omitempty"`
}

// Category is a property whose values come from a list.
type Category struct {
	Property string `json:"property"`
	// Title names the property in legends and filters.
	Title  string   `json:"title,omitempty"`
	Values []string `json:"values"`
	// Labels and Colors name and colour values (CSS #rgb or #rrggbb);
	// a value without one shows as itself, in the map's default colour.
	Labels map[string]string `json:"labels,omitempty"`
	Colors map[string]string `json:"colors,omitempty"`
	// Open says Values are those known, not a rule: a feature may carry
	// another value (an import's categories, built from what it found).
	Open bool `json:"open,omitempty"`
}

// Dataset is the description of a set of layers: a profile per layer
// and which layers the basemap draws from.
type Dataset struct {
	// Basemap names the layers the offline basemap draws: country
	// outlines and names (Borders), city labels (Cities).
	Basemap struct {
		Borders string `json:"borders"`
		Cities  string `json:"cities"`
	} `json:"basemap"`
	// Magnitude is the magnitude of a layer that has no profile, used
	// when the layer has a numeric column of that name.
	Magnitude string `json:"magnitude,omitempty"`
	// Layers are the profiles by layer name.
	Layers map[string]Profile `json:"layers"`
}

// ParseDataset reads a dataset description (data/profiles.json) and
// checks that it is whole.
func ParseDataset(b []byte) (*Dataset, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d struct {
		Comment string `json:"comment"`
		Dataset
	}
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("dataset description: %w", err)
	}
	ds := &d.Dataset
	for name, p := range ds.Layers {
		switch p.Kind {
		case "":
			p.Kind = KindGeneric
			ds.Layers[name] = p
		case KindGeneric, KindReference, KindAreas, KindEvents, KindPlaces:
		default:
			return nil, fmt.Errorf("dataset description: layer %q: kind %q is not reference, areas, events, places or generic", name, p.Kind)
		}
		if p.Kind == KindEvents && p.Time == "" {
			return nil, fmt.Errorf("dataset description: layer %q: events need a time property", name)
		}
		for _, c := range p.Categories {
			if c.Property == "" || len(c.Values) == 0 {
				return nil, fmt.Errorf("dataset description: layer %q: a category needs a property and its values", name)
			}
		}
		if err := p.checkValues(); err != nil {
			return nil, fmt.Errorf("dataset description: layer %q: %w", name, err)
		}
	}
	return ds, nil
}

// Profile is the profile of a layer; a layer the dataset does not
// describe gets a generic one (ok false).
func (d *Dataset) Profile(layer string) (p Profile, ok bool) {
	if d != nil {
		if p, ok = d.Layers[layer]; ok {
			return p, true
		}
	}
	return Profile{Kind: KindGeneric}, false
}

// LayersOf are the names of the described layers of a kind, sorted.
func (d *Dataset) LayersOf(k Kind) []string {
	if d == nil {
		return nil
	}
	var names []string
	for name, p := range d.Layers {
		if p.Kind == k {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// ProfileOf is the profile of a layer with schema s: the one described,
// else a generic one whose magnitude is the dataset's default when s has
// a numeric column of that name.
func (d *Dataset) ProfileOf(layer string, s Schema) Profile {
	p, ok := d.Profile(layer)
	if ok || d == nil || d.Magnitude == "" {
		return p
	}
	if c, ok := s.Column(d.Magnitude); ok && (c.Type == Integer || c.Type == Real) {
		p.Magnitude = d.Magnitude
	}
	return p
}

// Category is the profile's category of a property, if it has one.
func (p Profile) Category(property string) (Category, bool) {
	for _, c := range p.Categories {
		if c.Property == property {
			return c, true
		}
	}
	return Category{}, false
}

// HasRules says whether Check can refuse anything.
func (p Profile) HasRules() bool {
	closed := slices.ContainsFunc(p.Categories, func(c Category) bool { return !c.Open })
	return p.Geometry != "" || len(p.Required) > 0 || p.Time != "" || p.EndTime != "" ||
		len(p.Counts) > 0 || closed
}

// Check says why f breaks the profile's rules, or "". partial means f
// may carry only some properties (an upsert or patch of an existing
// feature), so a missing required one is not its fault; the merged
// feature is checked again whole.
func (p Profile) Check(f Feature, partial bool) string {
	noun := p.Noun
	if noun == "" {
		noun = "a feature of this layer"
	}
	if p.Geometry != "" && (f.Geometry != nil || !partial) {
		if f.Geometry == nil || f.Geometry.GeoJSONType() != p.Geometry {
			return fmt.Sprintf("%s needs a %s geometry (its place)", noun, p.Geometry)
		}
	}
	for _, k := range p.Required {
		v, ok := f.Properties[k]
		if !ok && partial {
			continue
		}
		if v == nil || strings.TrimSpace(ValueText(v)) == "" {
			return fmt.Sprintf("property %q is required for %s", k, noun)
		}
	}
	text := func(k string) (string, bool) {
		v, ok := f.Properties[k]
		if k == "" || !ok || v == nil {
			return "", false
		}
		s := strings.TrimSpace(ValueText(v))
		return s, s != ""
	}
	// A date-time counts by its day (a layer's time column may be one).
	day := func(s string) (string, bool) {
		if IsDate(s) {
			return s, true
		}
		if IsDateTime(s) {
			return s[:10], true
		}
		return "", false
	}
	date, hasDate := text(p.Time)
	if hasDate {
		d, ok := day(date)
		if !ok {
			return fmt.Sprintf("%s %q is not a date (YYYY-MM-DD)", p.Time, date)
		}
		if d > time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) {
			return fmt.Sprintf("%s %s is in the future", p.Time, date)
		}
		date = d
	}
	if end, ok := text(p.EndTime); ok {
		e, ok := day(end)
		if !ok {
			return fmt.Sprintf("%s %q is not a date (YYYY-MM-DD)", p.EndTime, end)
		}
		if hasDate && e < date {
			return fmt.Sprintf("%s %s is before %s %s", p.EndTime, end, p.Time, date)
		}
	}
	for _, c := range p.Categories {
		if c.Open {
			continue
		}
		if v, ok := text(c.Property); ok && !slices.Contains(c.Values, v) {
			return fmt.Sprintf("%s %q is not one of %s", c.Property, v, strings.Join(c.Values, ", "))
		}
	}
	counts := map[string]int64{}
	for _, k := range p.Counts {
		v, ok := f.Properties[k]
		if !ok || v == nil {
			continue
		}
		n, ok := WholeNumber(v)
		if !ok {
			return fmt.Sprintf("%s %q is not a whole number", k, ValueText(v))
		}
		if n < 0 {
			return fmt.Sprintf("%s %d is negative", k, n)
		}
		counts[k] = n
	}
	return p.checkRange(counts)
}

// checkRange checks MagnitudeLow ≤ Magnitude ≤ MagnitudeHigh among the
// counts given.
func (p Profile) checkRange(counts map[string]int64) string {
	m, hasM := counts[p.Magnitude]
	lo, hasLo := counts[p.MagnitudeLow]
	hi, hasHi := counts[p.MagnitudeHigh]
	hasM, hasLo, hasHi = hasM && p.Magnitude != "", hasLo && p.MagnitudeLow != "", hasHi && p.MagnitudeHigh != ""
	switch {
	case hasLo && hasHi && lo > hi:
		return fmt.Sprintf("%s %d is above %s %d", p.MagnitudeLow, lo, p.MagnitudeHigh, hi)
	case hasM && hasLo && m < lo:
		return fmt.Sprintf("%s %d is below %s %d", p.Magnitude, m, p.MagnitudeLow, lo)
	case hasM && hasHi && m > hi:
		return fmt.Sprintf("%s %d is above %s %d", p.Magnitude, m, p.MagnitudeHigh, hi)
	}
	return ""
}
