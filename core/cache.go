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
// claims: the entry, its two Claims (the template and the shared view) and
// their string and slice headers, the slot, the index's share, and
// allocator rounding.
const entryOverhead = 768

// minShardBudget is the least byte budget a shard gets: room for a dozen
// entries of maximal size, so that no shard is too small for any token.
const minShardBudget = 256 << 10

// maxCacheShards bounds the number of shards. Each shard has its own lock
// for insertions and evictions; hits take no lock at all.
const maxCacheShards = 64

// shardBits is how many low bits of a hash may choose the shard; the bits
// above them choose the slot in the shard's table.
const shardBits = 8

// tokenCache is the verified-token cache. It maps the exact token string to
// the claims it verified to, bounded by entries and by bytes (cacheBudget).
//
// Each shard is an open-addressed table (linear probing) of atomic pointers
// to immutable entries, at most half full. A hit loads pointers and compares
// strings: no lock, and no write to shared memory except the first time the
// entry's reference bit is set after a sweep cleared it, so the same hot
// token scales with cores. Insertions, evictions and removals take the
// shard's mutex. Eviction is CLOCK over the table: the hand lowers each
// entry's count of passes left (refNew, refHit) and takes the first entry
// with none left, or a dead one (expired, its key gone). Before that, once
// the earliest expiry in the shard has passed, one sweep drops every dead
// entry, so that dead entries always go before live ones. Removal shifts the entries after a hole
// back (no tombstones); a hit that races with a shift may miss, which costs
// a full check, never a wrong answer.
//
// Entries are keyed by a seeded 64-bit hash of the token's last bytes
// (hashSpan); the stored token string, a copy of the cache's own, is
// compared on every hit, so a collision is a miss, never a wrong answer.
type tokenCache struct {
	seed   maphash.Seed
	mask   uint64
	shards []cacheShard
}

// cacheEntry is one verified token. Everything but ref and view is set
// before the entry is published and never changes. Its claims are a
// template that is never handed out: Verify hands out copies, and
// AuthenticateContext the one copy in view.
type cacheEntry struct {
	token  string // the cache's own copy
	hash   uint64
	claims *Claims
	key    *keyset.Key
	until  time.Time // ExpiresAt + leeway: after it, the entry is dead
	from   time.Time // the later of NotBefore and IssuedAt, less leeway; zero if neither
	cost   int       // bytes accounted for (entryCost)

	// single is the issuer's key set when the token had no kid and key was
	// the set's only key (H04), else nil. A hit on such an entry asks the
	// set again: once the set no longer holds exactly that one key, the
	// entry is dead and the token is checked cold, as a new token would be.
	single *keyset.Set
	alg    alg.ID

	ref atomic.Uint32 // CLOCK: passes of the hand left; refNew, raised to refHit by hits

	// view is the copy of claims that the requests carrying this token
	// share (AuthenticateContext), made on the first such hit; see shared.
	view atomic.Pointer[Claims]
}

// shared returns the copy of the entry's claims that requests carrying its
// token share, made on first use. The copy is checked against the template
// on every use: when a caller has changed it, though it is theirs to read
// only, it is replaced by a new copy, so that the change reaches no request
// that starts after it. The check compares string headers and times; it
// neither locks nor allocates.
func (e *cacheEntry) shared() *Claims {
	c := e.view.Load()
	if c != nil && c.same(e.claims) {
		return c
	}
	n := e.claims.clone()
	e.view.CompareAndSwap(c, n) // a lost race leaves another fresh copy there; n is as good
	return n
}

// A new entry survives one pass of the CLOCK hand, an entry hit since the
// hand last passed it two: a token used again outlasts any number of tokens
// seen once, and the hand takes dead entries before live ones it has not
// passed yet.
const (
	refNew = 1
	refHit = 2
)

// newCacheEntry returns the entry of claims c verified as used says.
func newCacheEntry(c *Claims, used keyUse, leeway time.Duration) *cacheEntry {
	e := &cacheEntry{claims: c, key: used.key, until: c.ExpiresAt.Add(leeway), single: used.single, alg: used.alg}
	for _, t := range [...]time.Time{c.NotBefore, c.IssuedAt} {
		if !t.IsZero() {
			if t = t.Add(-leeway); t.After(e.from) {
				e.from = t
			}
		}
	}
	return e
}

