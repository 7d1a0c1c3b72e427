package main

import (
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/internal/pgtest"
)

// Every command on a PostgreSQL database, against a throwaway cluster.
func TestCommandsOnPostgres(t *testing.T) {
	dsn := pgtest.New(t)
	dir := t.TempDir()

	// A database without layers is filled with the default data, as a
	// missing file is.
	if _, stderr, err := khorasan(t, "render", "--db", dsn, "--out", filepath.Join(dir, "seed.png")); err != nil {
		t.Fatalf("render on an empty database: %v\n%s", err, stderr)
	}
	seeded := filepath.Join(dir, "seeded.gpkg")
	if _, stderr, err := khorasan(t, "render", "--db", seeded, "--out", filepath.Join(dir, "seed2.png")); err != nil {
		t.Fatalf("render on a new file: %v\n%s", err, stderr)
	}
	want := counts(t, seeded)
	if got := counts(t, dsn); !maps.Equal(got, want) {
		t.Fatalf("the seeded database has %v, the seeded file %v", got, want)
	}

	t.Run("import, export and history", func(t *testing.T) {
		file := writeFile(t, dir, "places.geojson", placesJSON)
		out, stderr, err := khorasan(t, "import", "--db", dsn, "--layer", "places", "--title", "Places", file)
		if err != nil || !strings.Contains(out, "imported 2 features") {
			t.Fatalf("%q, %v\n%s", out, err, stderr)
		}
		if strings.Contains(out+stderr, "secret") {
			t.Errorf("a password was shown: %s%s", out, stderr)
		}
		out, _, err = khorasan(t, "export", "--db", dsn, "--layer", "places", "--format", "csv")
		wantCSV := "id,longitude,latitude,name,killed\nkabul,69.17233,34.52813,Kabul,5\nherat,62.19967,34.34817,Herat,0\n"
		if err != nil || out != wantCSV {
			t.Errorf("csv %q, %v; want %q", out, err, wantCSV)
		}
		gpkgOut := filepath.Join(dir, "places.gpkg")
		if _, _, err := khorasan(t, "export", "--db", dsn, "--layer", "places", "--format", "gpkg", "--out", gpkgOut); err != nil {
			t.Fatal(err)
		}
		if n := counts(t, gpkgOut); n["places"] != 2 || len(n) != 1 {
			t.Errorf("the exported GeoPackage has %v", n)
		}
		out, _, err = khorasan(t, "history", "--db", dsn, "--layer", "places")
		if err != nil || !strings.Contains(out, "import") {
			t.Errorf("history: %q, %v", out, err)
		}
	})

	t.Run("an ACLED import's profile, edited, exported and backed up", func(t *testing.T) {
		file := writeFile(t, dir, "acled.csv", acledFile)
		if out, stderr, err := khorasan(t, "import", "--db", dsn, "--layer", "acled", "--mode", "create", file); err != nil || !strings.Contains(out, "magnitude fatalities") {
			t.Fatalf("%q, %v\n%s", out, err, stderr)
		}
		out, stderr, err := khorasan(t, "layer", "profile", "--db", dsn, "--layer", "acled", "--set", "label=notes")
		if err != nil || !strings.Contains(out, `"label": "notes"`) || !strings.Contains(out, `"magnitude": "fatalities"`) {
			t.Fatalf("layer profile: %q, %v\n%s", out, err, stderr)
		}
		if _, _, err := khorasan(t, "layer", "profile", "--db", dsn, "--layer", "acled", "--set", "magnitude=location"); err == nil || !strings.Contains(err.Error(), "not a number") {
			t.Errorf("a text magnitude: %v", err)
		}
		for _, path := range []string{filepath.Join(dir, "acled.gpkg"), filepath.Join(dir, "acled-backup.gpkg")} {
			args := []string{"export", "--db", dsn, "--layer", "acled", "--format", "gpkg", "--out", path}
			if strings.HasSuffix(path, "-backup.gpkg") {
				args = []string{"backup", "--db", dsn, "--out", path}
			}
			if _, stderr, err := khorasan(t, args...); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, stderr)
			}
			out, _, err := khorasan(t, "layer", "profile", "--db", path, "--layer", "acled")
			if err != nil || !strings.Contains(out, `"label": "notes"`) {
				t.Errorf("the profile in %s: %q, %v", path, out, err)
			}
		}
	})

	t.Run("backup to a GeoPackage", func(t *testing.T) {
		backup := filepath.Join(dir, "backup.gpkg")
		out, stderr, err := khorasan(t, "backup", "--db", dsn, "--out", backup)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.Contains(out, "backed up") {
			t.Errorf("backup says %q", out)
		}
		if got, want := counts(t, backup), counts(t, dsn); !maps.Equal(got, want) {
			t.Errorf("the backup has %v, the database %v", got, want)
		}
		if _, _, err := khorasan(t, "backup", "--db", dsn, "--out", backup); err == nil {
			t.Error("a backup over an existing file was written")
		}
	})

	t.Run("copy GeoPackage → PostgreSQL → GeoPackage", func(t *testing.T) {
		other := pgtest.New(t)
		back := filepath.Join(dir, "back.gpkg")
		for _, hop := range [][2]string{{seeded, other}, {other, back}} {
			if _, stderr, err := khorasan(t, "copy", "--from", hop[0], "--to", hop[1]); err != nil {
				t.Fatalf("copy: %v\n%s", err, stderr)
			}
		}
		if got := counts(t, back); !maps.Equal(got, want) {
			t.Errorf("after the round trip %v, want %v", got, want)
		}
	})

	t.Run("tiles export", func(t *testing.T) {
		out, stderr, err := khorasan(t, "tiles", "export", "--db", dsn, "--layers", "borders", "--maxzoom", "2", "--out", filepath.Join(dir, "b.pmtiles"))
		if err != nil || !strings.Contains(out, "wrote") {
			t.Fatalf("%q, %v\n%s", out, err, stderr)
		}
	})

	t.Run("reads from a second URL", func(t *testing.T) {
		out, _, err := khorasan(t, "export", "--db", dsn, "--db-read", dsn, "--layer", "places", "--format", "csv")
		if err != nil || !strings.HasPrefix(out, "id,longitude,latitude") {
			t.Errorf("%q, %v", out, err)
		}
	})

	cases := map[string]struct {
		args []string
		want string
	}{
		"--db-read with a GeoPackage": {[]string{"export", "--db", seeded, "--db-read", dsn, "--layer", "attacks"}, "--db-read needs a PostgreSQL --db"},
		"--db-read that is no URL":    {[]string{"export", "--db", dsn, "--db-read", "replica.gpkg", "--layer", "attacks"}, "is not a postgres:// URL"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := khorasan(t, c.args...)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a usage error saying %q", err, c.want)
			}
		})
	}
	t.Run("a database that does not answer", func(t *testing.T) {
		_, _, err := khorasan(t, "export", "--db", "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--layer", "attacks")
		if err == nil || exitCode(err) != 1 {
			t.Fatalf("got %v, want a failure", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(leftovers) > 0 {
		t.Errorf("partial files left: %v", leftovers)
	}
}
