package httpx

import (
	"testing"
	"time"
)

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http1123) }
	for _, c := range []struct {
		name  string
		value string
		limit time.Duration
		want  time.Duration
	}{
		{"absent", "", time.Minute, 0},
		{"seconds", "5", time.Minute, 5 * time.Second},
		{"seconds with spaces", " 7 ", time.Minute, 7 * time.Second},
		{"zero", "0", time.Minute, 0},
		{"negative", "-3", time.Minute, 0},
		{"garbage", "abc", time.Minute, 0},
		{"fraction", "1.5", time.Minute, 0},
		{"seconds capped", "99999999999", time.Minute, time.Minute},
		{"seconds overflowing int64", "999999999999999999999", time.Minute, 0},
		{"seconds at the cap", "60", time.Minute, time.Minute},
		{"date", date(30 * time.Second), time.Minute, 30 * time.Second},
		{"date in the past", date(-30 * time.Second), time.Minute, 0},
		{"date capped", date(time.Hour), time.Minute, time.Minute},
		{"RFC 850 date", now.Add(10 * time.Second).Format(time.RFC850), time.Minute, 10 * time.Second},
		{"ANSI C date", now.Add(20 * time.Second).Format(time.ANSIC), time.Minute, 20 * time.Second},
		{"cap below a second", "3", 500 * time.Millisecond, 500 * time.Millisecond},
		{"no cap", "3", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := RetryAfter(c.value, now, c.limit); got != c.want {
				t.Errorf("RetryAfter(%q, %v) = %v; want %v", c.value, c.limit, got, c.want)
			}
		})
	}
}

// http1123 is time.RFC1123 with the zone HTTP requires.
const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	for n := 0; n <= 70; n++ {
		want := time.Minute
		if n < 6 {
			want = time.Second << n
		}
		for range 20 {
			if d := Backoff(n, time.Second, time.Minute); d < want/2 || d > want {
				t.Errorf("Backoff(%d) = %v; want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := Backoff(3, 0, time.Minute); d != 0 {
		t.Errorf("Backoff with a zero base = %v; want 0", d)
	}
	if d := Backoff(0, time.Second, 0); d != 0 {
		t.Errorf("Backoff with a zero cap = %v; want 0", d)
	}
}

func TestBackoffIsJittered(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[Backoff(4, time.Second, time.Minute)] = true
	}
	if len(seen) < 2 {
		t.Errorf("got %d distinct waits in 100 draws; want several", len(seen))
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":           true,
		"LocalHost":           true,
		"127.0.0.1":           true,
		"127.1.2.3":           true,
		"::1":                 true,
		"::ffff:127.0.0.1":    true,
		"0:0:0:0:0:0:0:1":     true,
		"::1%lo0":             true,
		"128.0.0.1":           false,
		"10.0.0.1":            false,
		"::":                  false,
		"::ffff:10.0.0.1":     false,
		"localhost.evil.test": false,
		"mylocalhost":         false,
		"example.com":         false,
		"":                    false,
		"[::1]":               false, // brackets belong to the URL, not the host
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v; want %v", host, got, want)
		}
	}
}

func TestIsTchar(t *testing.T) {
	const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	in := map[byte]bool{}
	for i := 0; i < len(tchars); i++ {
		in[tchars[i]] = true
	}
	for c := 0; c < 256; c++ {
		if got := IsTchar(byte(c)); got != in[byte(c)] {
			t.Errorf("IsTchar(%q) = %v; want %v", byte(c), got, in[byte(c)])
		}
	}
}
