// Package storetest holds the contract tests every layer store passes (a
// GeoPackage file, a PostGIS database); it imports data, geo and its formats, geo/ingest and internal/testio.
package storetest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
)

// Store is what the contract covers: the reads the server makes
// (server.Store), whole-layer writes, imports, the feature edits of
// server.Editor with their audit log, the audit log read and written
// whole (geo/storecopy), and the profiles stored with layers.
type Store interface {
	Layers(ctx context.Context) ([]geo.Layer, error)
	Layer(ctx context.Context, name string) (geo.Layer, error)
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
	Count(ctx context.Context, layer string, q geo.Query) (int64, error)
	Feature(ctx context.Context, layer, id string) (geo.Feature, error)
	ReplaceLayer(ctx context.Context, info geo.LayerInfo, schema geo.Schema, features iter.Seq2[geo.Feature, error]) (int64, error)
	CreateFeature(ctx context.Context, layer string, f geo.Feature, actor string) (geo.Feature, geo.Schema, error)
	UpdateFeature(ctx context.Context, layer, id, actor string, change func(old geo.Feature, schema geo.Schema) (geo.Feature, error)) (geo.Feature, geo.Schema, error)
	DeleteFeature(ctx context.Context, layer, id, actor string, check func(old geo.Feature, schema geo.Schema) error) error
	History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error)
	Import(ctx context.Context, src ingest.Source, opt ingest.ImportOptions) (*ingest.Report, error)
	ImportGeoJSON(ctx context.Context, info geo.LayerInfo, data []byte) (int64, error)
	EachAudit(ctx context.Context, fn func(geo.AuditEntry) error) error
	RestoreAudit(ctx context.Context, entries iter.Seq2[geo.AuditEntry, error]) (int64, error)
	// GeoJSONFeatures is the items pages' path (server.GeoJSONStore).
	GeoJSONFeatures(ctx context.Context, layer string, q geo.Query, schema geo.Schema, fn func(feature []byte) error) error
	SetProfile(ctx context.Context, layer string, p *geo.Profile, actor string) (geo.Layer, error)
}

// Opener makes a new, empty store for one test, with the default data's
// profiles (data.Dataset), closed when the test ends.
type Opener func(t *testing.T) Store

