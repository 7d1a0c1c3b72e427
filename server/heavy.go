package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/khorasan/khorasan/geo"
)

// Items requests that make the database examine many rows take a slot
// of a small pool, so that a few of them (or many, from a hostile
// client) cannot take every CPU and reader connection while /healthz and
// ordinary pages wait.
//
// The rule, from what a request makes SQLite do: a filter (filter,
// datetime or a property) or sortby makes it visit every row of the
// layer, for numberMatched or the order; otherwise it reads offset+limit
// rows in fid order. A request is heavy when that is over heavyRows rows.
// The attacks layer is never heavy; a filter on a 100,000-point layer is.
const heavyRows = 20_000

// Defaults of the pool: half the CPUs run heavy requests (the store has
// max(4, 2×CPUs) readers, so they hold at most a quarter of them), a
// request waits at most heavyWait for a slot behind at most heavyQueue
// others, and its work stops at DefaultHeavyTimeout.
const (
	heavyWait           = 10 * time.Second
	heavyQueue          = 16
	DefaultHeavyTimeout = 15 * time.Second
)

// heavyPool holds a token per heavy request running (slots) and per
// request running or waiting (queue).
type heavyPool struct {
	slots   chan struct{}
	queue   chan struct{}
	wait    time.Duration
	timeout time.Duration
}

func newHeavyPool(slots int, timeout time.Duration) *heavyPool {
	if slots <= 0 {
		slots = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if timeout <= 0 {
		timeout = DefaultHeavyTimeout
	}
	return &heavyPool{slots: make(chan struct{}, slots), queue: make(chan struct{}, slots+heavyQueue), wait: heavyWait, timeout: timeout}
}

// heavy reports whether the request makes the store examine more than
// heavyRows rows.
func heavy(l geo.Layer, q geo.Query) bool {
	rows := min(int64(q.Offset)+int64(q.Limit), l.Count)
	if q.Filter != nil || len(q.SortBy) > 0 {
		rows = l.Count
	}
	return rows > heavyRows
}

// errHeavyBusy is a full pool.
var errHeavyBusy = errors.New("heavy pool full")

// acquire waits for a slot, for at most p.wait and only behind a bounded
// queue. It gives back the context the work runs under (with the pool's
// deadline) and the function that frees the slot.
func (p *heavyPool) acquire(ctx context.Context) (context.Context, func(), error) {
	select {
	case p.queue <- struct{}{}:
	default:
		return nil, nil, errHeavyBusy
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-timer.C:
		<-p.queue
		return nil, nil, errHeavyBusy
	case <-ctx.Done():
		<-p.queue
		return nil, nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	return ctx, func() {
		cancel()
		<-p.slots
		<-p.queue
	}, nil
}

// busy is the 503 for a heavy request that found no slot or ran out of
// time, with the time after which one is likely free.
func (p *heavyPool) busy(err error) error {
	retry := max(time.Second, p.timeout)
	if errors.Is(err, errHeavyBusy) {
		return &busyError{retry, fmt.Sprintf(
			"too many requests that scan a whole layer are running or waiting (%d at a time); try again later, or narrow this one (bbox, no filter or sortby, a smaller offset)", cap(p.slots))}
	}
	return &busyError{retry, fmt.Sprintf(
		"the request was stopped after %s; narrow it (bbox, filter, limit) and try again", p.timeout)}
}
