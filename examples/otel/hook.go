package main

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jwtgate/jwtgate/core"
)

// NewHook returns a core.Config.OnResult hook that counts on meter:
//
//	jwtgate.requests{class, reason, issuer}  one per Verify/Authenticate call
//	jwtgate.cache.requests{result}           verified-token cache hits and misses
//
// Attribute sets (and the option slices that carry them) are built once per
// distinct Result and kept: there are few (every value is bounded by the
// configuration), and a kept set makes Add allocate nothing.
func NewHook(meter metric.Meter) (func(context.Context, core.Result), error) {
	requests, err := meter.Int64Counter("jwtgate.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests authenticated by jwtgate, by answer class, reason and configured issuer."))
	if err != nil {
		return nil, err
	}
	cache, err := meter.Int64Counter("jwtgate.cache.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Tokens looked up in jwtgate's verified-token cache, by result."))
	if err != nil {
		return nil, err
	}
	cacheAttrs := map[string][]metric.AddOption{
		core.CacheHit:  {metric.WithAttributeSet(attribute.NewSet(attribute.String("result", core.CacheHit)))},
		core.CacheMiss: {metric.WithAttributeSet(attribute.NewSet(attribute.String("result", core.CacheMiss)))},
	}

	type key struct{ class, reason, issuer string }
	var mu sync.RWMutex
	sets := map[key][]metric.AddOption{}
	attrs := func(r core.Result) []metric.AddOption {
		k := key{r.Class, r.Reason, r.Issuer}
		mu.RLock()
		opt, ok := sets[k]
		mu.RUnlock()
		if ok {
			return opt
		}
		opt = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
			attribute.String("class", r.Class),
			attribute.String("reason", r.Reason),
			attribute.String("issuer", r.Issuer),
		))}
		mu.Lock()
		sets[k] = opt
		mu.Unlock()
		return opt
	}

	return func(ctx context.Context, r core.Result) {
		requests.Add(ctx, 1, attrs(r)...)
		if opt, ok := cacheAttrs[r.Cache]; ok {
			cache.Add(ctx, 1, opt...)
		}
	}, nil
}
