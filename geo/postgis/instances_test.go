package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/paulmach/orb"
)

// Several stores on one database, as several servers behind a load
// balancer: what one writes the others see.

// openNamed opens a store whose connections carry name, so that a test
// can find them in pg_stat_activity.
func openNamed(t *testing.T, dsn, name string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn+"&application_name="+name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (s *Store) isListening() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listening
}

// within polls ok until it holds, failing the test when it does not
// within d; it returns how long it took.
func within(t *testing.T, d time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > d {
			t.Errorf("%s: not seen within %v", what, d)
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func importCSV(t *testing.T, s *Store, layer string, mode ingest.Mode, text string) {
	t.Helper()
	src := ingest.Source{Name: "p.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
	if _, err := s.Import(context.Background(), src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: layer}, Mode: mode, Actor: "t"}); err != nil {
		t.Fatal(err)
	}
}

// TestWritesReachTheOtherStores: every kind of write through one store
// (an import in each mode, a replace, each edit) is seen by the other's
// features at once and by its cached layer (Count, Changed, columns)
// within a second, by notice: the other store would otherwise trust its
// cache for an hour.
func TestWritesReachTheOtherStores(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	a := openNamed(t, dsn, "a")
	b := openNamed(t, dsn, "b")
	b.recheck = time.Hour
	within(t, 10*time.Second, "b's listener", b.isListening)
	importCSV(t, a, "places", ingest.ModeCreate, "id,lat,lon,n\na,34,69,1\n")

	var last geo.Layer
	seen := func(what string, write func(), want func(geo.Layer) bool) {
		t.Helper()
		before, err := b.Layer(ctx, "places") // cached now
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		write()
		took := within(t, time.Second, what, func() bool {
			l, err := b.Layer(ctx, "places")
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			last = l
			return l.Changed != before.Changed && want(l)
		})
		t.Logf("%s: seen by the other store after %v", what, took.Round(time.Millisecond))
	}
	count := func(n int64) func(geo.Layer) bool { return func(l geo.Layer) bool { return l.Count == n } }
	ids := func() string {
		var out []string
		if err := b.Features(ctx, "places", geo.Query{}, func(f geo.Feature) error { out = append(out, f.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}

	seen("an append", func() { importCSV(t, a, "places", ingest.ModeAppend, "id,lat,lon,n\nb,35,70,2\n") }, count(2))
	if got := ids(); got != "a b" {
		t.Errorf("features right after the append: %s", got)
	}
	seen("an upsert with a new column", func() { importCSV(t, a, "places", ingest.ModeUpsert, "id,lat,lon,n,note\na,34,69,5,x\nc,36,71,3,y\n") },
		func(l geo.Layer) bool { return l.Count == 3 && len(l.Schema.Columns) == 2 })
	if f, err := b.Feature(ctx, "places", "a"); err != nil || f.Properties["n"] != int64(5) || f.Properties["note"] != "x" {
		t.Errorf("feature a right after the upsert: %+v, %v", f, err)
	}
	seen("a create", func() {
		if _, _, err := a.CreateFeature(ctx, "places", geo.Feature{ID: "d", Geometry: orb.Point{60, 30}}, "t"); err != nil {
			t.Fatal(err)
		}
	}, count(4))
	if last.Bounds.Min != (orb.Point{60, 30}) {
		t.Errorf("the extent after the create: %v", last.Bounds)
	}
	seen("an update", func() {
		if _, _, err := a.UpdateFeature(ctx, "places", "d", "t", func(f geo.Feature, _ geo.Schema) (geo.Feature, error) {
			f.Properties["n"] = int64(9)
			return f, nil
		}); err != nil {
			t.Fatal(err)
		}
	}, count(4))
	seen("a delete", func() {
		if err := a.DeleteFeature(ctx, "places", "d", "t", nil); err != nil {
			t.Fatal(err)
		}
	}, count(3))
	seen("a replace by import", func() { importCSV(t, a, "places", ingest.ModeReplace, "id,lat,lon,label\nz,1,1,only\n") },
		func(l geo.Layer) bool {
			return l.Count == 1 && len(l.Schema.Columns) == 1 && l.Schema.Columns[0].Name == "label"
		})
	seen("a replace", func() {
		schema := geo.Schema{GeometryType: "POINT", Columns: []geo.Column{{Name: "k", Type: geo.Integer}}}
		if _, err := a.ReplaceLayer(ctx, geo.LayerInfo{Name: "places", Title: "Places"}, schema, seqOf(geo.Feature{Geometry: orb.Point{2, 2}}, geo.Feature{Geometry: orb.Point{3, 3}})); err != nil {
			t.Fatal(err)
		}
	}, func(l geo.Layer) bool { return l.Count == 2 && l.Title == "Places" && !l.Schema.HasID })
	if got := ids(); got != "1 2" {
		t.Errorf("features right after the replace: %s", got)
	}
	// A layer the other made is listed at once.
	importCSV(t, a, "more", ingest.ModeCreate, "id,lat,lon\nq,1,2\n")
	if ls, err := b.Layers(ctx); err != nil || len(ls) != 2 || ls[1].Name != "more" || ls[1].Count != 1 {
		t.Errorf("layers right after another store made one: %+v, %v", ls, err)
	}
}

// TestListenerDown: without its listener a store compares its cache with
// the database once a second, so another store's write still reaches its
// layer within a second of the last comparison.
func TestListenerDown(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	a := openNamed(t, dsn, "a")
	b := openNamed(t, dsn, "b")
	within(t, 10*time.Second, "b's listener", b.isListening)
	b.stopListen()
	<-b.listenDone
	if b.isListening() {
		t.Fatal("the stopped listener says it listens")
	}
	importCSV(t, a, "places", ingest.ModeCreate, "id,lat,lon\na,34,69\n")
	for i := range 3 {
		before, err := b.Layer(ctx, "places")
		if err != nil {
			t.Fatal(err)
		}
		checked := time.Now()
		importCSV(t, a, "places", ingest.ModeAppend, fmt.Sprintf("id,lat,lon\nx%d,34,69\n", i))
		// A second from the comparison before the write, and the time
		// one comparison takes.
		took := within(t, time.Second+200*time.Millisecond-time.Since(checked), "an append, with the listener down", func() bool {
			l, err := b.Layer(ctx, "places")
			return err == nil && l.Count == before.Count+1 && l.Changed != before.Changed
		})
		t.Logf("seen after %v", took.Round(time.Millisecond))
	}
}

// TestListenerReconnects: a listener whose connection is killed connects
// again, reads afresh what it cached meanwhile, and hears the notices
// after.
func TestListenerReconnects(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	a := openNamed(t, dsn, "a")
	b := openNamed(t, dsn, "b")
	b.recheck = time.Hour
	within(t, 10*time.Second, "b's listener", b.isListening)
	importCSV(t, a, "places", ingest.ModeCreate, "id,lat,lon\na,34,69\n")
	if l, err := b.Layer(ctx, "places"); err != nil || l.Count != 1 {
		t.Fatalf("%+v, %v", l, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'b listener'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("killed %d listeners, %v", killed, err)
	}
	within(t, 5*time.Second, "b sees its listener is down", func() bool { return !b.isListening() })
	// A write while nobody listens: its notice is lost, and the cache is
	// read again on reconnecting.
	importCSV(t, a, "places", ingest.ModeAppend, "id,lat,lon\nb,35,70\n")
	within(t, 10*time.Second, "b's listener again", b.isListening)
	if l, err := b.Layer(ctx, "places"); err != nil || l.Count != 2 {
		t.Errorf("after reconnecting: %+v, %v", l, err)
	}
	importCSV(t, a, "places", ingest.ModeAppend, "id,lat,lon\nc,36,71\n")
	within(t, time.Second, "an append after reconnecting", func() bool {
		l, err := b.Layer(ctx, "places")
		return err == nil && l.Count == 3
	})
}

// TestIfMatchAcrossStores: 2 stores × 4 writers increment one counter,
// each read with its ETag and written only if the ETag still holds (the
// server's If-Match), retrying when it does not: no update is lost, and
// each is audited once.
func TestIfMatchAcrossStores(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	stores := []*Store{openNamed(t, dsn, "a"), openNamed(t, dsn, "b")}
	schema := geo.Schema{GeometryType: "POINT", HasID: true, Columns: []geo.Column{{Name: "n", Type: geo.Integer}}}
	if _, err := stores[0].ReplaceLayer(ctx, geo.LayerInfo{Name: "counter"}, schema, seqOf(geo.Feature{ID: "x", Geometry: orb.Point{1, 1}, Properties: map[string]any{"n": int64(0)}})); err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 25
	var refused atomic.Int64
	var wg sync.WaitGroup
	for _, s := range stores {
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for done := 0; done < each; {
					f, err := s.Feature(ctx, "counter", "x")
					if err != nil {
						t.Error(err)
						return
					}
					l, err := s.Layer(ctx, "counter")
					if err != nil {
						t.Error(err)
						return
					}
					etag, err := geojson.ETag(f, l.Schema)
					if err != nil {
						t.Error(err)
						return
					}
					_, _, err = s.UpdateFeature(ctx, "counter", "x", "w", func(old geo.Feature, sc geo.Schema) (geo.Feature, error) {
						if tag, _ := geojson.ETag(old, sc); tag != etag {
							return geo.Feature{}, geo.ErrPrecondition
						}
						old.Properties["n"] = f.Properties["n"].(int64) + 1 // what the client saw, plus one
						return old, nil
					})
					switch {
					case errors.Is(err, geo.ErrPrecondition):
						refused.Add(1)
					case err != nil:
						t.Error(err)
						return
					default:
						done++
					}
				}
			}()
		}
	}
	wg.Wait()
	want := int64(len(stores) * writers * each)
	for _, s := range stores {
		if f, err := s.Feature(ctx, "counter", "x"); err != nil || f.Properties["n"] != want {
			t.Errorf("n = %v, %v; want %d", f.Properties["n"], err, want)
		}
	}
	if h, err := stores[1].History(ctx, geo.HistoryQuery{Layer: "counter", Limit: 1000}); err != nil || int64(len(h)) != want {
		t.Errorf("%d audit entries, %v; want %d", len(h), err, want)
	}
	t.Logf("%d updates refused as stale and retried", refused.Load())
}
