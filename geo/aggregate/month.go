package aggregate

import (
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// Month groups features by the month (YYYY-MM) of their time property
// (the profile's time: a date, or a date-time taken in UTC); a feature
// whose time is empty or not a date is in the null group. Groups have no
// geometry and come in time order; months without features are left out.
func Month(property string) Grouping { return monthGrouping(property) }

type monthGrouping string

func (monthGrouping) By() string     { return "month" }
func (monthGrouping) chronological() {}

func (g monthGrouping) key(f geo.Feature) (any, bool) {
	s, ok := f.Properties[string(g)].(string)
	switch {
	case !ok:
		return nil, false
	case geo.IsDate(s):
		return s[:7], true
	case geo.IsDateTime(s):
		t, _ := time.Parse(time.RFC3339Nano, s)
		return t.UTC().Format("2006-01"), true
	}
	return nil, false
}

func (monthGrouping) describe(k any) (string, orb.Geometry, map[string]any) {
	m, _ := k.(string)
	if m == "" {
		return "", nil, map[string]any{"month": nil}
	}
	return m, nil, map[string]any{"month": m}
}

func (monthGrouping) less(a, b any) bool { return a.(string) < b.(string) }
