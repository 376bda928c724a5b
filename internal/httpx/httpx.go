// Package httpx holds the small pieces of HTTP client and server behaviour
// that core and refresh share: reading Retry-After, waiting between retries,
// deciding whether a host is loopback, and the tchar character class.
package httpx

import (
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads a Retry-After value (RFC 9110 §10.2.3): delay-seconds or
// an HTTP-date, the latter measured from now. The result is bounded to
// [0, limit]; an absent, unreadable, zero, negative or past value is 0.
func RetryAfter(value string, now time.Time, limit time.Duration) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" || limit <= 0 {
		return 0
	}
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n >= int64(limit/time.Second) {
			return limit
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), limit)
}

// Backoff is the wait before retry n (n = 0 for the first retry): base·2ⁿ
// capped at limit, of which the upper half is random ("equal jitter"), so
// that many clients failing together do not retry in step. The result lies
// in [d/2, d] where d = min(base·2ⁿ, limit).
func Backoff(n int, base, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2 // no overflow: d < limit before doubling
	}
	d = min(d, limit)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// IsLoopbackHost reports whether host, as url.URL.Hostname returns it, names
// the local machine: "localhost" in any case, an address in 127.0.0.0/8, or
// ::1, including IPv4 loopback addresses written as IPv4-mapped IPv6
// (::ffff:127.0.0.1). Other names are not resolved.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// IsTchar reports whether c is a tchar (RFC 9110 §5.6.2, formerly RFC 7230
// §3.2.6): a character of a token such as a field name or an auth-scheme.
func IsTchar(c byte) bool {
	if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
