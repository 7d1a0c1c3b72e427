package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const acledFile = `event_id_cnty,event_date,event_type,sub_event_type,actor1,actor2,country,admin1,location,latitude,longitude,geo_precision,source,notes,fatalities
AFG1,2021-08-26,Explosions/Remote violence,Suicide bomb,Islamic State (Afghanistan),Civilians (Afghanistan),Afghanistan,Kabul,Kabul,34.5167,69.1833,1,BBC,Airport gate.,170
AFG2,2022-01-15,Violence against civilians,Attack,Islamic State (Afghanistan),,Afghanistan,Nangarhar,Jalalabad,34.4342,70.4478,2,Xinhua,,3
`

func TestImportModesHistoryBackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.gpkg")
	file := writeFile(t, dir, "acled.csv", acledFile)
	out, _, err := khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "create", "--actor", "analyst", file)
	if err != nil || !strings.Contains(out, "imported 2 features") || !strings.Contains(out, "ACLED export") {
		t.Fatalf("%q %v", out, err)
	}
	if _, _, err := khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "create", file); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("create over a layer: %v", err)
	}
	changed := writeFile(t, dir, "acled2.csv", strings.Replace(acledFile, ",Xinhua,,3\n", ",Xinhua,,4\n", 1)+
		"AFG3,2022-02-01,Battles,Armed clash,X,,Afghanistan,Kunar,Asadabad,34.87,71.15,1,,,0\n")
	out, _, err = khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "upsert", "--dry-run", changed)
	if err != nil || !strings.Contains(out, "dry run") || !strings.Contains(out, "1 new, 1 updated, 1 unchanged") {
		t.Errorf("dry run: %q %v", out, err)
	}
	if n := counts(t, db)["acled"]; n != 2 {
		t.Errorf("the dry run wrote: %d features", n)
	}
	if _, _, err := khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "upsert", "--actor", "analyst", changed); err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, dir, "bad.csv", acledFile+"AFG4,2022-13-01,Battles,Armed clash,X,,Afghanistan,Kunar,Asadabad,34.87,71.15,1,,,0\n")
	_, stderr, err := khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "upsert", bad)
	if err == nil || !strings.Contains(stderr, "line 4") || !strings.Contains(stderr, "2022-13-01") {
		t.Errorf("bad row: %v\n%s", err, stderr)
	}
	out, _, err = khorasan(t, "history", "--db", db, "--layer", "acled")
	if err != nil || !strings.Contains(out, "analyst") || !strings.Contains(out, "update  acled/AFG2") || !strings.Contains(out, "fatalities: 3 → 4") {
		t.Errorf("history:\n%s %v", out, err)
	}
	backup := filepath.Join(dir, "copy.gpkg")
	if out, _, err := khorasan(t, "backup", "--db", db, "--out", backup); err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: %q %v", out, err)
	}
	if n := counts(t, backup)["acled"]; n != 3 {
		t.Errorf("backup has %d ACLED events", n)
	}
	if _, _, err := khorasan(t, "backup", "--db", db, "--out", backup); err == nil {
		t.Error("backup over an existing file")
	}
	exported := filepath.Join(dir, "acled.gpkg")
	if _, _, err := khorasan(t, "export", "--db", db, "--layer", "acled", "--format", "gpkg", "--out", exported); err != nil {
		t.Fatal(err)
	}
	s, err := openStore(context.Background(), exported)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Layer(context.Background(), "acled")
	s.Close()
	if err != nil || l.Count != 3 || l.StoredProfile == nil || l.StoredProfile.Magnitude != "fatalities" {
		t.Errorf("exported gpkg: %v %v, profile %v", l.Count, err, l.StoredProfile)
	}
	out, _, err = khorasan(t, "export", "--db", db, "--layer", "acled", "--format", "kml")
	if err != nil || strings.Count(out, "<Placemark>") != 3 {
		t.Errorf("kml export: %v\n%.300s", err, out)
	}
	// The CSV export reads back in.
	csvOut := filepath.Join(dir, "out.csv")
	if _, _, err := khorasan(t, "export", "--db", db, "--layer", "acled", "--format", "csv", "--out", csvOut); err != nil {
		t.Fatal(err)
	}
	if _, _, err := khorasan(t, "import", "--db", db, "--layer", "again", "--mode", "create", csvOut); err != nil {
		t.Errorf("CSV round trip: %v", err)
	}
	raw, _ := os.ReadFile(csvOut)
	if !strings.HasPrefix(string(raw), "id,longitude,latitude,event_date,fatalities") {
		t.Errorf("csv %.80s", raw)
	}
}
