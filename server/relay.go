package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

// A long items page used to go to the client as the store read it, so a
// client's pace held one of the store's few reader connections: 32
// clients of a 21 MB page queued for the pool (and every small request
// with them) while 4 were sent. A relay takes the page at the store's
// pace and gives it to the client at the client's: what the client has
// not taken yet waits in an unnamed file, so the reader connection is
// free once the page is read. Disk is bounded per page (relayBytes, past
// which the store waits for the client, as before) and over the server
// (relayBudget, past which pages stream without a relay).

const (
	// relayBytes is the most of a page that waits for its client.
	relayBytes = 64 << 20
	// relayBudget bounds the relays' files together.
	relayBudget = 1 << 30
	// relayChunk is the most the sender writes at once.
	relayChunk = 64 << 10
)

// relays hands out relays within the budget.
type relays struct {
	dir  string       // "" is the system's temporary directory
	size int64        // of each relay
	left atomic.Int64 // bytes of the budget not reserved
}

func newRelays(dir string) *relays {
	r := &relays{dir: dir, size: relayBytes}
	r.left.Store(relayBudget)
	return r
}

// open makes a relay, or nil when the budget is spent or no file can be
// made (the page then streams as it is read).
func (rs *relays) open() *relay {
	if rs.left.Add(-rs.size) < 0 {
		rs.left.Add(rs.size)
		return nil
	}
	f, done, err := spoolFile(rs.dir)
	if err != nil {
		rs.left.Add(rs.size)
		return nil
	}
	q := &relay{f: f, size: rs.size, release: func() { done(); rs.left.Add(rs.size) }, sent: make(chan struct{})}
	q.cond.L = &q.mu
	return q
}

// relay is a pipe through a ring of size bytes in a file, from one
// writer (the handler) to one sender (a goroutine writing to the client).
type relay struct {
	f       *os.File
	size    int64
	release func()

	mu       sync.Mutex
	cond     sync.Cond
	written  int64 // bytes written so far
	taken    int64 // bytes the sender has read back
	finished bool  // the writer is done
	err      error // why the relay stopped: the client's failure or an abort
	sent     chan struct{}
}

var errRelayAborted = errors.New("response aborted")

// Write keeps p for the sender, waiting while the ring is full.
func (q *relay) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		q.mu.Lock()
		for q.written-q.taken == q.size && q.err == nil {
			q.cond.Wait()
		}
		if q.err != nil {
			q.mu.Unlock()
			return n, q.err
		}
		free := q.size - (q.written - q.taken)
		at := q.written % q.size
		q.mu.Unlock()
		// Up to the free space and the ring's end; the sender reads only
		// below q.written, so this region is the writer's alone.
		m := int(min(int64(len(p)), free, q.size-at))
		if _, err := q.f.WriteAt(p[:m], at); err != nil {
			q.stop(err)
			return n, err
		}
		q.mu.Lock()
		q.written += int64(m)
		q.cond.Broadcast()
		q.mu.Unlock()
		n += m
		p = p[m:]
	}
	return n, nil
}

// send writes what the relay holds to w until the writer finishes; it
// runs in a goroutine of its own, and the handler waits for it (finish)
// before it returns, so w is never used by two at once.
func (q *relay) send(w io.Writer) {
	defer close(q.sent)
	buf := make([]byte, relayChunk)
	for {
		q.mu.Lock()
		for q.taken == q.written && !q.finished && q.err == nil {
			q.cond.Wait()
		}
		if q.err != nil || q.taken == q.written {
			q.mu.Unlock()
			return
		}
		at := q.taken % q.size
		m := min(q.written-q.taken, int64(len(buf)), q.size-at)
		q.mu.Unlock()
		if _, err := q.f.ReadAt(buf[:m], at); err != nil {
			q.stop(err)
			return
		}
		if _, err := w.Write(buf[:m]); err != nil {
			q.stop(err)
			return
		}
		q.mu.Lock()
		q.taken += m
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

func (q *relay) stop(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.cond.Broadcast()
	q.mu.Unlock()
}

// finish ends the page: whole, it waits until the sender has sent it;
// aborted, it stops the sender. It returns why sending failed, if it
// did, and frees the file.
func (q *relay) finish(abort bool) error {
	q.mu.Lock()
	q.finished = true
	if abort && q.err == nil {
		q.err = errRelayAborted
	}
	q.cond.Broadcast()
	q.mu.Unlock()
	<-q.sent
	q.release()
	if errors.Is(q.err, errRelayAborted) {
		return nil
	}
	return q.err
}

// startRelay sends the rest of a page through a relay when one can be
// had; w is the response, already begun.
func startRelay(rs *relays, w http.ResponseWriter) *relay {
	if rs == nil {
		return nil
	}
	q := rs.open()
	if q != nil {
		go q.send(w)
	}
	return q
}
