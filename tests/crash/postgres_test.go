package crash

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/pgtest"
	"github.com/khorasan/khorasan/tests/testserver"
	"github.com/khorasan/khorasan/tests/teststore"
)

// The PostgreSQL tests share one throwaway cluster, a database each.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// pgRows is the size of the imports killed on PostgreSQL: at about 15,000
// rows a second, 20,000 rows give the kill a second to land in.
func pgRows() int {
	if full() {
		return 200_000
	}
	return 20_000
}

// psql runs one query on dsn and returns its unaligned output.
func psql(t *testing.T, dsn, query string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join("/usr/lib/postgresql", pgtest.Version, "bin", "psql"),
		"-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", query).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", query, err, out)
	}
	return strings.TrimSpace(string(out))
}

// session is what the database shows of the connections named app: how
// many there are, whether one is in a transaction that wrote, and the
// database's size on disk (which grows as the import's rows are written,
// committed or not).
func session(t *testing.T, dsn, app string) (conns int, writing bool, size int64) {
	t.Helper()
	out := psql(t, dsn, `SELECT count(*), count(backend_xid), pg_database_size(current_database()) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = '`+app+`'`)
	f := strings.Split(out, "|")
	if len(f) != 3 {
		t.Fatalf("pg_stat_activity: %q", out)
	}
	conns, _ = strconv.Atoi(f[0])
	xids, _ := strconv.Atoi(f[1])
	size, _ = strconv.ParseInt(f[2], 10, 64)
	return conns, xids > 0, size
}

// relations lists every table, index, sequence and view outside the
// system schemas: a killed import must leave none of its own.
func relations(t *testing.T, dsn string) string {
	t.Helper()
	return psql(t, dsn, `SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'i', 'S', 'v', 'm', 'p')`)
}

// snapshot is a layer as the database has it, to compare after a kill.
type snapshot struct {
	exists   bool
	layer    geo.Layer
	features []geo.Feature
}

func snap(t *testing.T, dsn, layer string) snapshot {
	t.Helper()
	s := teststore.Open(t, dsn)
	defer s.Close()
	l, err := s.Layer(context.Background(), layer)
	if err != nil {
		if errors.Is(err, geo.ErrNotFound) {
			return snapshot{}
		}
		t.Fatal(err)
	}
	return snapshot{exists: true, layer: l, features: teststore.Features(t, dsn, layer)}
}

// killPoint says when to kill: once the process is connected (reading
// the file, before it writes), or once its transaction has written the
// given share of the rows.
type killPoint struct {
	name  string
	share float64 // 0: once connected
}

// waitAndKill kills cmd at the point, watching the connections named app;
// base is the database's size before the import, perRow what a row takes
// on disk. It returns whether the import had finished first.
func waitAndKill(t *testing.T, cmd *exec.Cmd, done chan error, dsn, app string, at killPoint, rows int, base int64, perRow float64) bool {
	t.Helper()
	want := int64(at.share * float64(rows) * perRow)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-done:
			t.Logf("%s: the import finished before the kill (%v)", at.name, err)
			return err == nil
		default:
		}
		conns, writing, size := session(t, dsn, app)
		if at.share == 0 && conns > 0 || at.share > 0 && writing && size-base >= want {
			t.Logf("%s: killed with %d connections, writing %v, %d KiB of about %d KiB written", at.name, conns, writing, (size-base)>>10, int64(float64(rows)*perRow)>>10)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 2 minutes", at.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	return err == nil
}

// checkAfterKill: the layer is as it was, or wholly the import's (rows
// rows of v=1), and nothing else is left; finished forbids the former.
func checkAfterKill(t *testing.T, dsn, layer string, before snapshot, relsBefore string, finished bool, rows int) {
	t.Helper()
	after := snap(t, dsn, layer)
	ones := 0
	for _, f := range after.features {
		if v, _ := f.Properties["v"].(int64); v == 1 {
			ones++
		}
	}
	switch {
	case after.exists && len(after.features) == rows && ones == rows:
		t.Log("the import had committed")
	case reflect.DeepEqual(after, before):
		if finished {
			t.Error("the import said it finished, but the layer is as it was")
		}
		if rels := relations(t, dsn); rels != relsBefore {
			t.Errorf("the killed import left relations behind:\nbefore %s\nafter  %s", relsBefore, rels)
		}
	case !after.exists:
		t.Errorf("layer %s is gone (it existed before: %v)", layer, before.exists)
	default:
		t.Errorf("half an import: layer %s has %d features (%d of the new value); before it had %d (exists %v)",
			layer, len(after.features), ones, len(before.features), before.exists)
	}
}

