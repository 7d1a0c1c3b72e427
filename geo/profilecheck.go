package geo

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A profile stored with a layer (Layer.StoredProfile) is checked against
// the layer's columns whenever it is set (Validate), and edited one key at
// a time by khorasan layer profile --set (Set).

var colorRE = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// IsColor says s is a CSS colour as profiles give them: #rgb or #rrggbb.
func IsColor(s string) bool { return colorRE.MatchString(s) }

// ParseProfile reads a profile's JSON; a field it does not know is an
// error, so that a misspelt key is not silently dropped.
func ParseProfile(b []byte) (Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return p, Invalidf("profile", "not a profile's JSON: %v", err)
	}
	if dec.More() {
		return p, Invalidf("profile", "more than one JSON value")
	}
	if p.Kind == "" {
		p.Kind = KindGeneric
	}
	return p, nil
}

// checkValues checks what a profile says of its categories' values: a
// label or colour is for one of the values, and a colour is a colour.
func (p Profile) checkValues() error {
	for _, c := range p.Categories {
		for _, v := range slices.Sorted(maps.Keys(c.Colors)) {
			if !IsColor(c.Colors[v]) {
				return Invalidf("profile", "categories %s: colour %q of %q is not a CSS colour (#rgb or #rrggbb)", c.Property, c.Colors[v], v)
			}
			if !slices.Contains(c.Values, v) {
				return Invalidf("profile", "categories %s: a colour for %q, which is not one of its values", c.Property, v)
			}
		}
		for _, v := range slices.Sorted(maps.Keys(c.Labels)) {
			if !slices.Contains(c.Values, v) {
				return Invalidf("profile", "categories %s: a label for %q, which is not one of its values", c.Property, v)
			}
		}
	}
	return nil
}

// Validate says why p cannot describe a layer of schema s: a field it
// names that s lacks, a magnitude or count that is not numeric, a time
// that is not a date or date-time column, a colour that is not one. The
// error is an *InvalidError naming the field.
func (p Profile) Validate(s Schema) error {
	switch p.Kind {
	case KindGeneric, KindReference, KindAreas, KindEvents, KindPlaces:
	default:
		return Invalidf("profile", "kind %q is not one of events, areas, places, reference or generic", p.Kind)
	}
	if p.Kind == KindEvents && p.Time == "" {
		return Invalidf("profile", "time: an events layer needs its time property")
	}
	switch p.Geometry {
	case "", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection":
	default:
		return Invalidf("profile", "geometry %q is not a GeoJSON geometry type (Point, Polygon, ...)", p.Geometry)
	}
	names := make([]string, 0, len(s.Columns))
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	column := func(field, name string) (Column, error) {
		c, ok := s.Column(name)
		if !ok {
			return c, Invalidf("profile", "%s: the layer has no property %q (its properties are %s)", field, name, strings.Join(names, ", "))
		}
		return c, nil
	}
	times := map[string]string{"time": p.Time, "endTime": p.EndTime}
	for _, field := range []string{"time", "endTime"} {
		if times[field] == "" {
			continue
		}
		c, err := column(field, times[field])
		if err != nil {
			return err
		}
		if c.Type != Date && c.Type != DateTime {
			return Invalidf("profile", "%s: property %q is %s, not a date or date-time", field, c.Name, describeType(c.Type))
		}
	}
	numeric := []struct{ field, name string }{{"magnitude", p.Magnitude}, {"magnitudeLow", p.MagnitudeLow}, {"magnitudeHigh", p.MagnitudeHigh}}
	for _, n := range p.Counts {
		numeric = append(numeric, struct{ field, name string }{"counts", n})
	}
	for _, n := range numeric {
		if n.name == "" {
			continue
		}
		c, err := column(n.field, n.name)
		if err != nil {
			return err
		}
		if c.Type != Integer && c.Type != Real {
			return Invalidf("profile", "%s: property %q is %s, not a number", n.field, c.Name, describeType(c.Type))
		}
	}
	named := []struct{ field, name string }{{"label", p.Label}, {"source", p.Source}}
	for _, n := range p.Required {
		named = append(named, struct{ field, name string }{"required", n})
	}
	for _, n := range p.Popup {
		named = append(named, struct{ field, name string }{"popup", n})
	}
	seen := map[string]bool{}
	for _, c := range p.Categories {
		if c.Property == "" {
			return Invalidf("profile", "categories: a category needs its property")
		}
		if seen[c.Property] {
			return Invalidf("profile", "categories: %q is given twice", c.Property)
		}
		seen[c.Property] = true
		if !c.Open && len(c.Values) == 0 {
			return Invalidf("profile", "categories %s: a closed category needs its values (or \"open\": true)", c.Property)
		}
		named = append(named, struct{ field, name string }{"categories", c.Property})
	}
	for _, n := range named {
		if n.name == "" {
			continue
		}
		if _, err := column(n.field, n.name); err != nil {
			return err
		}
	}
	return p.checkValues()
}

