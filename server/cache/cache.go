// Package cache holds the byte-bounded LRU that server keeps whole
// responses in (tiles, basemap PNGs, JSON items). It imports nothing of
// the project, and only server imports it.
package cache

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// LRU is an in-memory cache bounded by the bytes it holds. Callers' keys
// carry the version of every layer an entry was made from, so a layer's
// new version misses and its old entries age out, while those of other
// layers stay. It is safe for concurrent use. A nil *LRU, or one made with
// a limit of 0 or less, keeps nothing.
type LRU struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	items map[string]*list.Element

	hits, misses atomic.Int64
}

// Entry is what the cache keeps of one response: its bytes and, for vector
// tiles, the same bytes gzipped (nil when not worth it).
type Entry struct {
	Body []byte
	Gzip []byte
	// Meta is what a caller keeps beside the bytes (the headers of a
	// cached API response); it is not counted in the cache's size.
	Meta any
}

type cacheItem struct {
	key   string
	entry Entry
}

// entryOverhead approximates what a cached entry costs beyond its bytes.
const entryOverhead = 128

// New makes a cache that holds at most maxBytes.
func New(maxBytes int64) *LRU {
	return &LRU{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

func (c *LRU) off() bool { return c == nil || c.max <= 0 }

// On reports whether the cache keeps anything.
func (c *LRU) On() bool { return !c.off() }

// Get returns the entry kept under key.
func (c *LRU) Get(key string) (Entry, bool) {
	if c.off() {
		return Entry{}, false
	}
	c.mu.Lock()
	el, ok := c.items[key]
	if ok {
		c.order.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return Entry{}, false
	}
	c.hits.Add(1)
	return el.Value.(*cacheItem).entry, true
}

// Set keeps e under key, evicting the least recently used entries to stay
// within the limit. An entry larger than the whole limit is not kept.
func (c *LRU) Set(key string, e Entry) {
	if c.off() {
		return
	}
	n := cost(key, e)
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.size -= cost(key, el.Value.(*cacheItem).entry)
		el.Value.(*cacheItem).entry = e
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&cacheItem{key: key, entry: e})
	}
	c.size += n
	for c.size > c.max {
		el := c.order.Back()
		it := el.Value.(*cacheItem)
		c.order.Remove(el)
		delete(c.items, it.key)
		c.size -= cost(it.key, it.entry)
	}
}

func cost(key string, e Entry) int64 {
	return int64(len(key)+len(e.Body)+len(e.Gzip)) + entryOverhead
}

// Stats is a snapshot of a cache's counters.
type Stats struct {
	Hits, Misses int64
	Entries      int
	Bytes, Max   int64
}

// Stats returns the cache's counters.
func (c *LRU) Stats() Stats {
	if c.off() {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.items), Bytes: c.size, Max: c.max}
}
