// Package instances runs two khorasan serve processes on one PostgreSQL
// database, as behind a load balancer: a write through one is seen by the
// other's items at once and by its tiles and cached responses within a
// second, and If-Match increments through both lose no update.
//
// make test runs 2 instances × 4 writers of 5 increments each;
// KHORASAN_FULL=1 makes it 25 each.
package instances

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/khorasan/khorasan/internal/pgtest"
	"github.com/khorasan/khorasan/tests/testserver"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

const token = "instances-test-token-0123456789"

// seen is how long a write may take to reach the other instance's tiles
// and cached responses (issue 13).
const seen = time.Second

// where every feature of the test layer is, and the tile that holds it.
var (
	where = orb.Point{69.17, 34.53}
	tile  = maptile.At(where, 8)
)

var client = &http.Client{Timeout: 30 * time.Second}

// do sends one request; header is name, value, name, value…
func do(t *testing.T, method, url, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res.StatusCode, res.Header, data
}

func auth(contentType string) []string {
	return []string{"Authorization", "Bearer " + token, "Content-Type", contentType}
}

// within polls ok every few milliseconds until it holds, and fails the
// test when it does not within d; it returns how long it took.
func within(t *testing.T, d time.Duration, what string, ok func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		good, state := ok()
		if good {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Errorf("%s: not seen within %v; last seen %s", what, d, state)
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type feature struct {
	ID         string         `json:"id"`
	Geometry   map[string]any `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// item is one feature as an instance serves it, and whether it has it.
func item(t *testing.T, base, id string) (feature, bool) {
	t.Helper()
	status, _, body := do(t, "GET", base+"/api/collections/load/items/"+id, "")
	if status == http.StatusNotFound {
		return feature{}, false
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", id, status, body)
	}
	var f feature
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	return f, true
}

// items is the layer's features by id, from one items URL of an instance.
func items(t *testing.T, url string) map[string]feature {
	t.Helper()
	status, _, body := do(t, "GET", url, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	var fc struct{ Features []feature }
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatal(err)
	}
	out := map[string]feature{}
	for _, f := range fc.Features {
		out[f.ID] = f
	}
	return out
}

// tileFeatures is the test layer's features in an instance's vector tile,
// their properties by id (the tile carries the string id as "id").
func tileFeatures(t *testing.T, base string) map[string]map[string]any {
	t.Helper()
	url := fmt.Sprintf("%s/tiles/load/%d/%d/%d.mvt", base, tile.Z, tile.X, tile.Y)
	status, _, body := do(t, "GET", url, "")
	out := map[string]map[string]any{}
	if status == http.StatusNoContent {
		return out
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	for _, l := range layers {
		for _, f := range l.Features {
			id, _ := f.Properties["id"].(string)
			out[id] = f.Properties
		}
	}
	return out
}

// number reads a JSON or MVT number property.
func number(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return -1
}

// TestTwoInstances starts two servers on one database and writes through
// the first, then through both at once.
func TestTwoInstances(t *testing.T) {
	bin := testserver.Build(t)
	dsn := pgtest.New(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("writer:"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(dir, "seed.csv")
	csv := "id,lat,lon,n,note\n"
	for _, id := range []string{"patched", "counter"} {
		csv += fmt.Sprintf("%s,%v,%v,0,seed\n", id, where.Lat(), where.Lon())
	}
	if err := os.WriteFile(seed, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "import", "--db", dsn, "--layer", "load", "--mode", "create", seed).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	a := testserver.Start(t, bin, dsn, "--token-file", tokens)
	b := testserver.Start(t, bin, dsn, "--token-file", tokens)
	cached := b.URL + "/api/collections/load/items?limit=1000"

	// Each write goes through a; then b's item, a list b never served,
	// the list b has cached and b's tile must show it.
	limit := 900 // a different limit is a request b has not cached
	write := func(t *testing.T, what string, send func(), show func(feature) bool) {
		t.Helper()
		// b serves (and caches) the list and the tile before the write.
		before := items(t, cached)
		beforeTile := tileFeatures(t, b.URL)
		send()
		for id, f := range before {
			if show(f) {
				t.Fatalf("the list showed %s before the write (%v)", id, f)
			}
		}
		for id, p := range beforeTile {
			if show(feature{ID: id, Properties: p}) {
				t.Fatalf("the tile showed %s before the write (%v)", id, p)
			}
		}
		limit--
		fresh := items(t, fmt.Sprintf("%s/api/collections/load/items?limit=%d", b.URL, limit))
		if !anyShows(fresh, show) {
			t.Errorf("%s: the other instance's items do not show it at once", what)
		}
		tookList := within(t, seen, what+" in the other instance's cached items", func() (bool, string) {
			got := items(t, cached)
			return anyShows(got, show), fmt.Sprint(got)
		})
		tookTile := within(t, seen, what+" in the other instance's vector tile", func() (bool, string) {
			got := tileFeatures(t, b.URL)
			fs := map[string]feature{}
			for id, p := range got {
				fs[id] = feature{ID: id, Properties: p}
			}
			return anyShows(fs, show), fmt.Sprint(got)
		})
		t.Logf("%s: in b's cached items after %v, in its tile after %v", what, tookList.Round(time.Millisecond), tookTile.Round(time.Millisecond))
	}

	t.Run("a POST through one is seen through the other", func(t *testing.T) {
		body := fmt.Sprintf(`{"type":"Feature","id":"posted","geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"n":7,"note":"posted"}}`, where.Lon(), where.Lat())
		write(t, "the POST", func() {
			if status, _, body := do(t, "POST", a.URL+"/api/collections/load/items", body, auth("application/geo+json")...); status != http.StatusCreated {
				t.Fatalf("POST: %d %s", status, body)
			}
			if f, ok := item(t, b.URL, "posted"); !ok || number(f.Properties["n"]) != 7 {
				t.Errorf("the other instance does not serve the new feature at once: %v %v", ok, f)
			}
		}, func(f feature) bool { return f.ID == "posted" && f.Properties["note"] == "posted" })
	})

	t.Run("a PATCH through one is seen through the other", func(t *testing.T) {
		write(t, "the PATCH", func() {
			if status, _, body := do(t, "PATCH", a.URL+"/api/collections/load/items/patched", `{"properties":{"n":42,"note":"patched"}}`, auth("application/merge-patch+json")...); status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", status, body)
			}
			if f, _ := item(t, b.URL, "patched"); number(f.Properties["n"]) != 42 {
				t.Errorf("the other instance does not serve the change at once: %v", f)
			}
		}, func(f feature) bool { return f.ID == "patched" && number(f.Properties["n"]) == 42 })
	})

	t.Run("an import over HTTP through one is seen through the other", func(t *testing.T) {
		var rows strings.Builder
		rows.WriteString("id,lat,lon,n,note\n")
		const imported = 5
		for i := range imported {
			fmt.Fprintf(&rows, "imported-%d,%v,%v,%d,imported\n", i, where.Lat(), where.Lon(), i)
		}
		write(t, "the import", func() {
			if status, _, body := do(t, "POST", a.URL+"/api/collections/load/items?mode=append", rows.String(), auth("text/csv")...); status != http.StatusOK {
				t.Fatalf("import: %d %s", status, body)
			}
			for i := range imported {
				if _, ok := item(t, b.URL, fmt.Sprintf("imported-%d", i)); !ok {
					t.Errorf("the other instance does not serve imported-%d at once", i)
				}
			}
		}, func(f feature) bool { return f.ID == "imported-4" && f.Properties["note"] == "imported" })
		// The whole import, not only its last row, in every view of b.
		all := func(fs map[string]feature) bool {
			for i := range imported {
				if _, ok := fs[fmt.Sprintf("imported-%d", i)]; !ok {
					return false
				}
			}
			return true
		}
		if got := items(t, cached); !all(got) {
			t.Errorf("b's items have part of the import: %v", got)
		}
		inTile := map[string]feature{}
		for id, p := range tileFeatures(t, b.URL) {
			inTile[id] = feature{ID: id, Properties: p}
		}
		if !all(inTile) {
			t.Errorf("b's tile has part of the import: %v", inTile)
		}
	})

	t.Run("2 instances × 4 writers of If-Match increments lose no update", func(t *testing.T) {
		increments(t, bin, dsn, a.URL, b.URL)
	})
}

