package postgis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/paulmach/orb"
)

// TestReadsFromAReplica: with a streaming replica as its read DSN, a
// store reads there and writes on the primary. With the replica's replay
// paused, its reads do not see its own writes (so they went to the
// replica), while writes, and what they read (an append into a layer
// only the primary has, an update of a feature made a moment ago), work;
// once replay resumes, reads see them all.
func TestReadsFromAReplica(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	standby := cluster.Standby(t)
	s := openNamed(t, dsn, "primary", WithReadDSN(standby.SameDatabase(dsn)+"&application_name=replica"))
	importCSV(t, s, "places", ingest.ModeCreate, "id,lat,lon,n\na,34,69,1\n")
	within(t, 10*time.Second, "the first import, through the replica", func() bool {
		l, err := s.Layer(ctx, "places")
		return err == nil && l.Count == 1
	})
	var onReplica, onPrimary bool
	if err := s.read.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&onReplica); err != nil || !onReplica {
		t.Fatalf("the read pool is on a standby: %v, %v", onReplica, err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&onPrimary); err != nil || onPrimary {
		t.Fatalf("the write pool is on a standby: %v, %v", onPrimary, err)
	}

	replica, err := pgx.Connect(ctx, standby.SameDatabase(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close(ctx)
	if _, err := replica.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			replica.Exec(ctx, `SELECT pg_wal_replay_resume()`)
		}
	}()
	within(t, 10*time.Second, "the replay paused", func() bool {
		var state string
		return replica.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state) == nil && state == "paused"
	})

	importCSV(t, s, "fresh", ingest.ModeCreate, "id,lat,lon\nx,1,2\n")
	importCSV(t, s, "fresh", ingest.ModeAppend, "id,lat,lon\ny,3,4\n")
	f, _, err := s.CreateFeature(ctx, "places", geo.Feature{ID: "b", Geometry: orb.Point{60, 30}, Properties: map[string]any{"n": int64(2)}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := s.UpdateFeature(ctx, "places", f.ID, "t", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
		old.Properties["n"] = old.Properties["n"].(int64) + 1
		return old, nil
	})
	if err != nil || g.Properties["n"] != int64(3) {
		t.Fatalf("an update of a feature the replica has not seen: %+v, %v", g, err)
	}
	if _, err := s.Layer(ctx, "fresh"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a layer made on the primary, read while the replica is paused: %v", err)
	}
	if _, err := s.Feature(ctx, "places", "b"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a feature made on the primary, read while the replica is paused: %v", err)
	}
	if n, err := s.Count(ctx, "places", geo.Query{BBox: &orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}); err != nil || n != 1 {
		t.Errorf("count while the replica is paused: %d, %v", n, err)
	}
	if h, err := s.History(ctx, geo.HistoryQuery{Layer: "places"}); err != nil || len(h) != 1 {
		t.Errorf("history while the replica is paused: %d entries, %v", len(h), err)
	}

	if _, err := replica.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	resumed = true
	within(t, 10*time.Second, "the writes, through the replica", func() bool {
		fresh, err1 := s.Layer(ctx, "fresh")
		places, err2 := s.Layer(ctx, "places")
		b, err3 := s.Feature(ctx, "places", "b")
		return err1 == nil && err2 == nil && err3 == nil && fresh.Count == 2 && places.Count == 2 && b.Properties["n"] == int64(3)
	})
	if h, err := s.History(ctx, geo.HistoryQuery{Layer: "places"}); err != nil || len(h) != 3 {
		t.Errorf("history after the replay: %d entries, %v", len(h), err)
	}
	var n int
	if err := s.EachAudit(ctx, func(geo.AuditEntry) error { n++; return nil }); err != nil || n != 5 {
		t.Errorf("EachAudit after the replay: %d entries, %v", n, err)
	}
}

// TestReadDSNRefused: a read DSN that answers nothing fails Open with a
// message naming it, without its password.
func TestReadDSNRefused(t *testing.T) {
	s, err := Open(context.Background(), cluster.Database(t), WithReadDSN("postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"))
	if err == nil {
		s.Close()
		t.Fatal("opened with a read DSN that answers nothing")
	}
	if msg := err.Error(); !strings.Contains(msg, "read database nobody@127.0.0.1:1/none") || strings.Contains(msg, "secret") {
		t.Errorf("error %q", msg)
	}
}
