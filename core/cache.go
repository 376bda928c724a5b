package core

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// defaultCacheSize is the verified-token cache bound when Config.CacheSize
// is zero: with 1–2 KB tokens and their claims, about 10–25 MB.
const defaultCacheSize = 8192

// cacheBudget bounds the bytes the verified-token cache accounts for, at any
// CacheSize: tokens, their payloads and claims, and entryOverhead each. It
// caps what many distinct tokens of maximal size can make the cache hold
// (8192 tokens of 8 KiB held about 105 MB before it).
const cacheBudget = 32 << 20

// entryOverhead is what an entry costs besides the bytes of its token and
// claims: the entry, its Claims and their string and slice headers, the
// slot, the index's share, and allocator rounding.
const entryOverhead = 512

// minShardBudget is the least byte budget a shard gets: room for a dozen
// entries of maximal size, so that no shard is too small for any token.
const minShardBudget = 256 << 10

// maxCacheShards bounds the number of shards. Each shard has its own lock,
// so concurrent hits on different tokens rarely touch the same lock.
const maxCacheShards = 64

// tokenCache is the verified-token cache. It maps the exact token string to
// the claims it verified to, bounded by entries and by bytes (cacheBudget), with CLOCK (second-chance)
// eviction per shard: a hit sets a reference bit under the shard's read
// lock; an insertion sweeps the shard's ring, giving referenced entries a
// second chance and taking expired entries (or entries whose key was removed)
// first. Entries are keyed by a seeded 64-bit hash of the token's last bytes
// (hashSpan); the stored token string, a copy of the cache's own, is
// compared on every hit, so a collision is a miss, never a wrong answer.
type tokenCache struct {
	seed   maphash.Seed
	mask   uint64
	shards []cacheShard
}

// cacheEntry is one verified token. Its claims are a template: Verify hands
// out clones only.
type cacheEntry struct {
	claims *Claims
	key    *keyset.Key
	until  time.Time // ExpiresAt + leeway: after it, the entry is dead
	cost   int       // bytes accounted for (entryCost)

	// single is the issuer's key set when the token had no kid and key was
	// the set's only key (H04), else nil. A hit on such an entry asks the
	// set again: once the set no longer holds exactly that one key, the
	// entry is dead and the token is checked cold, as a new token would be.
	single *keyset.Set
	alg    alg.ID
}

// stale reports whether e may no longer answer for its token: its key was
// removed, or it was verified through the single-key rule and the issuer's
// set no longer holds exactly that key. Neither check locks or allocates.
func (e *cacheEntry) stale(ctx context.Context) bool {
	if e.key.Removed() {
		return true
	}
	if e.single != nil {
		k, err := e.single.Key(ctx, "", e.alg)
		return err != nil || k != e.key
	}
	return false
}

type cacheSlot struct {
	token string
	hash  uint64
	entry *cacheEntry
	ref   uint32 // second-chance bit; atomic (set by hits under the read lock)
}

type cacheShard struct {
	mu    sync.RWMutex
	index map[uint64]int32 // hash -> slot
	slots []cacheSlot      // the ring; grows (under the write lock) up to size
	size  int              // the shard's bound in entries
	hand  int
	free  []int32  // empty slots of the ring
	bytes int      // bytes of the entries held (sum of their cost)
	limit int      // the shard's byte budget
	_     [64]byte // keeps neighbouring shards' locks off one cache line
}

// newTokenCache returns a cache of size entries (size > 0) and at most
// budget bytes accounted for.
func newTokenCache(size, budget int) *tokenCache {
	n := 1
	for n < maxCacheShards && size/(n*2) >= 16 && budget/(n*2) >= minShardBudget {
		n *= 2
	}
	c := &tokenCache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]cacheShard, n)}
	for i := range c.shards {
		sz := size / n
		if i < size%n {
			sz++
		}
		c.shards[i].size = sz
		c.shards[i].limit = budget / n
		c.shards[i].index = make(map[uint64]int32)
	}
	return c
}

// hashSpan is how many bytes at the end of a token its hash covers. A
// token ends with its signature (at least 43 characters, 256 bits, for
// HS256), which tells verified tokens apart; hashing the whole kilobyte or
// more costs ten times as much on every request. Tokens that share their end
// share a slot of the index at worst: the stored token is compared in full,
// so that is a miss, never a wrong answer.
const hashSpan = 64

func (c *tokenCache) shard(token string) (*cacheShard, uint64) {
	tail := token
	if len(tail) > hashSpan {
		tail = tail[len(tail)-hashSpan:]
	}
	h := maphash.String(c.seed, tail)
	return &c.shards[h&c.mask], h
}