func anyShows(fs map[string]feature, show func(feature) bool) bool {
	for _, f := range fs {
		if show(f) {
			return true
		}
	}
	return false
}

// increments runs 4 writers per instance, each reading the counter from
// its instance and writing it back, plus one, through either (PATCH or
// PUT with If-Match, read again on 412), until it has written perWriter
// times.
func increments(t *testing.T, bin, dsn string, urls ...string) {
	perWriter := 5
	if os.Getenv("KHORASAN_FULL") != "" {
		perWriter = 25
	}
	const writersPerInstance = 4
	writers := writersPerInstance * len(urls)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	retries := make([]int, writers)
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			home := urls[w%len(urls)]
			for i, done := 0, 0; done < perWriter; i++ {
				if i > 50*perWriter {
					fail("writer %d: %d attempts for %d writes", w, i, done)
					return
				}
				req, _ := http.NewRequest("GET", home+"/api/collections/load/items/counter", nil)
				res, err := client.Do(req)
				if err != nil {
					fail("writer %d: %v", w, err)
					return
				}
				var f feature
				err = json.NewDecoder(res.Body).Decode(&f)
				res.Body.Close()
				etag := res.Header.Get("ETag")
				if err != nil || res.StatusCode != http.StatusOK || etag == "" {
					fail("writer %d: read %d %q %v", w, res.StatusCode, etag, err)
					return
				}
				// Half the writes go through the instance it did not read.
				to := urls[(w+i)%len(urls)] + "/api/collections/load/items/counter"
				n := int64(number(f.Properties["n"]))
				var body, method, ctype string
				if w%2 == 0 {
					method, ctype = "PATCH", "application/merge-patch+json"
					body = fmt.Sprintf(`{"properties":{"n":%d}}`, n+1)
				} else {
					method, ctype = "PUT", "application/geo+json"
					f.Properties["n"] = n + 1
					b, _ := json.Marshal(map[string]any{"type": "Feature", "id": f.ID, "geometry": f.Geometry, "properties": f.Properties})
					body = string(b)
				}
				req, _ = http.NewRequest(method, to, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", ctype)
				req.Header.Set("If-Match", etag)
				res, err = client.Do(req)
				if err != nil {
					fail("writer %d: %v", w, err)
					return
				}
				msg, _ := io.ReadAll(res.Body)
				res.Body.Close()
				switch res.StatusCode {
				case http.StatusOK:
					done++
				case http.StatusPreconditionFailed:
					retries[w]++
				default:
					fail("writer %d: %s %d %s", w, method, res.StatusCode, msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	want := int64(writers * perWriter)
	total := 0
	for _, r := range retries {
		total += r
	}
	t.Logf("%d writers × %d increments in %v, %d retried on 412", writers, perWriter, time.Since(start).Round(time.Millisecond), total)
	for _, u := range urls {
		if f, _ := item(t, u, "counter"); int64(number(f.Properties["n"])) != want {
			t.Errorf("%s: the counter is %v after %d acknowledged increments: updates were lost", u, f.Properties["n"], want)
		}
	}
	// One audit entry per write, through the API of each instance and the
	// command line, each writing the next value.
	for _, u := range urls {
		status, _, body := do(t, "GET", u+"/api/history?layer=load&feature=counter&limit=10000", "", "Authorization", "Bearer "+token)
		if status != http.StatusOK {
			t.Fatalf("history: %d %s", status, body)
		}
		var h struct{ Entries []entry }
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatal(err)
		}
		checkHistory(t, u, h.Entries, want)
	}
	out, err := exec.Command(bin, "history", "--db", dsn, "--layer", "load", "--feature", "counter", "--limit", "10000", "--json").Output()
	if err != nil {
		t.Fatalf("khorasan history: %v", err)
	}
	var es []entry
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var e entry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	checkHistory(t, "khorasan history", es, want)
}

type entry struct {
	Action string
	Actor  string
	Old    *feature
	New    *feature
}

// checkHistory: want updates, newest first, the k-th from k-1 to k.
func checkHistory(t *testing.T, from string, es []entry, want int64) {
	t.Helper()
	if int64(len(es)) != want {
		t.Errorf("%s: %d audit entries for %d writes", from, len(es), want)
	}
	var after []int64
	for _, e := range es {
		if e.Action != "update" || e.Actor != "writer" || e.Old == nil || e.New == nil {
			t.Errorf("%s: entry %+v", from, e)
			continue
		}
		old, cur := int64(number(e.Old.Properties["n"])), int64(number(e.New.Properties["n"]))
		if cur != old+1 {
			t.Errorf("%s: an entry from n=%d to n=%d", from, old, cur)
		}
		after = append(after, cur)
	}
	slices.Reverse(after)
	for i, n := range after {
		if n != int64(i+1) {
			t.Errorf("%s: the writes' values, oldest first, are %v; want 1…%d", from, after, want)
			break
		}
	}
}