// timely reports whether now is within the entry's time window: what
// Verifier.checkTimes allows, from bounds worked out once per entry.
func (e *cacheEntry) timely(now time.Time) bool {
	return now.Before(e.until) && (e.from.IsZero() || !now.Before(e.from))
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

type cacheShard struct {
	table []atomic.Pointer[cacheEntry] // fixed length, a power of two
	tmask uint64                       // len(table) - 1

	mu    sync.Mutex // guards everything below and every store to table
	n     int        // entries held
	size  int        // the shard's bound in entries (at most half the table)
	bytes int        // bytes of the entries held (sum of their cost)
	limit int        // the shard's byte budget
	hand  uint64     // CLOCK hand: a table index
	first time.Time  // no entry's until is earlier (a lower bound; exact after a purge)
	_     [64]byte   // keeps neighbouring shards' locks off one cache line
}

// newTokenCache returns a cache of size entries (size > 0) and at most
// budget bytes accounted for. No shard holds more entries than its budget
// has room for at entryOverhead each, so the tables stay small at any size.
func newTokenCache(size, budget int) *tokenCache {
	n := 1
	for n < maxCacheShards && size/(n*2) >= 16 && budget/(n*2) >= minShardBudget {
		n *= 2
	}
	c := &tokenCache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]cacheShard, n)}
	for i := range c.shards {
		sh := &c.shards[i]
		sz := size / n
		if i < size%n {
			sz++
		}
		sh.limit = budget / n
		sz = min(sz, sh.limit/entryOverhead)
		t := 8
		for t < 2*sz {
			t *= 2
		}
		sh.size, sh.table, sh.tmask = sz, make([]atomic.Pointer[cacheEntry], t), uint64(t-1)
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

// home is the table index where an entry of hash h is looked for first.
func (sh *cacheShard) home(h uint64) uint64 { return h >> shardBits & sh.tmask }

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

// get returns the entry of token, or nil. It takes no lock.
func (c *tokenCache) get(token string) *cacheEntry {
	sh, h := c.shard(token)
	i := sh.home(h)
	for range sh.table {
		e := sh.table[i].Load()
		if e == nil {
			return nil
		}
		if e.hash == h && e.token == token {
			if e.ref.Load() != refHit {
				e.ref.Store(refHit)
			}
			return e
		}
		i = (i + 1) & sh.tmask
	}
	return nil
}

// put stores e for token, evicting other entries while the shard is over
// either bound. The cache keeps a copy of token of its own: the caller's
// string may alias a buffer that is reused after the call (fasthttp), and
// an entry whose key changed under it would answer for another token. e
// must not be shared yet: put sets its token, hash and cost. An entry
// larger than the shard's byte budget is not kept.
func (c *tokenCache) put(token string, e *cacheEntry, now time.Time) {
	sh, h := c.shard(token)
	e.cost = entryCost(token, e.claims)
	if sh.size == 0 || e.cost > sh.limit {
		return
	}
	e.token, e.hash = strings.Clone(token), h
	e.ref.Store(refNew)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.find(h, token); ok {
		sh.delete(i)
	}
	for sh.n > 0 && (sh.n >= sh.size || sh.bytes+e.cost > sh.limit) {
		sh.evict(now)
	}
	i := sh.home(h)
	for sh.table[i].Load() != nil {
		i = (i + 1) & sh.tmask
	}
	sh.table[i].Store(e)
	sh.n++
	sh.bytes += e.cost
	if sh.n == 1 || e.until.Before(sh.first) {
		sh.first = e.until
	}
}

// remove drops token's entry if it is still e.
func (c *tokenCache) remove(token string, e *cacheEntry) {
	sh, h := c.shard(token)
	sh.mu.Lock()
	if i, ok := sh.find(h, token); ok && sh.table[i].Load() == e {
		sh.delete(i)
	}
	sh.mu.Unlock()
}

// find returns the table index of token's entry; sh.mu is held.
func (sh *cacheShard) find(h uint64, token string) (uint64, bool) {
	i := sh.home(h)
	for {
		e := sh.table[i].Load()
		if e == nil {
			return 0, false
		}
		if e.hash == h && e.token == token {
			return i, true
		}
		i = (i + 1) & sh.tmask
	}
}

// evict drops one entry, moving the CLOCK hand; sh.mu is held and sh.n > 0.
// Within refHit+1 turns of the hand an entry has run out of passes, unless
// hits raised them all again meanwhile: then the entry at the hand goes.
func (sh *cacheShard) evict(now time.Time) {
	if !now.Before(sh.first) && sh.purge(now) {
		return
	}
	for range (refHit + 1) * len(sh.table) {
		i := sh.hand
		e := sh.table[i].Load()
		switch {
		case e == nil:
		case !now.Before(e.until) || e.stale(context.Background()) || e.ref.Load() == 0:
			// The hand stays: delete may shift the next entry into i.
			sh.delete(i)
			return
		default:
			e.ref.Add(^uint32(0)) // one pass fewer; hits only raise it
		}
		sh.hand = (i + 1) & sh.tmask
	}
	for sh.table[sh.hand].Load() == nil {
		sh.hand = (sh.hand + 1) & sh.tmask
	}
	sh.delete(sh.hand)
}

// purge drops every expired entry, or an entry whose key is gone, and sets
// sh.first to the earliest until left; sh.mu is held. It reports whether it
// dropped any. Evictions call it only when sh.first says an entry may have
// expired, so dead entries go before live ones whatever the hand's place.
func (sh *cacheShard) purge(now time.Time) bool {
	dropped := false
	for i := range uint64(len(sh.table)) {
		// delete shifts the next entry into i: look at i again.
		for e := sh.table[i].Load(); e != nil && (!now.Before(e.until) || e.stale(context.Background())); e = sh.table[i].Load() {
			sh.delete(i)
			dropped = true
		}
	}
	sh.first = time.Time{}
	for i := range sh.table {
		if e := sh.table[i].Load(); e != nil && (sh.first.IsZero() || e.until.Before(sh.first)) {
			sh.first = e.until
		}
	}
	return dropped
}

// delete empties table index i and shifts back the entries after it that
// would otherwise no longer be found from their home index (linear probing
// without tombstones); sh.mu is held. A moved entry is briefly at two
// indexes, and a concurrent get may miss an entry being moved: a miss is
// always safe.
func (sh *cacheShard) delete(i uint64) {
	e := sh.table[i].Load()
	sh.n--
	sh.bytes -= e.cost
	j := i
	for {
		j = (j + 1) & sh.tmask
		f := sh.table[j].Load()
		if f == nil {
			break
		}
		// f may fill the hole at i unless its home lies cyclically in (i, j].
		k := sh.home(f.hash)
		if (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			sh.table[i].Store(f)
			i = j
		}
	}
	sh.table[i].Store(nil)
}

// len returns the number of entries (for tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += sh.n
		sh.mu.Unlock()
	}
	return n
}

// accounted returns the bytes the entries held are accounted for (for tests).
func (c *tokenCache) accounted() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += sh.bytes
		sh.mu.Unlock()
	}
	return n
}
