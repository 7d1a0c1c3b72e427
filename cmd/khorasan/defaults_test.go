package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
)

// oldRelease is the default data of commit 6ddea01: 60 attacks, the
// layers as a database made before layers had versions holds them.
var oldRelease = os.DirFS("testdata/default-60")

// seedAsBefore makes a database the way serve did before default data
// had versions: each layer with its texts, nothing else.
func seedAsBefore(t *testing.T, db string, files fs.FS) {
	t.Helper()
	ctx := context.Background()
	store, err := createStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	manifest, err := readManifest(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		doc, err := fs.ReadFile(files, m.File)
		if err != nil {
			t.Fatal(err)
		}
		info := geo.LayerInfo{Name: m.Name, Title: m.Title, Description: m.Description, Attribution: m.Attribution}
		if _, err := store.ImportGeoJSON(ctx, info, doc); err != nil {
			t.Fatal(err)
		}
	}
}

// staleWarnings opens db as serve does and returns the warnings about
// newer default data it logs, by layer.
func staleWarnings(t *testing.T, db string) map[string]map[string]any {
	t.Helper()
	var buf bytes.Buffer
	store, err := openOrSeed(context.Background(), db, slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	out := map[string]map[string]any{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, "newer default data exists") {
			out[rec["layer"].(string)] = rec
		} else if rec["level"] != "INFO" {
			t.Errorf("unexpected log line: %s", sc.Text())
		}
	}
	return out
}

