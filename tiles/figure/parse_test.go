package figure

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
)

// fuzzLayer has a column of every type (as server's FuzzItemsQuery).
var fuzzLayer = geo.Layer{Name: "attacks", Schema: geo.Schema{HasID: true, GeometryType: "POINT", Columns: []geo.Column{
	{Name: "date", Type: geo.Date}, {Name: "city", Type: geo.Text}, {Name: "killed", Type: geo.Integer},
	{Name: "ratio", Type: geo.Real}, {Name: "when", Type: geo.DateTime}, {Name: "ok", Type: geo.Boolean},
}}}

// layerStore is a Catalog of layer descriptions only: Parse reads no
// features, and the fuzz target should not wait on a database.
type layerStore struct{ layers []geo.Layer }

func (s layerStore) Layers(context.Context) ([]geo.Layer, error) { return s.layers, nil }

// FuzzRenderQuery: whatever the query, Parse either names a
// parameter or returns a figure within every limit.
func FuzzRenderQuery(f *testing.F) {
	store := layerStore{[]geo.Layer{fuzzLayer, {Name: "khorasan", Schema: geo.Schema{GeometryType: "POLYGON", Columns: []geo.Column{{Name: "name", Type: geo.Text}}}}}}
	for _, s := range []string{"", "width=300&height=200&scale=2", "bbox=60,30,70,40&format=svg", "center=69,34&zoom=7.5",
		"layers=attacks,khorasan&killed=5", "datetime=2021-01-01/..&legend=false", "filter=killed>5 AND city LIKE 'K%'",
		"title=%E2%80%93&format=pdf", "width=0", "scale=NaN", "zoom=3", "bbox=0,86,10,89", "center=1,2&zoom=Inf", "name=x&layers=khorasan"} {
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
		if fig.Width < 1 || fig.Width > 4096 || fig.Height < 1 || fig.Height > 4096 || !(fig.Scale >= 1 && fig.Scale <= 4) || len(fig.Layers) == 0 {
			t.Fatalf("accepted %dx%d scale %g with %d layers", fig.Width, fig.Height, fig.Scale, len(fig.Layers))
		}
	})
}