// Set changes one key of a profile, as khorasan layer profile --set
// key=value gives it: kind, noun, geometry, time, endTime, magnitude,
// magnitudeLow, magnitudeHigh, label, source (a name); required, counts,
// popup (names separated by commas); and of a category, made when it is
// new: categories.P.values (comma-separated), categories.P.title,
// categories.P.open (true or false), categories.P.labels.VALUE,
// categories.P.colors.VALUE. An empty value clears the key; "categories.P="
// removes the category. New values drop the labels and colours of those
// they no longer list.
func (p *Profile) Set(key, value string) error {
	value = strings.TrimSpace(value)
	list := func() []string {
		var out []string
		for _, v := range strings.Split(value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	text := map[string]*string{"noun": &p.Noun, "geometry": &p.Geometry, "time": &p.Time, "endTime": &p.EndTime,
		"magnitude": &p.Magnitude, "magnitudeLow": &p.MagnitudeLow, "magnitudeHigh": &p.MagnitudeHigh, "label": &p.Label, "source": &p.Source}
	lists := map[string]*[]string{"required": &p.Required, "counts": &p.Counts, "popup": &p.Popup}
	if f, ok := text[key]; ok {
		*f = value
		return nil
	}
	if f, ok := lists[key]; ok {
		*f = list()
		return nil
	}
	if key == "kind" {
		p.Kind = Kind(value)
		if value == "" {
			p.Kind = KindGeneric
		}
		return nil
	}
	rest, ok := strings.CutPrefix(key, "categories.")
	if !ok || rest == "" {
		return Invalidf("set", "%q is not a key of a profile (kind, noun, geometry, time, endTime, magnitude, magnitudeLow, magnitudeHigh, label, source, required, counts, popup, categories.PROPERTY...)", key)
	}
	prop, sub, _ := strings.Cut(rest, ".")
	i := slices.IndexFunc(p.Categories, func(c Category) bool { return c.Property == prop })
	if sub == "" {
		if value != "" {
			return Invalidf("set", "%s=%s: give categories.%s.values=A,B,... (or nothing, to remove the category)", key, value, prop)
		}
		if i >= 0 {
			p.Categories = slices.Delete(p.Categories, i, i+1)
		}
		return nil
	}
	if i < 0 {
		p.Categories = append(p.Categories, Category{Property: prop})
		i = len(p.Categories) - 1
	}
	c := &p.Categories[i]
	field, val, _ := strings.Cut(sub, ".")
	setIn := func(m *map[string]string) {
		if value == "" {
			delete(*m, val)
			return
		}
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[val] = value
	}
	switch {
	case field == "values" && val == "":
		// The labels and colours of values no longer listed go with them.
		c.Values = list()
		gone := func(v, _ string) bool { return !slices.Contains(c.Values, v) }
		maps.DeleteFunc(c.Labels, gone)
		maps.DeleteFunc(c.Colors, gone)
	case field == "title" && val == "":
		c.Title = value
	case field == "open" && val == "":
		b, err := strconv.ParseBool(cmp.Or(value, "false"))
		if err != nil {
			return Invalidf("set", "%s=%s: want true or false", key, value)
		}
		c.Open = b
	case field == "labels" && val != "":
		setIn(&c.Labels)
	case field == "colors" && val != "":
		setIn(&c.Colors)
	default:
		return Invalidf("set", "%q is not a key of a category (values, title, open, labels.VALUE, colors.VALUE)", key)
	}
	return nil
}

// Effective is the profile a layer has: the one stored with it, else the
// dataset's (Dataset.ProfileOf).
func (d *Dataset) Effective(l Layer) Profile {
	if l.StoredProfile != nil {
		p := *l.StoredProfile
		if p.Kind == "" {
			p.Kind = KindGeneric
		}
		return p
	}
	return d.ProfileOf(l.Name, l.Schema)
}

// Rules is the profile whose rules a write to l passes: the stored one,
// else the dataset's; nil when it has none.
func (d *Dataset) Rules(l Layer) *Profile {
	if l.StoredProfile != nil {
		if p := *l.StoredProfile; p.HasRules() {
			return &p
		}
		return nil
	}
	if p, ok := d.Profile(l.Name); ok && p.HasRules() {
		return &p
	}
	return nil
}

// Clone is a deep copy of p, so that an edit of it leaves p as it was.
func (p Profile) Clone() Profile {
	p.Required, p.Counts, p.Popup = slices.Clone(p.Required), slices.Clone(p.Counts), slices.Clone(p.Popup)
	cs := make([]Category, len(p.Categories))
	for i, c := range p.Categories {
		c.Values = slices.Clone(c.Values)
		c.Labels = maps.Clone(c.Labels)
		c.Colors = maps.Clone(c.Colors)
		cs[i] = c
	}
	if p.Categories != nil {
		p.Categories = cs
	}
	return p
}

// String is the profile's JSON, for messages and logs.
func (p Profile) String() string {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprintf("%#v", p)
	}
	return string(b)
}
