package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestStandby: a standby has the primary's databases, refuses writes,
// and receives the primary's later writes by streaming replication.
func TestStandby(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dsn, err := c.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	psql := func(dsn, sql string) (string, error) {
		out, err := exec.Command(filepath.Join(binDir, "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := psql(dsn, "CREATE TABLE t (n int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r, err := c.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := r.dir
	rdsn := r.SameDatabase(dsn)
	if rdsn == "" || rdsn == dsn {
		t.Fatalf("the standby's DSN of %s is %q", dsn, rdsn)
	}
	if out, err := psql(rdsn, "SELECT pg_is_in_recovery(), sum(n), postgis_lib_version() IS NULL FROM t"); err != nil || out != "t|1|f" {
		t.Errorf("the standby: %q, %v", out, err)
	}
	if out, err := psql(rdsn, "INSERT INTO t VALUES (2)"); err == nil || !strings.Contains(out, "read-only") {
		t.Errorf("a write on the standby: %q, %v", out, err)
	}
	if out, err := psql(dsn, "INSERT INTO t VALUES (2)"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := psql(rdsn, "SELECT sum(n) FROM t")
		if err == nil && out == "3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primary's write did not reach the standby: %q, %v", out, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the standby's directory is still there: %v", err)
	}
}
