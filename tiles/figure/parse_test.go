package figure

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
)

// fuzzLayer has a column of every type (as server's FuzzItemsQuery).
var fuzzLayer = geo.Layer{Name: "attacks", Schema: geo.Schema{HasID: true, GeometryType: "POINT", Columns: []geo.Column{
	{Name: "date", Type: geo.Date}, {Name: "city", Type: geo.Text}, {Name: "killed", Type: geo.Integer},
	{Name: "ratio", Type: geo.Real}, {Name: "when", Type: geo.DateTime}, {Name: "ok", Type: geo.Boolean},
}}, Profile: geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "killed"}}

// fuzzEvents is a second events layer, without a magnitude.
var fuzzEvents = geo.Layer{Name: "acled", Schema: geo.Schema{GeometryType: "POINT", Columns: []geo.Column{
	{Name: "event_date", Type: geo.Date}, {Name: "event_type", Type: geo.Text},
}}, Profile: geo.Profile{Kind: geo.KindEvents, Time: "event_date", Categories: []geo.Category{{Property: "event_type", Values: []string{"Battles"}, Open: true}}}}

// layerStore is a Catalog of layer descriptions only: Parse reads no
// features, and the fuzz target should not wait on a database.
type layerStore struct{ layers []geo.Layer }

func (s layerStore) Layers(context.Context) ([]geo.Layer, error) { return s.layers, nil }

// FuzzRenderQuery: whatever the query, Parse either names a
// parameter or returns a figure within every limit.
func FuzzRenderQuery(f *testing.F) {
	store := layerStore{[]geo.Layer{fuzzLayer, fuzzEvents, {Name: "khorasan", Schema: geo.Schema{GeometryType: "POLYGON", Columns: []geo.Column{{Name: "name", Type: geo.Text}}}}}}
	for _, s := range []string{"", "width=300&height=200&scale=2", "bbox=60,30,70,40&format=svg", "center=69,34&zoom=7.5",
		"layers=attacks,khorasan&killed=5", "datetime=2021-01-01/..&legend=false", "filter=killed>5 AND city LIKE 'K%'",
		"title=%E2%80%93&format=pdf", "width=0", "scale=NaN", "zoom=3", "bbox=0,86,10,89", "center=1,2&zoom=Inf", "name=x&layers=khorasan",
		"events=attacks,acled", "events=acled&data=attacks", "events=khorasan", "data=nope", "choropleth=country", "choropleth=hex&size=100&measure=magnitude",
		"choropleth=hex", "choropleth=country&size=50", "choropleth=hex&size=4", "choropleth=country&data=acled&measure=magnitude",
		"measure=count", "size=10", "choropleth=country&layers=khorasan", "choropleth=state"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fig, err := Parse(context.Background(), store, q)
		if err != nil {
			var pe *params.Error
			if !errors.As(err, &pe) || pe.Name == "" {
				t.Fatalf("error %v does not name a parameter", err)
			}
			return
		}
		if err := fig.Check(); err != nil {
			t.Fatalf("accepted a figure that fails its check: %v", err)
		}
		drawn := map[string]bool{}
		for _, l := range fig.Layers {
			drawn[l.Layer.Name] = true
		}
		if ev, ok := q["events"]; ok {
			for _, l := range fig.Layers {
				if l.Layer.Profile.Kind == geo.KindEvents && !strings.Contains(","+ev[0]+",", ","+l.Layer.Name+",") && l.Layer.Name != fig.Data {
					t.Fatalf("events=%s drew %s", ev[0], l.Layer.Name)
				}
			}
		}
		if fig.Data != "" && !drawn[fig.Data] {
			t.Fatalf("data=%s is not drawn", fig.Data)
		}
		if ch := fig.Choropleth; ch != nil && (!drawn[ch.Layer] || ch.Measure == MeasureMagnitude && ch.Layer != "attacks") {
			t.Fatalf("a choropleth of %s (%s)", ch.Layer, ch.Measure)
		}
		if fig.Width < 1 || fig.Width > 4096 || fig.Height < 1 || fig.Height > 4096 || !(fig.Scale >= 1 && fig.Scale <= 4) || len(fig.Layers) == 0 {
			t.Fatalf("accepted %dx%d scale %g with %d layers", fig.Width, fig.Height, fig.Scale, len(fig.Layers))
		}
	})
}
