package core

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// TestCacheByteBudgetHoldsWithLargeTokens: distinct valid tokens close to
// the 8 KiB cap, more than the byte budget can hold, leave the cache within
// its budget; the heap they leave behind stays near it too (a sanity bound,
// not an exact one).
func TestCacheByteBudgetHoldsWithLargeTokens(t *testing.T) {
	k := jwttest.NewKey("HS256", "hmac")
	cfg := vtConfig(k)
	cfg.Algorithms = []string{"HS256"}
	v := vtNew(t, cfg)
	pad := strings.Repeat("x", 5600) // a token of about 7.7 KiB

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 4000 // about 54 MiB of entries, accounted
	for i := range n {
		tok := k.Sign(vtClaims("sub", fmt.Sprintf("user-%d", i), "pad", pad))
		if len(tok) > maxTokenLen || len(tok) < 7<<10 {
			t.Fatalf("token length %d; want just under %d", len(tok), maxTokenLen)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	got := v.cache.accounted()
	if got > cacheBudget {
		t.Errorf("bytes accounted: got %d; want at most %d", got, cacheBudget)
	}
	if got < cacheBudget/2 {
		t.Errorf("bytes accounted: got %d; want the budget (%d) mostly used", got, cacheBudget)
	}
	if e := v.cache.len(); e >= n || e == 0 {
		t.Errorf("entries: got %d; want some, and fewer than the %d tokens", e, n)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d entries, %d bytes accounted, heap grew by %d bytes", v.cache.len(), got, grown)
	if grown > 2*cacheBudget {
		t.Errorf("heap grew by %d bytes; want at most twice the budget (%d)", grown, 2*cacheBudget)
	}
}

// TestCacheAccountsEveryEntry: the bytes accounted are the sum of the
// entries' costs after inserts, replacements, evictions and removals, and
// never above the budget; an entry larger than a shard's budget is not kept.
func TestCacheAccountsEveryEntry(t *testing.T) {
	const budget = 64 << 10
	c := newTokenCache(64, budget)
	now := vtNow
	entry := func(raw string) *cacheEntry {
		return &cacheEntry{claims: &Claims{Subject: "s", raw: raw}, until: now.Add(time.Hour), key: &keyset.Key{}}
	}
	var kept []string
	for i := range 200 {
		tok := fmt.Sprintf("token-%d-%s", i, strings.Repeat("t", i*10))
		c.put(tok, entry(strings.Repeat("p", i*5)), now)
		kept = append(kept, tok)
		if got := c.accounted(); got > budget {
			t.Fatalf("after %d puts: accounted %d; want at most %d", i+1, got, budget)
		}
	}
	for _, tok := range kept[150:] {
		if e := c.get(tok); e != nil {
			c.remove(tok, e)
		}
	}
	sum := 0
	for i := range c.shards {
		for j := range c.shards[i].table {
			if e := c.shards[i].table[j].Load(); e != nil {
				sum += e.cost
			}
		}
	}
	if got := c.accounted(); got != sum {
		t.Errorf("accounted: got %d; want %d, the sum of the entries' costs", got, sum)
	}
	huge := strings.Repeat("h", budget)
	c.put(huge, entry(""), now)
	if c.get(huge) != nil {
		t.Errorf("an entry larger than the budget was kept")
	}
}
