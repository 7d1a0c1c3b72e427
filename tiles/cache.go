package tiles

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// Cache is an in-memory LRU of tiles bounded by the bytes it holds. Keys
// carry the version of every layer a tile was made from (see Key), so a
// layer's new version misses and its old tiles age out, while tiles of
// other layers stay. It is safe for concurrent use. A nil *Cache, or one
// made with a limit of 0 or less, keeps nothing.
type Cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	items map[string]*list.Element

	hits, misses atomic.Int64
}

// Entry is what the cache keeps of one tile: its bytes and, for vector
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

// NewCache makes a cache that holds at most maxBytes of tiles.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

func (c *Cache) off() bool { return c == nil || c.max <= 0 }

// On reports whether the cache keeps anything.
func (c *Cache) On() bool { return !c.off() }

// Get returns the entry kept under key.
func (c *Cache) Get(key string) (Entry, bool) {
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
func (c *Cache) Set(key string, e Entry) {
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

// CacheStats is a snapshot of a cache's counters.
type CacheStats struct {
	Hits, Misses int64
	Entries      int
	Bytes, Max   int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	if c.off() {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.items), Bytes: c.size, Max: c.max}
}
