package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/core"
)

// Metrics counts jwtgate's answers for Prometheus. Its OnResult method is
// the core.Config.OnResult hook.
type Metrics struct {
	requests     *prometheus.CounterVec
	hits, misses prometheus.Counter
}

// NewMetrics registers jwtgate's request counters with reg:
//
//	jwtgate_requests_total{class, reason, issuer}  one per Verify/Authenticate call
//	jwtgate_cache_requests_total{result}            verified-token cache hits and misses
//
// Every label value comes from core's fixed vocabulary or the configured
// issuers, so the number of series is bounded whatever clients send.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtgate_requests_total",
			Help: "Requests authenticated by jwtgate, by answer class (ok, missing, invalid_request, invalid_token, insufficient_scope, unavailable), reason and configured issuer.",
		}, []string{"class", "reason", "issuer"}),
	}
	cache := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_cache_requests_total",
		Help: "Tokens looked up in jwtgate's verified-token cache, by result (hit, miss).",
	}, []string{"result"})
	m.hits = cache.WithLabelValues(core.CacheHit)
	m.misses = cache.WithLabelValues(core.CacheMiss)
	for _, c := range []prometheus.Collector{m.requests, cache} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// OnResult counts r. It is safe for concurrent use.
func (m *Metrics) OnResult(_ context.Context, r core.Result) {
	m.requests.WithLabelValues(r.Class, r.Reason, r.Issuer).Inc()
	switch r.Cache {
	case core.CacheHit:
		m.hits.Inc()
	case core.CacheMiss:
		m.misses.Inc()
	}
}
