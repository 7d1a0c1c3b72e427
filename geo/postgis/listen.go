package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several stores (several servers) on one database keep their cached
// layer descriptions in step through LISTEN/NOTIFY: every write to a layer
// sends the layer's name on notifyChannel in its transaction, so the
// notice goes out when it commits, and each store listens on a connection
// of its own and drops the description it names. While that connection is
// up, the descriptions of the store's own layers are trusted until a
// notice drops them; while it is down (and for tables other tools write,
// which send none) they are compared with the database at most once per
// recheck, as before. It is our own loop rather than pgxlisten's, which
// says nothing when its connection goes down, and the fallback needs to
// know.

// notifyChannel is the channel the writes notify on.
const notifyChannel = "khorasan_layers"

// Timings of the listener.
const (
	// listenPing is how long a quiet listener waits before it checks that
	// its connection still answers (a silent network can hold it open).
	listenPing = 15 * time.Second
	// listenRetry is the first wait before connecting again, doubled up to
	// listenRetryMax.
	listenRetry    = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// notifyLayer tells the other stores, when tx commits, that the layer
// changed.
func notifyLayer(ctx context.Context, tx pgx.Tx, name string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, name)
	return err
}

// listen keeps a connection listening until ctx ends, connecting again
// when it is lost.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(s.listenDone)
	wait := listenRetry
	for {
		up := s.listenOnce(ctx, cfg)
		s.setListening(false)
		if up {
			wait = listenRetry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenOnce connects, listens and handles notices until the connection
// fails or ctx ends; it says whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) bool {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+quote(notifyChannel)); err != nil {
		return false
	}
	// Notices sent while no connection listened are lost: whatever was
	// cached then is read again.
	s.setListening(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			s.notice(n.Payload)
			continue
		case ctx.Err() != nil:
			return true
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err == nil {
				continue
			}
		}
		return true
	}
}

// setListening records whether the listener is up; either way the cache
// is no longer what the notices kept it.
func (s *Store) setListening(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if up {
		clear(s.tables)
	}
	s.listening = up
	s.epoch++
}

// notice drops the description of the layer a write named ("" drops all).
func (s *Store) notice(layer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if layer == "" {
		s.epoch++
		clear(s.tables)
		return
	}
	s.notices[layer]++
	delete(s.tables, layer)
}

// mark is what moves when a layer's cached description may be stale: the
// listener's epoch and the notices of the layer.
type mark struct{ epoch, notices uint64 }

// markOf is the layer's mark now; s.mu is held.
func (s *Store) markOf(layer string) mark {
	return mark{s.epoch, s.notices[layer]}
}

// trusts says whether a cached description needs no comparing with the
// database: the listener was up when it was read and has been since, no
// notice came while it was read, it is a layer the store's writes
// notify about (its stamp is its revision), and reads go to the primary
// (a replica may trail the notice that dropped it). A recheck of 0
// compares on every read, notices or not. s.mu is held.
func (s *Store) trusts(t *table) bool {
	return s.listening && t.listened && s.recheck > 0 && s.read == s.pool && len(t.stamp) > 0 && t.stamp[0] == 'r'
}
