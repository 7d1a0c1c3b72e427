// Package concurrency runs readers and writers against a real khorasan
// serve at once: no client ever sees "database is locked" or another 5xx,
// no update is lost (compare-and-set increments with If-Match), and no
// reader sees half an import (every import is a batch whose features are
// all there or none).
//
// make test runs 16 readers and 4 writers for 8 seconds. The full run,
// 32 readers and 4 writers for 60 seconds, is
//
//	KHORASAN_LOAD_READERS=32 KHORASAN_LOAD_WRITERS=4 KHORASAN_LOAD_SECONDS=60 go test ./tests/concurrency
//
// (bench/import.sh runs it).
package concurrency

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/khorasan/khorasan/tests/testserver"
)

const token = "load-test-token-0123456789abcdef"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

type result struct {
	mu       sync.Mutex
	problems []string
}

func (r *result) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < 20 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

func TestReadersAndWriters(t *testing.T) {
	readers := envInt("KHORASAN_LOAD_READERS", 16)
	writers := envInt("KHORASAN_LOAD_WRITERS", 4)
	seconds := envInt("KHORASAN_LOAD_SECONDS", 8)
	const batch = 40

	bin := testserver.Build(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "load.gpkg")
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("loader:"+token+"\n"), 0o600)
	seed := filepath.Join(dir, "seed.csv")
	var b strings.Builder
	b.WriteString("id,lat,lon,n,batch\n")
	for w := range writers {
		fmt.Fprintf(&b, "counter-%d,34,69,0,-1\n", w)
	}
	b.WriteString("shared,34,69,0,-1\n")
	os.WriteFile(seed, []byte(b.String()), 0o644)
	if out, err := exec(bin, "import", "--db", db, "--layer", "load", "--mode", "create", seed); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	srv := testserver.Start(t, bin, db, "--token-file", tokens)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: readers + writers}}
	do := func(method, url, body string, header ...string) (int, http.Header, []byte, error) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, data, err
	}
	var res result
	check := func(what string, status int, body []byte, err error, ok ...int) bool {
		if err != nil {
			res.fail("%s: %v", what, err)
			return false
		}
		if strings.Contains(string(body), "locked") || strings.Contains(string(body), "busy") {
			res.fail("%s: %d %s", what, status, body)
			return false
		}
		for _, o := range ok {
			if status == o {
				return true
			}
		}
		res.fail("%s: status %d %.200s", what, status, body)
		return false
	}

	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	var increments, retries, batches, reads atomic.Int64
	ackedBatches := sync.Map{}
	item := srv.URL + "/api/collections/load/items/"
	// Writers: compare-and-set increments of a shared counter (If-Match,
	// retried on 412) and of their own; writer 0 also imports batches.
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				if w == 0 && i%4 == 0 {
					id := int(batches.Add(1))
					var fc strings.Builder
					fc.WriteString(`{"type":"FeatureCollection","features":[`)
					for k := range batch {
						if k > 0 {
							fc.WriteByte(',')
						}
						fmt.Fprintf(&fc, `{"type":"Feature","id":"b%d-%d","geometry":{"type":"Point","coordinates":[%d.5,%d.5]},"properties":{"n":%d,"batch":%d}}`, id, k, 60+k%10, 30+k%10, k, id)
					}
					fc.WriteString("]}")
					status, _, body, err := do("POST", srv.URL+"/api/collections/load/items?mode=append", fc.String(),
						"Authorization", "Bearer "+token, "Content-Type", "application/geo+json")
					if check("import", status, body, err, 200) {
						ackedBatches.Store(id, true)
					}
					continue
				}
				target := "shared"
				if i%2 == 1 {
					target = fmt.Sprintf("counter-%d", w)
				}
				for {
					status, h, body, err := do("GET", item+target, "", "Accept-Encoding", "gzip")
					if !check("read for update", status, body, err, 200) {
						return
					}
					var f struct {
						Properties struct{ N int64 } `json:"properties"`
					}
					// The body may be gzipped: read n from a plain GET instead.
					if h.Get("Content-Encoding") == "gzip" {
						status, h, body, err = do("GET", item+target, "")
						if !check("read for update", status, body, err, 200) {
							return
						}
					}
					json.Unmarshal(body, &f)
					status, _, body, err = do("PATCH", item+target, fmt.Sprintf(`{"properties":{"n":%d}}`, f.Properties.N+1),
						"Authorization", "Bearer "+token, "Content-Type", "application/merge-patch+json", "If-Match", h.Get("ETag"))
					if err == nil && status == http.StatusPreconditionFailed {
						retries.Add(1)
						continue
					}
					if check("increment", status, body, err, 200) {
						increments.Add(1)
					}
					break
				}
			}
		}()
	}
	// Readers: pages of the layer, single features, collections and tiles;
	// every batch they see is whole.
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				var url string
				switch i % 4 {
				case 0, 1:
					url = srv.URL + "/api/collections/load/items?limit=10000"
				case 2:
					url = item + "shared"
				default:
					url = srv.URL + fmt.Sprintf("/tiles/load/%d/%d/%d.mvt", 3, 5+r%2, 3)
				}
				status, _, body, err := do("GET", url, "")
				if !check("GET "+url, status, body, err, 200, 204) {
					continue
				}
				reads.Add(1)
				if i%4 > 1 {
					continue
				}
				var fc struct {
					Features []struct {
						Properties struct{ Batch int } `json:"properties"`
					} `json:"features"`
				}
				if err := json.Unmarshal(body, &fc); err != nil {
					res.fail("items: %v", err)
					continue
				}
				seen := map[int]int{}
				for _, f := range fc.Features {
					if f.Properties.Batch > 0 {
						seen[f.Properties.Batch]++
					}
				}
				for id, n := range seen {
					if n != batch {
						res.fail("a reader saw %d of the %d features of import %d", n, batch, id)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d readers, %d writers, %d s: %d reads, %d increments (%d retried on 412), %d imports",
		readers, writers, seconds, reads.Load(), increments.Load(), retries.Load(), batches.Load())
	for _, p := range res.problems {
		t.Error(p)
	}
	// No lost update: the counters add up to the acknowledged increments.
	var total int64
	for _, id := range append([]string{"shared"}, counters(writers)...) {
		_, _, body, err := do("GET", item+id, "")
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Properties struct{ N int64 } `json:"properties"`
		}
		json.Unmarshal(body, &f)
		total += f.Properties.N
	}
	if total != increments.Load() {
		t.Errorf("counters sum to %d, but %d increments were acknowledged: updates were lost", total, increments.Load())
	}
	// Every acknowledged import is whole.
	status, _, body, err := do("GET", srv.URL+"/api/collections/load/items?limit=10000", "")
	if err != nil || status != 200 {
		t.Fatal(status, err)
	}
	var fc struct {
		Features []struct {
			Properties struct{ Batch int } `json:"properties"`
		} `json:"features"`
	}
	json.Unmarshal(body, &fc)
	seen := map[int]int{}
	for _, f := range fc.Features {
		seen[f.Properties.Batch]++
	}
	ackedBatches.Range(func(k, _ any) bool {
		if seen[k.(int)] != batch {
			t.Errorf("acknowledged import %d has %d features", k, seen[k.(int)])
		}
		return true
	})
	if reads.Load() == 0 || increments.Load() == 0 {
		t.Error("the load did not run")
	}
}

func counters(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("counter-%d", i)
	}
	return out
}

func exec(bin string, args ...string) ([]byte, error) {
	return osexec.Command(bin, args...).CombinedOutput()
}
