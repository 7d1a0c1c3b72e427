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

// The ring was a file alone: every byte of a long page was written to it
// and read back (a third of a 21 MB page's CPU, with the recorder's
// copy). Now the page's first part, the 2 MiB the recorder held, is the
// ring's memory, and the file is made only when the client falls behind
// by more than that: a client that keeps up costs no file at all.

const (
	// relayBytes is the most of a page that waits for its client in
	// the file.
	relayBytes = 64 << 20
	// relayBudget bounds the relays' files together.
	relayBudget = 1 << 30
	// relayMemoryBudget bounds the relays' memory together: 64 pages'
	// first 4 MiB (the recorder's 2 MiB and its spare capacity).
	relayMemoryBudget = 256 << 20
	// relayChunk is the most the sender writes at once from the file.
	relayChunk = 64 << 10
)

// relays hands out relays within the budgets. A relay's file is
// reserved only when it is made: the file budget had allowed 16 relays
// at once, so that 16 of 32 clients of a long page streamed without one,
// each holding one of the store's four readers at its client's pace.
type relays struct {
	dir     string       // "" is the system's temporary directory
	size    int64        // of each relay's file
	left    atomic.Int64 // bytes of the file budget not reserved
	memLeft atomic.Int64 // bytes of the memory budget not reserved
}

func newRelays(dir string) *relays {
	r := &relays{dir: dir, size: relayBytes}
	r.left.Store(relayBudget)
	r.memLeft.Store(relayMemoryBudget)
	return r
}

// reserve takes n bytes of a budget, or nothing when they are not left.
func reserve(budget *atomic.Int64, n int64) bool {
	if budget.Add(-n) < 0 {
		budget.Add(n)
		return false
	}
	return true
}

// open makes a relay whose memory is held (what it holds, and its spare
// capacity), or nil when the memory budget is spent (the page then
// streams as it is read). The relay owns held from now on. A relay
// without memory reserves its file now.
func (rs *relays) open(held []byte) *relay {
	mem := int64(cap(held))
	if !reserve(&rs.memLeft, mem) {
		return nil
	}
	q := &relay{rs: rs, sent: make(chan struct{}), mem: held[:cap(held)], memWritten: int64(len(held))}
	q.cond.L = &q.mu
	if mem == 0 {
		if !reserve(&rs.left, rs.size) {
			return nil
		}
		q.fileReserved = true
	}
	return q
}

// relay is a pipe from one writer (the handler) to one sender (a
// goroutine writing to the client) through two rings: one in memory,
// then, when that is full, one of size bytes in a file. The writer goes
// to the file only while the memory ring is full or the file holds
// bytes, and the sender takes the memory's bytes before the file's, so
// whenever the file holds bytes they are all newer than the memory's:
// the bytes leave in the order they came.
type relay struct {
	rs           *relays
	fileReserved bool // rs.size of the file budget is this relay's

	mem []byte // the memory ring

	mu          sync.Mutex
	cond        sync.Cond
	memWritten  int64 // bytes written to the memory ring so far
	memTaken    int64 // of them, bytes the sender has sent
	f           *os.File
	closeFile   func()
	fileErr     error // why no file could be made: the writer waits for memory
	fileWritten int64
	fileTaken   int64
	finished    bool  // the writer is done
	err         error // why the relay stopped: the client's failure or an abort
	sent        chan struct{}
}

var (
	errRelayAborted = errors.New("response aborted")
	errRelayBudget  = errors.New("the relays' files are at their budget")
)

