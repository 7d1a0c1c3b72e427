// Package crash kills khorasan with SIGKILL in the middle of a large
// import and of a burst of edits, then checks the GeoPackage: SQLite's
// integrity check passes, GDAL opens it, every acknowledged write is there
// and no unacknowledged one is half there. On PostgreSQL (postgres_test.go)
// a killed import, of the command or of serve, leaves no half layer and
// the database takes the next one.
//
// make test runs a scaled-down version; KHORASAN_FULL=1 (bench/import.sh)
// imports a million rows (200,000 on PostgreSQL).
package crash

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/tests/testserver"
)

func full() bool { return os.Getenv("KHORASAN_FULL") != "" }

// writeCSV writes n rows with ids 0..n-1 and the value v.
func writeCSV(t *testing.T, path string, n, v int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,lat,lon,v,note")
	rng := rand.New(rand.NewPCG(uint64(n), uint64(v)))
	for i := range n {
		fmt.Fprintf(w, "r%d,%.5f,%.5f,%d,row %d of a file that is killed while it is imported\n", i, 24+rng.Float64()*20, 44+rng.Float64()*36, v, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// checkFile is what every crash must leave: a file that passes SQLite's
// integrity check and opens in GDAL.
func checkFile(t *testing.T, db string) {
	t.Helper()
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo not found: install gdal-bin (make deps)")
	}
	// GDAL first, as an analyst would open the file after the crash (it
	// recovers the WAL, as SQLite does for any opener).
	out, err := exec.Command(ogrinfo, "-so", "-al", db).CombinedOutput()
	if err != nil || strings.Contains(string(out), "ERROR") {
		t.Errorf("ogrinfo after the crash: %v\n%s", err, out)
	}
	s, err := gpkg.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("after the crash: %v", err)
	}
}

func values(t *testing.T, db, layer string) map[string]int64 {
	t.Helper()
	s, err := gpkg.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string]int64{}
	err = s.Features(context.Background(), layer, geo.Query{}, func(f geo.Feature) error {
		v, _ := f.Properties["v"].(int64)
		out[f.ID] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An import killed at any point leaves the layer as it was, or wholly
// replaced, never in between.
func TestKillDuringImport(t *testing.T) {
	bin := testserver.Build(t)
	dir := t.TempDir()
	rows := 200_000
	if full() {
		rows = 1_000_000
	}
	small, big := filepath.Join(dir, "small.csv"), filepath.Join(dir, "big.csv")
	writeCSV(t, small, 1000, 0)
	writeCSV(t, big, rows, 1)
	// Kill early (checking the file), in the middle (writing), and late.
	for i, after := range []time.Duration{300 * time.Millisecond, 0, -1} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "crash.gpkg")
			if out, err := exec.Command(bin, "import", "--db", db, "--layer", "events", "--mode", "create", small).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			cmd := exec.Command(bin, "import", "--db", db, "--layer", "events", "--mode", "upsert", big)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			switch {
			case after > 0:
				time.Sleep(after)
			case after == 0:
				// Once the second pass writes: the WAL grows.
				waitFor(t, func() bool {
					fi, err := os.Stat(db + "-wal")
					return err == nil && fi.Size() > 4<<20
				}, done)
			default:
				waitFor(t, func() bool {
					fi, err := os.Stat(db + "-wal")
					return err == nil && fi.Size() > 16<<20
				}, done)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			finished := err == nil
			t.Logf("killed after the import finished: %v (%v)", finished, err)
			checkFile(t, db)
			v := values(t, db, "events")
			ones, zeros := 0, 0
			for _, x := range v {
				if x == 1 {
					ones++
				} else {
					zeros++
				}
			}
			switch {
			case len(v) == 1000 && zeros == 1000:
				if finished {
					t.Error("the import said it finished, but its rows are not there")
				}
			case len(v) == rows && ones == rows:
			default:
				t.Errorf("half an import: %d rows, %d of the new value, %d of the old", len(v), ones, zeros)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool, done chan error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const token = "crash-test-token-0123456789"

// startServe runs serve on db with writes on, and returns its URL and
// process (to kill); env adds to its environment.
func startServe(t *testing.T, bin, db string, env ...string) (string, *exec.Cmd) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("crasher:"+token+"\n"), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--token-file", tokens)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get(url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return url, cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A burst of edits from several clients, cut by SIGKILL: every edit the
// server acknowledged is there after a restart, and none is half there
// (each edit sets two properties to the same value).
func TestKillDuringEdits(t *testing.T) {
	bin := testserver.Build(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "edits.gpkg")
	var b strings.Builder
	b.WriteString("id,lat,lon,a,b\n")
	const clients, perClient = 4, 5
	for c := range clients {
		for k := range perClient {
			fmt.Fprintf(&b, "c%d-%d,%d,%d,0,0\n", c, k, 30+c, 60+k)
		}
	}
	seed := filepath.Join(dir, "seed.csv")
	os.WriteFile(seed, []byte(b.String()), 0o644)
	if out, err := exec.Command(bin, "import", "--db", db, "--layer", "pairs", "--mode", "create", seed).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	url, cmd := startServe(t, bin, db)

	var mu sync.Mutex
	acked := map[string]int{}   // feature → last acknowledged value
	created := map[string]int{} // id → value of acknowledged creations
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var req *http.Request
				id := fmt.Sprintf("c%d-%d", c, i%perClient)
				if i%3 == 0 {
					id = fmt.Sprintf("new-%d-%d", c, i)
					body := fmt.Sprintf(`{"type":"Feature","id":%q,"geometry":{"type":"Point","coordinates":[%d,%d]},"properties":{"a":%d,"b":%d}}`, id, 60+c, 30, i, i)
					req, _ = http.NewRequest("POST", url+"/api/collections/pairs/items", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/geo+json")
				} else {
					body := fmt.Sprintf(`{"properties":{"a":%d,"b":%d}}`, i, i)
					req, _ = http.NewRequest("PATCH", url+"/api/collections/pairs/items/"+id, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/merge-patch+json")
				}
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				mu.Lock()
				switch {
				case res.StatusCode == 200:
					acked[id] = i
				case res.StatusCode == 201:
					created[id] = i
				default:
					t.Errorf("%s %s: %d", req.Method, id, res.StatusCode)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	t.Logf("acknowledged %d updates and %d creations before the kill", len(acked), len(created))
	if len(acked) == 0 {
		t.Fatal("no edit was acknowledged before the kill")
	}
	checkFile(t, db)
	s, err := gpkg.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{}
	s.Features(context.Background(), "pairs", geo.Query{}, func(f geo.Feature) error {
		a, _ := f.Properties["a"].(int64)
		b, _ := f.Properties["b"].(int64)
		got[f.ID] = [2]int64{a, b}
		return nil
	})
	s.Close()
	for id, ab := range got {
		if ab[0] != ab[1] {
			t.Errorf("%s is half written: a=%d b=%d", id, ab[0], ab[1])
		}
	}
	for id, v := range acked {
		// The last acknowledged value, or a later one whose answer the
		// kill cut off.
		if got[id][0] < int64(v) {
			t.Errorf("%s: acknowledged %d, found %d", id, v, got[id][0])
		}
	}
	for id, v := range created {
		if ab, ok := got[id]; !ok || ab[0] != int64(v) {
			t.Errorf("acknowledged creation %s is missing (%v)", id, ab)
		}
	}
	// The server starts again on the file, and its history is whole.
	url, _ = startServe(t, bin, db)
	res, err := http.Get(url + "/api/collections/pairs/items?limit=10000")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after restart: %v %v", res, err)
	}
	var fc struct{ Features []json.RawMessage }
	json.NewDecoder(res.Body).Decode(&fc)
	res.Body.Close()
	if len(fc.Features) != len(got) {
		t.Errorf("served %d features, the file has %d", len(fc.Features), len(got))
	}
}
