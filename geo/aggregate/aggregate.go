// Package aggregate counts the features of a layer per group (the country
// each lies in, a hexagon cell, a month) with the sum of their magnitude;
// it imports geo and geo/cql2.
package aggregate

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// Source is what the counts read: the features a query selects, one at
// a time (server.Store has it).
type Source interface {
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
}

// Grouping says which group a feature falls in and what a group is.
// Country, Hex and Month make one.
type Grouping interface {
	// By names the grouping: country, hex or month.
	By() string
	// key is f's group, comparable; false puts f in the null group.
	key(f geo.Feature) (any, bool)
	// describe is a group's id, geometry (nil for none) and properties.
	describe(k any) (id string, g orb.Geometry, props map[string]any)
	// less orders groups of equal count.
	less(a, b any) bool
}

// chronological groupings keep their groups in their own order, not by
// count.
type chronological interface{ chronological() }

// MaxGroups bounds the groups of one answer, and so its memory and size
// (a hexagon cell is about 250 bytes of GeoJSON): past it Run stops with
// a *TooManyGroupsError.
const MaxGroups = 50_000

// TooManyGroupsError says the features fall in more than MaxGroups groups.
type TooManyGroupsError struct{ By string }

func (e *TooManyGroupsError) Error() string {
	return fmt.Sprintf("the features fall in more than %d %s groups", MaxGroups, e.By)
}

// Group is one group's counts.
type Group struct {
	// ID names the group: the borders feature's id, the hexagon cell
	// (size:q:r) or the month (YYYY-MM); "" for the null group, of the
	// features that fall in none.
	ID       string
	Geometry orb.Geometry
	// Properties say what the group is: the borders feature's
	// properties, the cell's q, r and area_km2, or the month.
	Properties map[string]any
	// Count is the number of features; Summed those of them with a
	// magnitude, and Sum the sum of those magnitudes.
	Count  int64
	Summed int64
	Sum    float64
}

// Result is the groups of a query's features.
type Result struct {
	By string
	// Magnitude is the property summed; "" when the layer has none.
	Magnitude string
	// Count, Summed and Sum are over all the features counted.
	Count, Summed int64
	Sum           float64
	// Groups come by count, largest first (by month: in time order),
	// with the null group, if any, last.
	Groups []Group
}

// Run counts the features of layer l that q selects (its bbox and
// filter; limit, offset and order are ignored) per group of g, with the
// sum of the magnitude of l's profile when l has that property. It
// reads each feature once and holds only the groups.
func Run(ctx context.Context, src Source, l geo.Layer, q geo.Query, g Grouping) (*Result, error) {
	res := &Result{By: g.By()}
	if m := l.Profile.Magnitude; m != "" {
		if _, ok := l.Schema.Column(m); ok {
			res.Magnitude = m
		}
	}
	q.Limit, q.Offset, q.SortBy = 0, 0, nil
	type acc struct {
		count, summed int64
		sum           float64
	}
	groups := map[any]*acc{}
	var null acc
	err := src.Features(ctx, l.Name, q, func(f geo.Feature) error {
		a := &null
		if k, ok := g.key(f); ok {
			if a = groups[k]; a == nil {
				if len(groups) == MaxGroups {
					return &TooManyGroupsError{By: res.By}
				}
				a = &acc{}
				groups[k] = a
			}
		}
		a.count++
		res.Count++
		if res.Magnitude != "" {
			if v, ok := number(f.Properties[res.Magnitude]); ok {
				a.summed++
				a.sum += v
				res.Summed++
				res.Sum += v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	keys := make([]any, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	_, inOrder := g.(chronological)
	slices.SortFunc(keys, func(a, b any) int {
		if !inOrder {
			if c := cmp.Compare(groups[b].count, groups[a].count); c != 0 {
				return c
			}
		}
		switch {
		case g.less(a, b):
			return -1
		case g.less(b, a):
			return 1
		}
		return 0
	})
	for _, k := range keys {
		a := groups[k]
		id, geom, props := g.describe(k)
		res.Groups = append(res.Groups, Group{ID: id, Geometry: geom, Properties: props, Count: a.count, Summed: a.summed, Sum: a.sum})
	}
	if null.count > 0 {
		_, _, props := g.describe(nil)
		res.Groups = append(res.Groups, Group{Properties: props, Count: null.count, Summed: null.summed, Sum: null.sum})
	}
	return res, nil
}

// number is a magnitude's value; null and text are no magnitude.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, v == v
	}
	return 0, false
}

// pointOf is where a feature is counted: its point, or the centre of
// the envelope of any other geometry; false when it has none.
func pointOf(f geo.Feature) (orb.Point, bool) {
	switch g := f.Geometry.(type) {
	case nil:
		return orb.Point{}, false
	case orb.Point:
		return g, true
	}
	b := f.Geometry.Bound()
	if b.IsEmpty() { // an empty geometry
		return orb.Point{}, false
	}
	return b.Center(), true
}
