package cache

import (
	"fmt"
	"sync"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsedWithinItsBytes(t *testing.T) {
	body := make([]byte, 1000)
	c := New(3 * (1000 + 2 + entryOverhead))
	c.Set("k1", Entry{Body: body})
	c.Set("k2", Entry{Body: body})
	c.Set("k3", Entry{Body: body})
	if _, ok := c.Get("k1"); !ok { // k1 is now the most recent
		t.Fatal("k1 missing before the cache is full")
	}
	c.Set("k4", Entry{Body: body})
	if _, ok := c.Get("k2"); ok {
		t.Error("k2, the least recently used, was kept")
	}
	for _, k := range []string{"k1", "k3", "k4"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if s := c.Stats(); s.Bytes > s.Max || s.Entries != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestCacheLargerThanLimitIsNotKept(t *testing.T) {
	c := New(100)
	c.Set("big", Entry{Body: make([]byte, 200)})
	if _, ok := c.Get("big"); ok {
		t.Error("an entry larger than the cache was kept")
	}
}

func TestCacheOffKeepsNothing(t *testing.T) {
	for name, c := range map[string]*LRU{"nil": nil, "zero": New(0)} {
		c.Set("k", Entry{Body: []byte("x")})
		if _, ok := c.Get("k"); ok {
			t.Errorf("%s cache kept an entry", name)
		}
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := New(50_000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint((g * i) % 300)
				if _, ok := c.Get(k); !ok {
					c.Set(k, Entry{Body: make([]byte, 100+i%50)})
				}
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); s.Bytes > s.Max {
		t.Errorf("cache holds %d bytes, more than its %d", s.Bytes, s.Max)
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := New(1 << 20)
	c.Set("mvt|borders@2026-01-01|5/22/12", Entry{Body: make([]byte, 4000)})
	b.ReportAllocs()
	for b.Loop() {
		c.Get("mvt|borders@2026-01-01|5/22/12")
	}
}
