package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMissingSaysHowToInstall: without the programs the harness fails
// with a message naming the packages and make deps, never a skip.
func TestMissingSaysHowToInstall(t *testing.T) {
	if m := Missing(); m != "" {
		t.Fatal(m)
	}
	m := missingIn(t.TempDir(), t.TempDir())
	for _, want := range []string{"initdb", "Debian package postgresql)", "postgresql-15-postgis-3", "`make deps` installs them"} {
		if !strings.Contains(m, want) {
			t.Errorf("%q does not say %q", m, want)
		}
	}
}

// TestCluster: a cluster starts, serves a database with PostGIS, and
// leaves nothing behind when it stops.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := c.dir
	dsn, err := c.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(binDir, "psql"), "-X", "-At", "-d", dsn, "-c", "SELECT postgis_lib_version() IS NOT NULL, current_setting('port')").CombinedOutput()
	if err != nil || string(out) != "t|"+strconv.Itoa(c.port)+"\n" {
		t.Errorf("psql: %q, %v", out, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's directory is still there: %v", err)
	}
}
