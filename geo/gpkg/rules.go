package gpkg

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// layerRules are what a layer's features must satisfy beyond their types,
// on every write through Import and the feature edits.
type layerRules struct {
	// check says why f is refused, or "". partial means f may carry only
	// some properties (an upsert or patch of an existing feature), so
	// missing required ones are not its fault; the merged feature is
	// checked again whole.
	check func(f geo.Feature, partial bool) string
}

// rulesFor is the rule set of a layer, by name: the "attacks" layer of
// the default data has one. Other layers take any properties.
func rulesFor(layer string) *layerRules {
	if layer == "attacks" {
		return &layerRules{check: checkAttack}
	}
	return nil
}

// AttackRequired are the properties every attack must have: when it
// happened, where (a point and its country) and who is behind it. The
// casualty counts are not required: early reports and some sources
// (GTD's nkill) leave them blank.
var AttackRequired = []string{"date", "country", "attribution"}

// AttackAttributions are the values of an attack's attribution.
var AttackAttributions = []string{"claimed", "attributed", "disputed"}

// AttackPrecisions are how exact an attack's point is, finest first.
var AttackPrecisions = []string{"site", "neighbourhood", "city", "district", "admin1", "region", "country", "unknown"}

func checkAttack(f geo.Feature, partial bool) string {
	if f.Geometry != nil || !partial {
		if _, ok := f.Geometry.(orb.Point); !ok {
			return "an attack needs a Point geometry (its place)"
		}
	}
	for _, k := range AttackRequired {
		v, ok := f.Properties[k]
		if !ok && partial {
			continue
		}
		if v == nil || strings.TrimSpace(geo.ValueText(v)) == "" {
			return fmt.Sprintf("property %q is required for an attack", k)
		}
	}
	text := func(k string) (string, bool) {
		v, ok := f.Properties[k]
		if !ok || v == nil {
			return "", false
		}
		s := strings.TrimSpace(geo.ValueText(v))
		return s, s != ""
	}
	date, hasDate := text("date")
	if hasDate {
		if !geo.IsDate(date) {
			return fmt.Sprintf("date %q is not a date (YYYY-MM-DD)", date)
		}
		if date > time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) {
			return fmt.Sprintf("date %s is in the future", date)
		}
	}
	if end, ok := text("end_date"); ok {
		if !geo.IsDate(end) {
			return fmt.Sprintf("end_date %q is not a date (YYYY-MM-DD)", end)
		}
		if hasDate && end < date {
			return fmt.Sprintf("end_date %s is before date %s", end, date)
		}
	}
	if a, ok := text("attribution"); ok && !slices.Contains(AttackAttributions, a) {
		return fmt.Sprintf("attribution %q is not one of %s", a, strings.Join(AttackAttributions, ", "))
	}
	if p, ok := text("precision"); ok && !slices.Contains(AttackPrecisions, p) {
		return fmt.Sprintf("precision %q is not one of %s", p, strings.Join(AttackPrecisions, ", "))
	}
	counts := map[string]int64{}
	for _, k := range []string{"killed", "killed_low", "killed_high", "wounded"} {
		v, ok := f.Properties[k]
		if !ok || v == nil {
			continue
		}
		n, ok := geo.WholeNumber(v)
		if !ok {
			return fmt.Sprintf("%s %q is not a whole number", k, geo.ValueText(v))
		}
		if n < 0 {
			return fmt.Sprintf("%s %d is negative", k, n)
		}
		counts[k] = n
	}
	k, hasK := counts["killed"]
	lo, hasLo := counts["killed_low"]
	hi, hasHi := counts["killed_high"]
	switch {
	case hasLo && hasHi && lo > hi:
		return fmt.Sprintf("killed_low %d is above killed_high %d", lo, hi)
	case hasK && hasLo && k < lo:
		return fmt.Sprintf("killed %d is below killed_low %d", k, lo)
	case hasK && hasHi && k > hi:
		return fmt.Sprintf("killed %d is above killed_high %d", k, hi)
	}
	return ""
}
