package core

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/keyset"
)

func tableEntry(now time.Time) *cacheEntry {
	return &cacheEntry{key: &keyset.Key{}, claims: &Claims{Subject: "s"}, until: now.Add(time.Hour)}
}

// checkTable checks a shard's invariants: n and bytes match the table, and
// every entry is found from its home index without crossing an empty slot.
func checkTable(t *testing.T, c *tokenCache) {
	t.Helper()
	for s := range c.shards {
		sh := &c.shards[s]
		n, bytes := 0, 0
		for i := range sh.table {
			e := sh.table[i].Load()
			if e == nil {
				continue
			}
			n++
			bytes += e.cost
			if got := c.get(e.token); got != e {
				t.Errorf("shard %d index %d: get(its token) = %p; want %p", s, i, got, e)
			}
		}
		if n != sh.n || bytes != sh.bytes || n > sh.size {
			t.Errorf("shard %d: %d entries, %d bytes in the table; counted %d, %d; bound %d", s, n, bytes, sh.n, sh.bytes, sh.size)
		}
	}
}

// TestCacheTableMatchesAModel: random puts and removes on a cache large
// enough never to evict leave exactly the tokens a map would hold, each
// found, after every removal shifted its neighbours back.
func TestCacheTableMatchesAModel(t *testing.T) {
	c := newTokenCache(512, 400<<10) // one shard of 512 entries: a table of 1024
	if len(c.shards) != 1 || c.shards[0].size != 512 {
		t.Fatalf("%d shards of %d entries; want one of 512", len(c.shards), c.shards[0].size)
	}
	now := vtNow
	model := map[string]*cacheEntry{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		tok := fmt.Sprintf("token-%d", rng.IntN(400))
		if e, ok := model[tok]; ok && rng.IntN(2) == 0 {
			c.remove(tok, e)
			delete(model, tok)
			continue
		}
		e := tableEntry(now)
		c.put(tok, e, now)
		model[tok] = e
	}
	for tok, e := range model {
		if got := c.get(tok); got != e {
			t.Errorf("get(%s) = %p; want %p", tok, got, e)
		}
	}
	if got := c.len(); got != len(model) {
		t.Errorf("entries: got %d; want %d", got, len(model))
	}
	checkTable(t, c)
}

// TestCacheConcurrentHitsAndEvictions: goroutines hit, insert, replace and
// remove overlapping tokens on a cache far too small for them (run with
// -race). A hit always answers for its own token, and the bounds and the
// table's invariants hold afterwards.
func TestCacheConcurrentHitsAndEvictions(t *testing.T) {
	c := newTokenCache(32, cacheBudget)
	now := vtNow
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 5000 {
				tok := fmt.Sprintf("token-%d", rng.IntN(200))
				switch e := c.get(tok); {
				case e != nil && e.token != tok:
					t.Errorf("get(%s) answered for %s", tok, e.token)
					return
				case e != nil && rng.IntN(8) == 0:
					c.remove(tok, e)
				case e == nil:
					c.put(tok, tableEntry(now), now)
				}
			}
		}()
	}
	wg.Wait()
	if got := c.len(); got > 32 {
		t.Errorf("entries: got %d; want at most 32", got)
	}
	checkTable(t, c)
}

// TestCacheHotTokenSurvivesFlood: a token hit between insertions of many
// one-time tokens stays cached (second chance).
func TestCacheHotTokenSurvivesFlood(t *testing.T) {
	c := newTokenCache(16, cacheBudget)
	now := vtNow
	hot := "hot-token"
	c.put(hot, tableEntry(now), now)
	for i := range 1000 {
		if c.get(hot) == nil {
			t.Fatalf("hot token evicted after %d one-time tokens", i)
		}
		c.put(fmt.Sprintf("once-%d", i), tableEntry(now), now)
	}
	checkTable(t, c)
}