// Write keeps p for the sender, waiting while both rings are full.
func (q *relay) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		q.mu.Lock()
		var toMem, toFile bool
		for {
			if q.err != nil {
				q.mu.Unlock()
				return n, q.err
			}
			fileEmpty := q.fileWritten == q.fileTaken
			toMem = fileEmpty && q.memWritten-q.memTaken < int64(len(q.mem))
			toFile = !toMem && q.fileErr == nil && q.fileWritten-q.fileTaken < q.rs.size
			if toMem || toFile {
				break
			}
			q.cond.Wait()
		}
		memFree := int64(len(q.mem)) - (q.memWritten - q.memTaken)
		fileFree := q.rs.size - (q.fileWritten - q.fileTaken)
		memAt, fileAt := q.memWritten%max(1, int64(len(q.mem))), q.fileWritten%q.rs.size
		q.mu.Unlock()
		// Up to the free space and the ring's end; the sender reads only
		// below what is written, so this region is the writer's alone.
		if toMem {
			m := copy(q.mem[memAt:memAt+min(int64(len(p)), memFree, int64(len(q.mem))-memAt)], p)
			q.mu.Lock()
			q.memWritten += int64(m)
			q.cond.Broadcast()
			q.mu.Unlock()
			n += m
			p = p[m:]
			continue
		}
		if q.f == nil {
			// Only the writer makes the file; the sender reads it only
			// once fileWritten says it holds bytes.
			var f *os.File
			var done func()
			err := errRelayBudget
			if q.fileReserved || reserve(&q.rs.left, q.rs.size) {
				q.fileReserved = true
				f, done, err = spoolFile(q.rs.dir)
			}
			if err != nil && len(q.mem) == 0 {
				q.stop(err)
				return n, err
			}
			if err != nil {
				// The memory ring alone, at the client's pace.
				q.mu.Lock()
				q.fileErr = err
				q.mu.Unlock()
				continue
			}
			q.mu.Lock()
			q.f, q.closeFile = f, done
			q.mu.Unlock()
		}
		m := int(min(int64(len(p)), fileFree, q.rs.size-fileAt))
		if _, err := q.f.WriteAt(p[:m], fileAt); err != nil {
			q.stop(err)
			return n, err
		}
		q.mu.Lock()
		q.fileWritten += int64(m)
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
	var buf []byte // for the file's bytes
	for {
		q.mu.Lock()
		for q.memTaken == q.memWritten && q.fileTaken == q.fileWritten && !q.finished && q.err == nil {
			q.cond.Wait()
		}
		if q.err != nil || q.memTaken == q.memWritten && q.fileTaken == q.fileWritten {
			q.mu.Unlock()
			return
		}
		if q.memTaken < q.memWritten {
			size := int64(len(q.mem))
			at := q.memTaken % size
			m := min(q.memWritten-q.memTaken, size-at)
			q.mu.Unlock()
			// Straight from the ring: the writer keeps off unsent bytes.
			if _, err := w.Write(q.mem[at : at+m]); err != nil {
				q.stop(err)
				return
			}
			q.mu.Lock()
			q.memTaken += m
			q.cond.Broadcast()
			q.mu.Unlock()
			continue
		}
		at := q.fileTaken % q.rs.size
		m := min(q.fileWritten-q.fileTaken, relayChunk, q.rs.size-at)
		f := q.f
		q.mu.Unlock()
		if buf == nil {
			buf = make([]byte, relayChunk)
		}
		if _, err := f.ReadAt(buf[:m], at); err != nil {
			q.stop(err)
			return
		}
		if _, err := w.Write(buf[:m]); err != nil {
			q.stop(err)
			return
		}
		q.mu.Lock()
		q.fileTaken += m
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
	if q.closeFile != nil {
		q.closeFile()
	}
	if q.fileReserved {
		q.rs.left.Add(q.rs.size)
	}
	q.rs.memLeft.Add(int64(len(q.mem)))
	if errors.Is(q.err, errRelayAborted) {
		return nil
	}
	return q.err
}

// startRelay sends the rest of a page through a relay when one can be
// had, starting with held (which it then owns); w is the response,
// already begun.
func startRelay(rs *relays, w http.ResponseWriter, held []byte) *relay {
	if rs == nil {
		return nil
	}
	q := rs.open(held)
	if q != nil {
		go q.send(w)
	}
	return q
}