// Run runs every contract test on stores open makes.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"RoundTrip", testRoundTrip},
		{"BBoxMatchesBruteForce", testBBoxMatchesBruteForce},
		{"FailedReplaceLeavesNoTrace", testFailedReplaceLeavesNoTrace},
		{"LayerMetadata", testLayerMetadata},
		{"NotFound", testNotFound},
		{"SortBy", testSortBy},
		{"FilterErrorsThroughTheStore", testFilterErrorsThroughTheStore},
		{"FilterOddText", testFilterOddText},
		{"FilterMatchesEval", testFilterMatchesEval},
		{"FilterKnownAnswers", testFilterKnownAnswers},
		{"FilterWithBBoxAndPaging", testFilterWithBBoxAndPaging},
		{"FilterDateTimes", testFilterDateTimes},
		{"FilterBuiltInGo", testFilterBuiltInGo},
		{"FeatureEdits", testFeatureEdits},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdatesLoseNothing},
		{"RulesOnEdits", testRulesOnEdits},
		{"EditsOfAFidLayer", testEditsOfAFidLayer},
		{"ReplaceKeepsTheLastChangeGiven", testReplaceKeepsTheLastChangeGiven},
		{"ImportRecognisesExports", testImportRecognisesExports},
		{"ImportModes", testImportModes},
		{"ImportIsAllOrNothing", testImportIsAllOrNothing},
		{"ImportGenericCSV", testImportGenericCSV},
		{"ImportKML", testImportKML},
		{"ImportRefusesBadInput", testImportRefusesBadInput},
		{"ImportStreams", testImportStreams},
		{"LayerInfoAcrossModes", testLayerInfoAcrossModes},
		{"ImportRefusesReservedNames", testImportRefusesReservedNames},
		{"ImportIntoAFidLayer", testImportIntoAFidLayer},
		{"ImportRefusedByRules", testImportRefusedByRules},
		{"ImportGeoJSON", testImportGeoJSON},
		{"AuditReadAndRestored", testAuditReadAndRestored},
		{"GeoJSONIsAppendFeatureOfFeatures", testGeoJSONIsAppendFeatureOfFeatures},
		{"StoredProfile", testStoredProfile},
		{"ImportGuessesProfile", testImportGuessesProfile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// Dataset is the default data's description, which stores are opened with.
func Dataset(t testing.TB) *geo.Dataset {
	t.Helper()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// Attacks60 is the default attacks layer as it was at 60 events (commit
// 6ddea01), frozen so that the known answers of the filter tests stay
// those of one dataset when the default data grows.
//
//go:embed testdata/attacks-60.geojson
var attacks60 []byte

// Attacks60 is the frozen attacks data (GeoJSON).
func Attacks60() []byte { return bytes.Clone(attacks60) }

func seq(fs []geo.Feature) iter.Seq2[geo.Feature, error] {
	return func(yield func(geo.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func replace(t *testing.T, s Store, name string, fs []geo.Feature, order []string) {
	t.Helper()
	schema, err := InferSchema(fs, order)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceLayer(context.Background(), geo.LayerInfo{Name: name}, schema, seq(fs)); err != nil {
		t.Fatal(err)
	}
}

func all(t *testing.T, s Store, layer string, q geo.Query) []geo.Feature {
	t.Helper()
	var got []geo.Feature
	if err := s.Features(context.Background(), layer, q, func(f geo.Feature) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// attacksStore loads the frozen attack data into a new store and returns
// it with every feature, read back through the store.
func attacksStore(t *testing.T, open Opener) (Store, []geo.Feature) {
	t.Helper()
	s := open(t)
	features, order, err := geojson.ReadAll(bytes.NewReader(attacks60))
	if err != nil {
		t.Fatal(err)
	}
	replace(t, s, "attacks", features, order)
	fs := all(t, s, "attacks", geo.Query{})
	if len(fs) != 60 {
		t.Fatalf("the attacks data has %d features, want 60", len(fs))
	}
	return s, fs
}

// khorasanWKT is the main outline of data/khorasan.geojson as CQL2 WKT.
func khorasanWKT(t testing.TB) string {
	t.Helper()
	b, err := data.FS.ReadFile("khorasan.geojson")
	if err != nil {
		t.Fatalf("the default Khorasan data is needed: %v", err)
	}
	features, _, err := geojson.ReadAll(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range features {
		if f.ID == "main" {
			s := cql2.Format(cql2.Spatial{Op: "S_INTERSECTS", Left: cql2.Property{Name: "geometry"}, Right: cql2.Geometry{Geometry: f.Geometry}})
			return strings.TrimSuffix(strings.TrimPrefix(s, "S_INTERSECTS(geometry, "), ")")
		}
	}
	t.Fatal(`data/khorasan.geojson has no feature "main"`)
	return ""
}

// EvalGet answers Eval's questions about a feature the way the stores
// name things: "id" is the feature id, "geometry" (or "geom") its
// geometry, and a DATETIME property is a moment.
func EvalGet(l geo.Layer, f geo.Feature) func(string) (any, bool) {
	return func(name string) (any, bool) {
		if v, ok := f.Properties[name]; ok {
			if c, _ := l.Schema.Column(name); c.Type == geo.DateTime && v != nil {
				t, err := time.Parse(time.RFC3339Nano, v.(string))
				return t, err == nil
			}
			return v, true
		}
		switch name {
		case "id":
			return f.ID, true
		case geo.GeometryQueryable, "geom":
			if f.Geometry == nil {
				return nil, true
			}
			return f.Geometry, true
		}
		return nil, false
	}
}

// bruteForce is the ids Eval selects, one feature at a time.
func bruteForce(t *testing.T, l geo.Layer, e cql2.Expr, fs []geo.Feature) []string {
	t.Helper()
	var ids []string
	for _, f := range fs {
		ok, err := cql2.Eval(e, EvalGet(l, f), f.Geometry)
		if err != nil {
			t.Fatalf("Eval on %s: %v", f.ID, err)
		}
		if ok {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// layerIDs is the ids the store selects, checked against its Count.
func layerIDs(t *testing.T, s Store, layer string, e cql2.Expr) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	if err := s.Features(ctx, layer, geo.Query{Filter: e}, func(f geo.Feature) error {
		ids = append(ids, f.ID)
		return nil
	}); err != nil {
		t.Fatalf("Features: %v", err)
	}
	n, err := s.Count(ctx, layer, geo.Query{Filter: e})
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != int64(len(ids)) {
		t.Errorf("Count = %d, but Features gave %d", n, len(ids))
	}
	return ids
}

// InferSchema chooses column types from the values the features hold, the
// way GDAL does for GeoJSON: integers stay integers unless a real appears,
// ISO dates become DATE, mixed kinds fall back to TEXT. Columns follow
// order (the order properties first appear in the source); names missing
// from it come after, sorted. The stores' own tests build layers with it too.
func InferSchema(features []geo.Feature, order []string) (geo.Schema, error) {
	var s geo.Schema
	kinds := map[string]map[geo.ColumnType]bool{}
	seen := map[string]bool{}
	withID := 0
	ids := map[string]bool{}
	for i, f := range features {
		if f.ID != "" {
			if ids[f.ID] {
				return geo.Schema{}, geo.Invalidf(fmt.Sprintf("feature %d", i+1), "duplicate id %q", f.ID)
			}
			ids[f.ID] = true
			withID++
		}
		if f.Geometry != nil {
			seen[string(geo.GeometryType(f.Geometry))] = true
		}
		for name, v := range f.Properties {
			k := kinds[name]
			if k == nil {
				k = map[geo.ColumnType]bool{}
				kinds[name] = k
			}
			if v != nil {
				k[kindOf(v)] = true
			}
		}
	}
	var names []string
	for _, name := range order {
		if _, ok := kinds[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var rest []string
	for name := range kinds {
		if !slices.Contains(names, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range append(names, rest...) {
		s.Columns = append(s.Columns, geo.Column{Name: name, Type: mergeKinds(kinds[name])})
	}
	s.HasID = withID > 0
	s.GeometryType = mergeGeometryTypes(seen)
	return s, nil
}

func kindOf(v any) geo.ColumnType {
	switch v := v.(type) {
	case int64:
		return geo.Integer
	case float64:
		return geo.Real
	case bool:
		return geo.Boolean
	case string:
		if geo.IsDate(v) {
			return geo.Date
		}
		if geo.IsDateTime(v) {
			return geo.DateTime
		}
	}
	return geo.Text
}

func mergeKinds(kinds map[geo.ColumnType]bool) geo.ColumnType {
	switch {
	case len(kinds) == 1:
		for k := range kinds {
			return k
		}
	case len(kinds) == 2 && kinds[geo.Integer] && kinds[geo.Real]:
		return geo.Real
	case len(kinds) == 2 && kinds[geo.Date] && kinds[geo.DateTime]:
		return geo.DateTime
	}
	return geo.Text
}

// mergeGeometryTypes names the column type; a single type and its multi
// form are promoted to the multi form.
func mergeGeometryTypes(seen map[string]bool) string {
	switch len(seen) {
	case 1:
		for t := range seen {
			return t
		}
	case 2:
		for _, base := range []string{"POINT", "LINESTRING", "POLYGON"} {
			if seen[base] && seen["MULTI"+base] {
				return "MULTI" + base
			}
		}
	}
	return "GEOMETRY"
}