// entryCost returns the bytes an entry for token and c is accounted for: the
// token's copy, the verified payload, every string of the claims (most share
// the payload's bytes, so this counts them twice at worst) and the slice
// headers, plus entryOverhead.
func entryCost(token string, c *Claims) int {
	n := entryOverhead + len(token) + len(c.raw) +
		len(c.Issuer) + len(c.Subject) + len(c.ID) + len(c.TokenUse) + len(c.ClientID) + len(c.Username)
	for _, l := range [...][]string{c.Audience, c.Groups, c.Scopes} {
		for _, x := range l {
			n += 16 + len(x)
		}
	}
	return n
}

// get returns the entry of token, or nil.
func (c *tokenCache) get(token string) *cacheEntry {
	sh, h := c.shard(token)
	var e *cacheEntry
	sh.mu.RLock()
	if i, ok := sh.index[h]; ok {
		s := &sh.slots[i]
		if s.token == token {
			e = s.entry
			if atomic.LoadUint32(&s.ref) == 0 {
				atomic.StoreUint32(&s.ref, 1)
			}
		}
	}
	sh.mu.RUnlock()
	return e
}

// put stores e for token, evicting another entry if the shard is full. The
// cache keeps a copy of token of its own: the caller's string may alias a
// buffer that is reused after the call (fasthttp), and an entry whose key
// changed under it would answer for another token.
//
// e.cost is set here. An entry larger than the shard's byte budget is not
// kept; otherwise entries are evicted until both bounds hold.
func (c *tokenCache) put(token string, e *cacheEntry, now time.Time) {
	sh, h := c.shard(token)
	e.cost = entryCost(token, e.claims)
	if sh.size == 0 || e.cost > sh.limit {
		return
	}
	token = strings.Clone(token)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.index[h]; ok {
		sh.clear(int(i))
	}
	for sh.bytes+e.cost > sh.limit && len(sh.index) > 0 {
		sh.clear(sh.sweep(now))
	}
	if len(sh.free) == 0 {
		if len(sh.slots) < sh.size {
			sh.slots = append(sh.slots, cacheSlot{})
			sh.free = append(sh.free, int32(len(sh.slots)-1))
		} else {
			sh.clear(sh.sweep(now)) // every slot is full
		}
	}
	i := int(sh.free[len(sh.free)-1])
	sh.free = sh.free[:len(sh.free)-1]
	s := &sh.slots[i]
	s.token, s.hash, s.entry = token, h, e
	atomic.StoreUint32(&s.ref, 0)
	sh.index[h] = int32(i)
	sh.bytes += e.cost
}

// clear empties slot i; sh.mu is held.
func (sh *cacheShard) clear(i int) {
	s := &sh.slots[i]
	if s.entry == nil {
		return
	}
	delete(sh.index, s.hash)
	sh.bytes -= s.entry.cost
	s.token, s.hash, s.entry = "", 0, nil
	atomic.StoreUint32(&s.ref, 0)
	sh.free = append(sh.free, int32(i))
}

// remove drops token's entry if it is still e.
func (c *tokenCache) remove(token string, e *cacheEntry) {
	sh, h := c.shard(token)
	sh.mu.Lock()
	if i, ok := sh.index[h]; ok && sh.slots[i].entry == e {
		sh.clear(int(i))
	}
	sh.mu.Unlock()
}

// len returns the number of entries (for tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.index)
		sh.mu.RUnlock()
	}
	return n
}

// accounted returns the bytes the entries held are accounted for (for tests).
func (c *tokenCache) accounted() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += sh.bytes
		sh.mu.RUnlock()
	}
	return n
}

// sweep advances the CLOCK hand to the slot to reuse or empty: an empty
// slot, an entry that is dead (expired, or its key gone), or one not used
// since the hand last passed; sh.mu is held and the ring is not empty.
func (sh *cacheShard) sweep(now time.Time) int {
	for range 2 * len(sh.slots) {
		i := sh.hand
		sh.hand++
		if sh.hand == len(sh.slots) {
			sh.hand = 0
		}
		s := &sh.slots[i]
		if s.entry == nil || !now.Before(s.entry.until) || s.entry.stale(context.Background()) {
			return i
		}
		if atomic.LoadUint32(&s.ref) != 0 {
			atomic.StoreUint32(&s.ref, 0)
			continue
		}
		return i
	}
	return sh.hand
}
