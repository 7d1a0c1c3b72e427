// Package synth describes the synthetic events of the load tests from the
// default dataset's events profile; it imports data and geo.
package synth

import (
	"errors"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
)

// Events are the property names and vocabulary the generators fill, read
// from the default dataset so that synthetic events pass its rules.
type Events struct {
	Time, Magnitude, Category string
	Values                    []string
}

// DefaultEvents reads the first events layer of the default dataset.
func DefaultEvents() (Events, error) {
	ds, err := data.Dataset()
	if err != nil {
		return Events{}, err
	}
	names := ds.LayersOf(geo.KindEvents)
	if len(names) == 0 {
		return Events{}, errors.New("the default dataset has no events layer")
	}
	p, _ := ds.Profile(names[0])
	if p.Magnitude == "" || len(p.Categories) == 0 {
		return Events{}, errors.New("the default events layer has no magnitude or category")
	}
	return Events{Time: p.Time, Magnitude: p.Magnitude, Category: p.Categories[0].Property, Values: p.Categories[0].Values}, nil
}
