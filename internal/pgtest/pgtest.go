// Package pgtest starts throwaway PostgreSQL clusters with PostGIS for
// tests, each in a temporary directory on a free port; it imports nothing of the project.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the PostgreSQL major version the tests run on: Debian 12's,
// with its postgresql-15-postgis-3.
const Version = "15"

// Where Debian puts the server's programs and the extensions' control files.
const (
	binDir       = "/usr/lib/postgresql/" + Version + "/bin"
	extensionDir = "/usr/share/postgresql/" + Version + "/extension"
)

// template is the database every test database is copied from: it has
// PostGIS already, and copying it is much faster than CREATE EXTENSION.
const template = "khorasan_template"

// Cluster is a running throwaway cluster. Its methods are safe for
// concurrent use.
type Cluster struct {
	dir  string // the temporary directory: data/, the socket, the log
	port int
	mu   sync.Mutex
	n    int // databases made so far
}

// Missing says what is not installed, with how to install it; "" when
// everything is.
func Missing() string { return missingIn(binDir, extensionDir) }

func missingIn(binDir, extensionDir string) string {
	var missing []string
	for _, prog := range []string{"initdb", "pg_ctl", "psql"} {
		if _, err := os.Stat(filepath.Join(binDir, prog)); err != nil {
			missing = append(missing, filepath.Join(binDir, prog)+" (Debian package postgresql)")
		}
	}
	if _, err := os.Stat(filepath.Join(extensionDir, "postgis.control")); err != nil {
		missing = append(missing, "PostGIS (Debian package postgresql-"+Version+"-postgis-3)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "PostgreSQL " + Version + " with PostGIS is needed and not installed: missing " + strings.Join(missing, ", ") +
		"; `make deps` installs them"
}

// Start initialises and starts a cluster. initdb refuses to run as root,
// so as root the server runs as the postgres user (runuser).
func Start(ctx context.Context) (*Cluster, error) {
	if m := Missing(); m != "" {
		return nil, errors.New(m)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	if err := c.start(ctx); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	if err := c.own(); err != nil {
		return err
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.asServer(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := c.serve(ctx); err != nil {
		return err
	}
	if err := c.psql(ctx, "postgres", "CREATE DATABASE "+template); err != nil {
		return err
	}
	return c.psql(ctx, template, "CREATE EXTENSION postgis")
}

// own gives the cluster's directory to the user the server runs as.
func (c *Cluster) own() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres user to run the server as (the postgresql package makes it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(c.dir, uid, gid)
}

// serve starts the server on the data directory, on a free port.
func (c *Cluster) serve(ctx context.Context) error {
	data := filepath.Join(c.dir, "data")
	// A port that was free a moment ago may be taken by the time the
	// server binds it: try a few.
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return err
		}
		opts := strings.Join([]string{
			"-c listen_addresses=127.0.0.1", "-p " + strconv.Itoa(port), "-k " + c.dir,
			// Durability is of no use to a cluster thrown away after the tests.
			"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
			"-c max_connections=200",
		}, " ")
		out, err := c.asServer(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			c.port = port
			break
		}
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	if c.port == 0 {
		return lastErr
	}
	return nil
}

// StartStandby starts a streaming replica of c, as a team would run one:
// a base backup of c (pg_basebackup -R) in a directory of its own,
// started on a free port as a hot standby. It has c's databases, read
// only, as c's writes reach it; its DSN names them. Stop it before c.
func (c *Cluster) StartStandby(ctx context.Context) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgtest-standby-")
	if err != nil {
		return nil, err
	}
	r := &Cluster{dir: dir}
	if err := r.own(); err != nil {
		r.stop()
		return nil, err
	}
	out, err := r.asServer(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres",
		"-D", filepath.Join(dir, "data"), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	if err != nil {
		r.stop()
		return nil, fmt.Errorf("pg_basebackup: %w\n%s", err, out)
	}
	if err := r.serve(ctx); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// Standby starts a streaming replica of c for one test, stopped when it
// ends.
func (c *Cluster) Standby(t testing.TB) *Cluster {
	t.Helper()
	r, err := c.StartStandby(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// asServer runs one of the server's programs as the user the cluster
// belongs to.
func (c *Cluster) asServer(ctx context.Context, prog string, args ...string) ([]byte, error) {
	path := filepath.Join(binDir, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *Cluster) psql(ctx context.Context, db, sql string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", db, "-c", sql)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("psql %q: %w\n%s", sql, err, out.Bytes())
	}
	return nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error { return c.stop() }

func (c *Cluster) stop() error {
	var err error
	if c.port != 0 {
		// immediate: nothing in it needs to outlive the tests.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, e := c.asServer(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); e != nil {
			err = fmt.Errorf("pg_ctl stop: %w\n%s", e, out)
		}
		c.port = 0
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// NewDatabase makes a fresh database with PostGIS and returns its
// connection string.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	c.mu.Lock()
	c.n++
	name := "test" + strconv.Itoa(c.n)
	c.mu.Unlock()
	if err := c.psql(ctx, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		return "", err
	}
	return c.DSN(name), nil
}

// DSN is the connection string of a database of the cluster.
func (c *Cluster) DSN(db string) string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(c.port) + "/" + db + "?sslmode=disable"
}

// SameDatabase is the connection string, on c, of the database dsn names
// on another cluster (a standby's of its primary's database).
func (c *Cluster) SameDatabase(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return c.DSN(strings.TrimPrefix(u.Path, "/"))
}

// Database is a fresh database for one test, on c.
func (c *Cluster) Database(t testing.TB) string {
	t.Helper()
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// New starts a cluster for one test, stopped when it ends, and returns a
// database's connection string. It fails the test, never skips it, when
// PostgreSQL or PostGIS is missing.
func New(t testing.TB) string {
	t.Helper()
	c, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c.Database(t)
}

// Main runs a package's tests on one shared cluster, which *c is set to:
// call it from TestMain as os.Exit(pgtest.Main(m, &cluster)). A cluster
// that cannot start fails the package.
func Main(m *testing.M, c **Cluster) int {
	cl, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	*c = cl
	code := m.Run()
	if err := cl.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
