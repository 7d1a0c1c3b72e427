package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
)

// slowWriter takes a few bytes at a time, so the relay's ring fills
// and wraps.
type slowWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(time.Microsecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// The bytes leave in order whichever ring holds them: the file alone,
// memory that the page's first bytes are in and then the file, and
// memory large enough for everything (no file is made), and memory
// alone when no file can be had.
func TestRelayCarriesEveryByteThroughItsRings(t *testing.T) {
	for name, c := range map[string]struct {
		held, mem int
		noFiles   bool // the file budget is spent
		fileUsed  bool
	}{
		"file alone":           {0, 0, false, true},
		"memory then the file": {300, 700, false, true},
		"memory alone":         {300, 1 << 20, false, false},
		"memory, no file left": {300, 700, true, false},
	} {
		t.Run(name, func(t *testing.T) {
			rs := newRelays(t.TempDir())
			rs.size = 1000
			if c.noFiles {
				rs.left.Store(0)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			var want bytes.Buffer
			random := func(n int) []byte {
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(rng.IntN(256))
				}
				want.Write(p)
				return p
			}
			held := append(make([]byte, 0, c.mem), random(c.held)...)
			q := rs.open(held)
			if q == nil {
				t.Fatal("no relay")
			}
			w := &slowWriter{}
			go q.send(w)
			for range 300 {
				p := random(rng.IntN(2500))
				if n, err := q.Write(p); n != len(p) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			fileUsed := q.f != nil
			if err := q.finish(false); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.buf.Bytes(), want.Bytes()) {
				t.Errorf("sent %d bytes, not the %d written", w.buf.Len(), want.Len())
			}
			if fileUsed != c.fileUsed {
				t.Errorf("a file was made: %v, want %v", fileUsed, c.fileUsed)
			}
			if left := rs.left.Load(); left != relayBudget && !c.noFiles || left != 0 && c.noFiles {
				t.Errorf("the file budget has %d left after the relay is done", left)
			}
			if rs.memLeft.Load() != relayMemoryBudget {
				t.Errorf("the memory budget has %d left after the relay is done", rs.memLeft.Load())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRelayTellsTheWriterTheClientIsGone(t *testing.T) {
	rs := newRelays(t.TempDir())
	rs.size = 1000
	q := rs.open(nil)
	go q.send(failingWriter{})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = q.Write(make([]byte, 700))
	}
	if err == nil {
		t.Fatal("writes go on after the client is gone")
	}
	if err := q.finish(true); err == nil {
		t.Error("finish does not say the sending failed")
	}
}

// Relays without memory reserve a file each, and so are as many as the
// file budget has files; relays with memory are as many as the memory
// budget holds, whatever the files.
func TestRelayBudgetIsBounded(t *testing.T) {
	for name, c := range map[string]struct {
		mem  int
		want int
	}{
		"files":  {0, relayBudget / relayBytes},
		"memory": {1 << 20, 10},
	} {
		t.Run(name, func(t *testing.T) {
			rs := newRelays(t.TempDir())
			rs.memLeft.Store(10 << 20)
			var open []*relay
			for {
				q := rs.open(make([]byte, 0, c.mem))
				if q == nil {
					break
				}
				go q.send(&slowWriter{})
				open = append(open, q)
			}
			if len(open) != c.want {
				t.Errorf("%d relays open at once, want %d", len(open), c.want)
			}
			for _, q := range open {
				q.finish(false)
			}
			if q := rs.open(make([]byte, 0, c.mem)); q == nil {
				t.Error("no relay once the others are done")
			} else {
				go q.send(&slowWriter{})
				q.finish(true)
			}
			if rs.left.Load() != relayBudget || rs.memLeft.Load() != 10<<20 {
				t.Errorf("budgets of %d and %d left after every relay is done", rs.left.Load(), rs.memLeft.Load())
			}
		})
	}
}

// doneStore notes when each Features call returns: when the store's
// reader connection is free again.
type doneStore struct {
	*gpkg.Store
	done chan struct{}
}

func (d *doneStore) Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error {
	defer func() { d.done <- struct{}{} }()
	return d.Store.Features(ctx, layer, q, fn)
}

// A client that takes a long page slowly, or not at all, holds none of
// the store's reader connections once the page is read: 32 such clients
// used to hold up every request behind the pool.
func TestSlowClientOfALongPageHoldsNoReader(t *testing.T) {
	store := &doneStore{Store: pointsStore(t, 10_000, 2000), done: make(chan struct{}, 1)} // 21 MB a page
	srv := httptest.NewServer(quietServer(Config{}, store))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/collections/points/items?limit=10000 HTTP/1.1\r\nHost: x\r\n\r\n")
	// The client reads nothing.
	select {
	case <-store.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the page is still being read while its client takes nothing: the store's reader waits for the client")
	}
}