func embeddedCount(t *testing.T, file string) int64 {
	t.Helper()
	doc, err := fs.ReadFile(data.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct{ Features []json.RawMessage }
	if err := json.Unmarshal(doc, &fc); err != nil {
		t.Fatal(err)
	}
	return int64(len(fc.Features))
}

func layerOf(t *testing.T, db, name string) (geo.Layer, map[string]geo.Feature) {
	t.Helper()
	ctx := context.Background()
	s, err := openStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Layer(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	fs := map[string]geo.Feature{}
	err = s.Features(ctx, name, geo.Query{}, func(f geo.Feature) error { fs[f.ID] = f; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return l, fs
}

const ownEvent = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"analyst-2026-03-01-test-event","geometry":{"type":"Point","coordinates":[69.2,34.5]},
 "properties":{"date":"2026-03-01","name":"An event the analyst added","city":"Kabul","country":"Afghanistan","attribution":"attributed","killed":%d}}]}`

// TestUpgradeFromA60EventDatabase takes a database made from the old
// default data (60 events), in which an analyst added and then edited an
// event of their own, through what the README documents: serve says the
// default data is newer, the upsert of the new default file brings it up
// to date and keeps the analyst's event and edit, and serve is then quiet.
func TestUpgradeFromA60EventDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "old.gpkg")
	seedAsBefore(t, db, oldRelease)
	if n := counts(t, db)["attacks"]; n != 60 {
		t.Fatalf("the old database has %d attacks, want the old release's 60", n)
	}
	for i, killed := range []int{1, 2} { // add, then edit
		mode := []string{"append", "upsert"}[i]
		file := writeFile(t, dir, "own.geojson", fmt.Sprintf(ownEvent, killed))
		if out, _, err := khorasan(t, "import", "--db", db, "--layer", "attacks", "--mode", mode, file); err != nil {
			t.Fatalf("%s the analyst's event: %v\n%s", mode, err, out)
		}
	}

	manifest, err := readManifest(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[string]manifestEntry{}
	for _, m := range manifest {
		entry[m.Name] = m
	}
	newEvents := embeddedCount(t, "attacks.geojson")

	warn := staleWarnings(t, db)
	a, ok := warn["attacks"]
	if !ok {
		t.Fatalf("serve said nothing of the newer attacks; warnings: %v", warn)
	}
	// The 60 old ids are all in the new data: the rest are missing.
	if got := int64(a["default_features_missing"].(float64)); got != newEvents-60 {
		t.Errorf("missing = %d, want %d (the new default's events less the old 60)", got, newEvents-60)
	}
	if got := a["default_features_that_differ"].(float64); got < 1 {
		t.Errorf("differ = %v, want the corrected rows counted", got)
	}
	wantCmd := "khorasan import --db " + db + " --layer attacks --mode upsert --default"
	if a["update_with"] != wantCmd {
		t.Errorf("update_with = %v, want %q", a["update_with"], wantCmd)
	}
	if _, ok := warn["khorasan"]; !ok {
		t.Error("the khorasan layer's new description is not reported")
	}

	// The documented upgrade, for each layer serve named: the command it
	// logged (the binary's own data), or the file from the repository.
	for name, w := range warn {
		args := []string{"import", "--db", db, "--layer", name, "--mode", "upsert", filepath.Join("../../data", entry[name].File)}
		if name == "attacks" {
			logged := strings.Fields(w["update_with"].(string))
			if len(logged) < 2 || logged[0] != "khorasan" {
				t.Fatalf("update_with %q is not a khorasan command", w["update_with"])
			}
			args = logged[1:]
		}
		out, _, err := khorasan(t, args...)
		if err != nil {
			t.Fatalf("upgrade %s: %v\n%s", name, err, out)
		}
		if !strings.Contains(out, "default data of layer") {
			t.Errorf("upgrade %s: the file is not recognised as the default data:\n%s", name, out)
		}
	}
	l, got := layerOf(t, db, "attacks")
	if l.Count != newEvents+1 {
		t.Errorf("attacks = %d, want the %d default events and the analyst's own", l.Count, newEvents)
	}
	own, ok := got["analyst-2026-03-01-test-event"]
	if !ok || own.Properties["killed"] != int64(2) || own.Properties["name"] != "An event the analyst added" {
		t.Errorf("the analyst's event after the upgrade = %v, want it kept with its edit (killed 2)", own.Properties)
	}
	// One of the corrections of this release (killed_high 20 → 21).
	if k := got["2025-02-11-kunduz-kabul-bank"].Properties["killed_high"]; k != int64(21) {
		t.Errorf("Kunduz 2025 killed_high = %v, want the corrected 21", k)
	}
	if l.Title != entry["attacks"].Title || l.Description != entry["attacks"].Description {
		t.Errorf("layer texts = %q / %q, want the new default's", l.Title, l.Description)
	}
	if w := staleWarnings(t, db); len(w) != 0 {
		t.Errorf("after the upgrade serve still warns: %v", w)
	}
}

// TestDefaultDataCheckIsQuiet: no warning where none is due.
func TestDefaultDataCheckIsQuiet(t *testing.T) {
	dir := t.TempDir()

	t.Run("a database made from this release, edited since", func(t *testing.T) {
		db := filepath.Join(dir, "fresh.gpkg")
		s, err := openOrSeed(context.Background(), db, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		edit := writeFile(t, dir, "edit.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"2015-04-18-jalalabad-bank","geometry":{"type":"Point","coordinates":[70.45153,34.42647]},"properties":{"killed":34,"killed_high":34}}]}`)
		if out, _, err := khorasan(t, "import", "--db", db, "--layer", "attacks", "--mode", "upsert", edit); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if w := staleWarnings(t, db); len(w) != 0 {
			t.Errorf("warnings: %v", w)
		}
	})
	t.Run("a layer called attacks that is the user's own", func(t *testing.T) {
		db := filepath.Join(dir, "own.gpkg")
		file := writeFile(t, dir, "own.geojson", fmt.Sprintf(ownEvent, 1))
		if out, _, err := khorasan(t, "import", "--db", db, "--layer", "attacks", file); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if w := staleWarnings(t, db); len(w) != 0 {
			t.Errorf("warnings: %v", w)
		}
	})
}

// TestSeedRecordsTheDataDate: a new database's "data as of" is the day the
// facts were compiled, not the day the file was made.
func TestSeedRecordsTheDataDate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.gpkg")
	s, err := openOrSeed(context.Background(), db, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	manifest, err := readManifest(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		l, _ := layerOf(t, db, m.Name)
		if m.Updated != "" && !strings.HasPrefix(l.Changed, m.Updated+"T") {
			t.Errorf("layer %s: last change %s, want the data's date %s", m.Name, l.Changed, m.Updated)
		}
		if !strings.HasPrefix(l.Version, "default-sha256:") {
			t.Errorf("layer %s: version %q not recorded", m.Name, l.Version)
		}
	}
}
