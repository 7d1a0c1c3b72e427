package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
)

// TestLayerInfoAcrossModes pins what each import mode does with a layer's
// texts, version and date: the default data's upgrade path rests on it.
func TestLayerInfoAcrossModes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	doc := func(killed string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"killed":` + killed + `}}]}`
	}
	write := func(mode ingest.Mode, info geo.LayerInfo, killed string) geo.Layer {
		t.Helper()
		info.Name = "events"
		if _, err := s.Import(ctx, textSource("e.geojson", doc(killed)), ingest.ImportOptions{Layer: info, Mode: mode}); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		l, err := s.Layer(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	changed := func(l geo.Layer) time.Time {
		c, err := time.Parse(time.RFC3339Nano, l.Changed)
		if err != nil {
			t.Fatalf("last change %q: %v", l.Changed, err)
		}
		return c
	}

	l := write(ingest.ModeCreate, geo.LayerInfo{Title: "Events 1", Description: "one", Attribution: "credit", Version: "v1", Updated: day}, "1")
	if l.Title != "Events 1" || l.Version != "v1" || l.Attribution != "credit" || !changed(l).Equal(day) {
		t.Errorf("a created layer = %q %q %q %q, want its texts, version v1 and the data's day as last change", l.Title, l.Version, l.Attribution, l.Changed)
	}
	l = write(ingest.ModeUpsert, geo.LayerInfo{}, "2")
	if l.Title != "Events 1" || l.Description != "one" || l.Version != "v1" || l.Attribution != "credit" {
		t.Errorf("an upsert without texts changed them: %+v", l)
	}
	if !changed(l).After(day) {
		t.Errorf("an upsert did not move the last change forward: %s", l.Changed)
	}
	l = write(ingest.ModeUpsert, geo.LayerInfo{Title: "Events 2", Description: "two", Version: "v2", Updated: day}, "3")
	if l.Title != "Events 2" || l.Description != "two" || l.Version != "v2" || l.Attribution != "credit" {
		t.Errorf("an upsert with texts and a version = %+v, want them applied and the attribution kept", l)
	}
	if changed(l).Equal(day) {
		t.Error("Updated set the last change of a layer that already existed (caches keyed on it would not see the write)")
	}
	l = write(ingest.ModeReplace, geo.LayerInfo{}, "4")
	if l.Version != "" || l.Title != "Events 2" || l.Attribution != "credit" {
		t.Errorf("a replace without a version = %+v, want the version cleared and the texts kept", l)
	}
}
