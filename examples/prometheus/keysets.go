package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/core"
)

// KeySetCollector exports the state of a Verifier's key sets, read from
// Verifier.KeySetStatus at scrape time (nothing runs between scrapes), one
// series per configured issuer:
//
//	jwtgate_keyset_loaded{issuer}                1 once a usable set has loaded
//	jwtgate_keyset_age_seconds{issuer}           since the last successful fetch (remote sets only)
//	jwtgate_keyset_consecutive_failures{issuer}  failed fetches since the last success
//	jwtgate_keyset_fetch_failures_total{issuer}  failed fetches since New
//	jwtgate_keyset_keys{issuer}                  usable keys in the current set
//
// Alert on loaded == 0 (the issuer's tokens get 503), on consecutive
// failures, or on an age well past the refresh interval.
type KeySetCollector struct {
	v   *core.Verifier
	now func() time.Time // the clock of the age; time.Now

	loaded, age, consecutive, failures, keys *prometheus.Desc
}

// NewKeySetCollector returns the collector of v's key sets; register it
// with a prometheus.Registerer.
func NewKeySetCollector(v *core.Verifier) *KeySetCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, []string{"issuer"}, nil)
	}
	return &KeySetCollector{
		v:           v,
		now:         time.Now,
		loaded:      d("jwtgate_keyset_loaded", "1 once a usable key set of the issuer has loaded; its tokens get 503 until then."),
		age:         d("jwtgate_keyset_age_seconds", "Seconds since the last successful fetch of the issuer's key set (remote sets only)."),
		consecutive: d("jwtgate_keyset_consecutive_failures", "Failed fetches of the issuer's key set since the last success."),
		failures:    d("jwtgate_keyset_fetch_failures_total", "Failed fetches of the issuer's key set since start."),
		keys:        d("jwtgate_keyset_keys", "Usable keys in the issuer's current key set."),
	}
}

// Describe sends the descriptions of the collector's metrics.
func (c *KeySetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.loaded, c.age, c.consecutive, c.failures, c.keys} {
		ch <- d
	}
}

// Collect reads the key sets' status and sends one sample per metric and
// issuer.
func (c *KeySetCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	for _, st := range c.v.KeySetStatus() {
		loaded := 0.0
		if st.Loaded {
			loaded = 1
		}
		ch <- prometheus.MustNewConstMetric(c.loaded, prometheus.GaugeValue, loaded, st.Issuer)
		if !st.Static && !st.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(st.LastSuccess).Seconds(), st.Issuer)
		}
		ch <- prometheus.MustNewConstMetric(c.consecutive, prometheus.GaugeValue, float64(st.ConsecutiveFailures), st.Issuer)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(st.FetchFailures), st.Issuer)
		ch <- prometheus.MustNewConstMetric(c.keys, prometheus.GaugeValue, float64(st.Keys), st.Issuer)
	}
}
