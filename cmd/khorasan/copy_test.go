package main

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.gpkg")
	// render makes the database from the default data, as serve does.
	if _, stderr, err := khorasan(t, "render", "--db", src, "--out", filepath.Join(dir, "seed.png")); err != nil {
		t.Fatalf("seeding: %v\n%s", err, stderr)
	}
	want := counts(t, src)

	t.Run("into a new file, then back", func(t *testing.T) {
		mid := filepath.Join(dir, "mid.gpkg")
		back := filepath.Join(dir, "back.gpkg")
		for _, hop := range [][2]string{{src, mid}, {mid, back}} {
			out, stderr, err := khorasan(t, "copy", "--from", hop[0], "--to", hop[1])
			if err != nil {
				t.Fatalf("copy %s → %s: %v\n%s", hop[0], hop[1], err, stderr)
			}
			if !strings.Contains(out, "copied 4 layers") {
				t.Errorf("copy says %q", out)
			}
		}
		if got := counts(t, back); !maps.Equal(got, want) {
			t.Errorf("after the round trip %v, want %v", got, want)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial*"))
		if len(leftovers) > 0 {
			t.Errorf("partial files left: %v", leftovers)
		}
	})

	cases := map[string]struct {
		args []string
		want string
	}{
		"no --to":       {[]string{"--from", src}, "copy needs --from DB and --to DB"},
		"the same file": {[]string{"--from", src, "--to", src}, "are the same database"},
		"an argument":   {[]string{"--from", src, "--to", filepath.Join(dir, "x.gpkg"), "extra"}, "copy takes no arguments"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := khorasan(t, append([]string{"copy"}, c.args...)...)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a usage error saying %q", err, c.want)
			}
		})
	}
	t.Run("a source that does not exist", func(t *testing.T) {
		_, _, err := khorasan(t, "copy", "--from", filepath.Join(dir, "none.gpkg"), "--to", filepath.Join(dir, "y.gpkg"))
		if err == nil || exitCode(err) != 1 {
			t.Fatalf("got %v, want a failure", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "y.gpkg")); err == nil {
			t.Error("a failed copy left its target")
		}
	})
}