// An import on PostgreSQL killed before it writes, while it writes and
// late leaves the layer absent or exactly as it was, and the database
// takes the next import.
func TestKillDuringImportOnPostgres(t *testing.T) {
	bin := testserver.Build(t)
	dir := t.TempDir()
	rows := pgRows()
	small, big := filepath.Join(dir, "small.csv"), filepath.Join(dir, "big.csv")
	writeCSV(t, small, 1000, 0)
	writeCSV(t, big, rows, 1)
	for _, tc := range []struct {
		mode  string
		layer string // "events" has the small file's 1000 rows
		at    killPoint
	}{
		{"create", "fresh", killPoint{"while-writing", 0.3}},
		{"replace", "events", killPoint{"before-writing", 0}},
		{"replace", "events", killPoint{"late", 0.8}},
		{"upsert", "events", killPoint{"while-writing", 0.3}},
	} {
		t.Run(tc.mode+"-"+tc.at.name, func(t *testing.T) {
			dsn := cluster.Database(t)
			if out, err := exec.Command(bin, "import", "--db", dsn, "--layer", "events", "--mode", "create", small).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			perRow := float64(bytesOf(t, dsn, "events")) / 1000
			before, rels := snap(t, dsn, tc.layer), relations(t, dsn)
			const app = "killed-import"
			_, _, base := session(t, dsn, app)
			cmd := exec.Command(bin, "import", "--db", dsn+"&application_name="+app, "--layer", tc.layer, "--mode", tc.mode, big)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			finished := waitAndKill(t, cmd, done, dsn, app, tc.at, rows, base, perRow)
			checkAfterKill(t, dsn, tc.layer, before, rels, finished, rows)
			// The database takes the next imports: the killed one's locks
			// are gone with its connection.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for _, args := range [][]string{
				{"--layer", tc.layer, "--mode", "replace", small},
				{"--layer", "after", "--mode", "create", small},
			} {
				if out, err := exec.CommandContext(ctx, bin, append([]string{"import", "--db", dsn}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("an import after the kill: %v\n%s", err, out)
				}
			}
			for _, l := range []string{tc.layer, "after"} {
				if n := teststore.Count(t, dsn, l, geo.Query{}); n != 1000 {
					t.Errorf("after the kill, a new import of %s has %d features", l, n)
				}
			}
		})
	}
}

// bytesOf is what a table's rows take on disk (without its indexes, which
// a new layer gets only as it commits).
func bytesOf(t *testing.T, dsn, table string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(psql(t, dsn, fmt.Sprintf(`SELECT pg_table_size('%q')`, table)), 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("the size of %s: %d %v", table, n, err)
	}
	return n
}

// A serve on PostgreSQL killed while it imports an upload leaves the
// layer absent or as it was, and a server started again on the database
// takes the next upload.
func TestKillServeDuringHTTPImportOnPostgres(t *testing.T) {
	bin := testserver.Build(t)
	dir := t.TempDir()
	rows := pgRows()
	small, big := filepath.Join(dir, "small.csv"), filepath.Join(dir, "big.csv")
	writeCSV(t, small, 1000, 0)
	writeCSV(t, big, rows, 1)
	body, err := os.ReadFile(big)
	if err != nil {
		t.Fatal(err)
	}
	smallBody, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ mode, layer string }{
		{"replace", "events"},
		{"create", "fresh"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dsn := cluster.Database(t)
			// A database with a layer is not seeded: serve starts at once.
			if out, err := exec.Command(bin, "import", "--db", dsn, "--layer", "events", "--mode", "create", small).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			perRow := float64(bytesOf(t, dsn, "events")) / 1000
			before, rels := snap(t, dsn, tc.layer), relations(t, dsn)
			const app = "killed-serve"
			url, cmd := startServe(t, bin, dsn+"&application_name="+app)
			_, _, base := session(t, dsn, app)
			done := make(chan error, 1)
			go func() {
				req, _ := http.NewRequest("POST", url+"/api/collections/"+tc.layer+"/items?mode="+tc.mode, strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "text/csv")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
					if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				done <- err
			}()
			finished := waitAndKill(t, cmd, done, dsn, app, killPoint{"while-writing", 0.3}, rows, base, perRow)
			cmd.Process.Kill() // when the upload finished first
			checkAfterKill(t, dsn, tc.layer, before, rels, finished, rows)
			url, _ = startServe(t, bin, dsn)
			req, _ := http.NewRequest("POST", url+"/api/collections/"+tc.layer+"/items?mode=replace", strings.NewReader(string(smallBody)))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			// 201 when the upload made the layer.
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
				t.Fatalf("an upload after the kill: %d", res.StatusCode)
			}
			if n := teststore.Count(t, dsn, tc.layer, geo.Query{}); n != 1000 {
				t.Errorf("after the kill, a new upload of %s has %d features", tc.layer, n)
			}
		})
	}
}
