package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
)

// pointsStore is a real GeoPackage with a layer "points" of n synthetic
// points (a deterministic scatter over 44..80 E, 24..44 N; test data
// only), each with a note of noteBytes characters.
func pointsStore(t *testing.T, n, noteBytes int) *gpkg.Store {
	t.Helper()
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "points.gpkg"), gpkg.WithDataset(defaultDataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var csv strings.Builder
	csv.WriteString("id,latitude,longitude,killed,note\n")
	note := strings.Repeat("x", noteBytes)
	for i := range n {
		fmt.Fprintf(&csv, "p%d,%.5f,%.5f,%d,%s\n", i, 24+float64(i*7919%100_000)/5000, 44+float64(i*104729%100_000)/2778, i%60, note)
	}
	doc := csv.String()
	src := ingest.Source{Name: "points.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(doc)), nil }}
	if _, err := store.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "points"}, Mode: ingest.ModeReplace}); err != nil {
		t.Fatal(err)
	}
	return store
}

func quietServer(cfg Config, store Store) *Server {
	cfg.Static = fstest.MapFS{}
	return New(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// circleFilter is S_INTERSECTS with a polygon of n vertices over most of
// pointsStore's points.
func circleFilter(n int) string {
	var b strings.Builder
	b.WriteString("S_INTERSECTS(geometry, POLYGON((")
	for i := range n + 1 {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%.6f %.6f", 62+15*math.Cos(a), 34+9*math.Sin(a))
	}
	b.WriteString(")))")
	return b.String()
}

// countingStore is the real store, counting the features it hands out,
// and failing after failAfter of them when that is set (a disk error
// half way through a page).
type countingStore struct {
	*gpkg.Store
	delivered atomic.Int64
	failAfter atomic.Int64
}

func (c *countingStore) Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error {
	return c.Store.Features(ctx, layer, q, func(f geo.Feature) error {
		if n := c.delivered.Add(1); n == c.failAfter.Load() {
			return errors.New("disk I/O error")
		}
		return fn(f)
	})
}

// streamRecorder is the connection's end of a response: it notes how
// many features the store had handed out when the first byte arrived,
// and the largest single write.
type streamRecorder struct {
	header       http.Header
	status       int
	body         strings.Builder
	store        *countingStore
	firstAt      int64
	largestWrite int
}

func (s *streamRecorder) Header() http.Header { return s.header }
func (s *streamRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
}
func (s *streamRecorder) Flush() {}
func (s *streamRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.body.Len() == 0 {
		s.firstAt = s.store.delivered.Load()
	}
	s.largestWrite = max(s.largestWrite, len(p))
	return s.body.Write(p)
}

// TestItemsStreamWithBoundedMemory: a 10,000-feature page of 11 MB is
// sent while it is read, not held: its first bytes leave before the
// store has handed out a quarter of the features, and no write (so no
// buffer) is much over keepBytes, whatever the limit. Small pages keep
// their ETag (the golden tests hold their bytes).
func TestItemsStreamWithBoundedMemory(t *testing.T) {
	const n, note = 10_000, 1000
	store := &countingStore{Store: pointsStore(t, n, note)}
	s := quietServer(Config{}, store)
	countJSON := func(t *testing.T, body io.Reader) int {
		var doc struct {
			Features       []json.RawMessage
			NumberReturned int
		}
		if err := json.NewDecoder(body).Decode(&doc); err != nil {
			t.Fatalf("the streamed body is not JSON: %v", err)
		}
		if doc.NumberReturned != len(doc.Features) {
			t.Errorf("numberReturned %d for %d features", doc.NumberReturned, len(doc.Features))
		}
		return len(doc.Features)
	}
	countText := func(sep string) func(*testing.T, io.Reader) int {
		return func(t *testing.T, body io.Reader) int {
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if sep == "\n" {
				return strings.Count(string(b), sep) - 1 // the header line
			}
			if !strings.HasSuffix(string(b), "</kml>") {
				t.Errorf("the KML does not end: %q", b[max(0, len(b)-50):])
			}
			return strings.Count(string(b), sep)
		}
	}
	for _, c := range []struct {
		name, format, enc string
		count             func(*testing.T, io.Reader) int
	}{
		{"GeoJSON", "json", "identity", countJSON},
		{"GeoJSON gzipped", "json", "gzip", countJSON},
		{"CSV", "csv", "identity", countText("\n")},
		{"KML", "kml", "identity", countText("<Placemark>")},
	} {
		t.Run(c.name, func(t *testing.T) {
			store.delivered.Store(0)
			rec := &streamRecorder{header: http.Header{}, store: store}
			req := httptest.NewRequest(http.MethodGet, "/api/collections/points/items?limit=10000&f="+c.format, nil)
			req.Header.Set("Accept-Encoding", c.enc)
			s.ServeHTTP(rec, req)
			if rec.status != 200 {
				t.Fatalf("status %d: %.300s", rec.status, rec.body.String())
			}
			if got := store.delivered.Load(); got != n {
				t.Fatalf("the store handed out %d features", got)
			}
			// keepBytes of ~1.1 KB features is under 2,000 of them.
			if rec.firstAt > n/4 {
				t.Errorf("the first byte left after %d of %d features: the page was held", rec.firstAt, n)
			}
			if rec.largestWrite > keepBytes+64<<10 {
				t.Errorf("a write of %d bytes: something held more than keepBytes (%d)", rec.largestWrite, keepBytes)
			}
			if etag := rec.header.Get("ETag"); etag != "" {
				t.Errorf("a streamed page has ETag %s, which no one computed over its bytes", etag)
			}
			var body io.Reader = strings.NewReader(rec.body.String())
			if c.enc == "gzip" {
				zr, err := gzip.NewReader(body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			if got := c.count(t, body); got != n {
				t.Errorf("%d features in the body", got)
			}
		})
	}
	t.Run("a failure after the first bytes breaks the transfer", func(t *testing.T) {
		srv := httptest.NewServer(s)
		defer srv.Close()
		store.delivered.Store(0)
		store.failAfter.Store(n / 2)
		defer store.failAfter.Store(0)
		res, err := http.Get(srv.URL + "/api/collections/points/items?limit=10000&offset=1")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if res.StatusCode != 200 || err == nil {
			t.Errorf("status %d, read error %v after %d bytes: a shorter collection would pass as whole", res.StatusCode, err, len(body))
		}
	})
	t.Run("an HTML page, which the template needs whole, is bounded", func(t *testing.T) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/collections/points/items?limit=10000&f=html", nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"name":"limit"`) {
			t.Errorf("status %d: %.300s", rec.Code, rec.Body)
		}
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/collections/points/items?limit=1000&f=html", nil))
		if rec.Code != 200 {
			t.Errorf("1,000 features as HTML: status %d", rec.Code)
		}
	})
	t.Run("a small page is held, with its ETag", func(t *testing.T) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/collections/points/items?limit=10", nil))
		if rec.Code != 200 || rec.Header().Get("ETag") == "" || rec.Header().Get("Content-Length") == "" {
			t.Errorf("status %d, ETag %q, Content-Length %q", rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Content-Length"))
		}
	})
}

// TestHeavyRequestsHaveABoundedPool: a request that scans a big layer
// waits for a slot, and a full pool is a 503 with Retry-After, while
// cheap requests on the same layer go on; heavy work that runs out of
// time is stopped with a 503 too.
func TestHeavyRequestsHaveABoundedPool(t *testing.T) {
	store := pointsStore(t, 30_000, 0)
	items := "/api/collections/points/items?"
	heavyQuery := items + url.Values{"filter": {circleFilter(100)}, "limit": {"5"}}.Encode()
	get := func(s *Server, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	for _, c := range []struct {
		query string
		heavy bool
	}{
		{items + "limit=10", false},
		{items + "limit=10000&offset=5000", false},
		{items + "bbox=60,30,70,40", false},
		{heavyQuery, true},
		{items + "sortby=-killed", true},
		{items + "killed=5", true},
		{items + "limit=10&offset=25000", true},
	} {
		u, _ := url.Parse(c.query)
		l, err := store.Layer(context.Background(), "points")
		if err != nil {
			t.Fatal(err)
		}
		req, err := parseItems(u.Query(), l)
		if err != nil {
			t.Fatal(err)
		}
		if got := heavy(l, req.query); got != c.heavy {
			t.Errorf("%.80s: heavy = %v, want %v", c.query, got, c.heavy)
		}
	}

	t.Run("a full pool is a 503 with Retry-After", func(t *testing.T) {
		s := quietServer(Config{HeavySlots: 1}, store)
		s.heavy.wait = 20 * time.Millisecond
		_, release, err := s.heavy.acquire(context.Background()) // the one slot, taken
		if err != nil {
			t.Fatal(err)
		}
		rec := get(s, heavyQuery)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("got %d, Retry-After %q, %s: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("Content-Type"), rec.Body)
		}
		if rec := get(s, items+"limit=10"); rec.Code != 200 {
			t.Errorf("a cheap page behind a full pool: %d", rec.Code)
		}
		if rec := get(s, "/healthz"); rec.Code != 200 {
			t.Errorf("/healthz behind a full pool: %d", rec.Code)
		}
		release()
		if rec := get(s, heavyQuery); rec.Code != 200 {
			t.Errorf("with the slot free: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("heavy work stops at its deadline", func(t *testing.T) {
		s := quietServer(Config{HeavyTimeout: time.Nanosecond}, store)
		rec := get(s, heavyQuery)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "stopped after") {
			t.Errorf("got %d, Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	})
}

// TestHealthzIsNotStarved is the starvation test of issue 10: eight
// expensive anonymous requests (a 3,000-vertex polygon over 100,000
// points) are in flight while /healthz and a cheap items page are asked
// for seven times each; all but the slowest of each must be under
// 200 ms. A sample counts only if the heavy requests were still running
// after it.
func TestHealthzIsNotStarved(t *testing.T) {
	store := pointsStore(t, 100_000, 0)
	s := quietServer(Config{}, store)
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := &http.Client{Timeout: time.Minute}
	fetch := func(path string) (int, http.Header, time.Duration) {
		start := time.Now()
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return 0, nil, 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header, time.Since(start)
	}
	filter := circleFilter(3000)
	var wg sync.WaitGroup
	var done atomic.Int32
	heavyStatus := make([]int, 8)
	heavyTook := make([]time.Duration, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer done.Add(1)
			// Different pages, so that none is answered from another's cache.
			q := url.Values{"filter": {filter}, "limit": {"100"}, "offset": {fmt.Sprint(i)}, "sortby": {"-killed"}}
			var h http.Header
			heavyStatus[i], h, heavyTook[i] = fetch("/api/collections/points/items?" + q.Encode())
			if heavyStatus[i] == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
				t.Errorf("heavy request %d: 503 without Retry-After", i)
			}
		}()
	}
	// Wait until all eight have reached the pool.
	deadline := time.Now().Add(30 * time.Second)
	for len(s.heavy.queue) < 8 && done.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	var health, page []time.Duration
	for i := range 7 {
		if done.Load() == 8 {
			break
		}
		hs, _, hd := fetch("/healthz")
		ps, _, pd := fetch(fmt.Sprintf("/api/collections/points/items?limit=10&offset=%d", 10*i))
		if hs != 200 || ps != 200 {
			t.Errorf("/healthz %d, items page %d", hs, ps)
		}
		if len(s.heavy.slots) == 0 || done.Load() == 8 {
			continue // the heavy work was over: the sample proves nothing
		}
		health, page = append(health, hd), append(page, pd)
	}
	wg.Wait()
	t.Logf("heavy requests: %v, statuses %v", heavyTook, heavyStatus)
	t.Logf("/healthz: %v; items page: %v", health, page)
	if len(health) < 4 {
		t.Fatalf("only %d samples were taken while the heavy requests ran (each took %v)", len(health), heavyTook)
	}
	for name, ds := range map[string][]time.Duration{"/healthz": health, "a cheap items page": page} {
		// All but the slowest sample: one scheduling hiccup on a loaded
		// machine is not starvation. (With HeavySlots: 8, the eight hold
		// the store's readers and two or more of seven take 200-880 ms.)
		slices.Sort(ds)
		if d := ds[len(ds)-2]; d > 200*time.Millisecond {
			t.Errorf("%s: %v behind eight heavy requests (the second slowest of %v)", name, d, ds)
		}
	}
	ok := 0
	for _, st := range heavyStatus {
		if st == 200 {
			ok++
		} else if st != http.StatusServiceUnavailable {
			t.Errorf("heavy request: status %d", st)
		}
	}
	if ok == 0 {
		t.Errorf("no heavy request was answered: %v", heavyStatus)
	}
}
