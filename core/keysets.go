package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/internal/keyset"
)

// KeySetConfig tunes how remote key sets (Issuer.JWKSURL or discovery) are
// fetched and refreshed. The zero value is the safe default; New refuses a
// value outside a field's bounds with an error naming the field. Static sets
// (Issuer.JWKS) ignore it.
type KeySetConfig struct {
	// RefreshInterval is how often a remote key set is fetched again when
	// the key server sends no Cache-Control max-age (a max-age is followed,
	// clamped to [1 minute, 1 hour]). Each wait is up to 10% shorter, so that
	// a fleet does not refresh in step. A key the issuer removes stops
	// verifying at the next refresh. If zero, 15 minutes. Between 1 minute
	// and 24 hours.
	RefreshInterval time.Duration

	// MinRefreshInterval is the least time between two fetches of one
	// issuer's set caused by requests (an unknown kid, or a set not loaded
	// yet), and the longest a kid found missing is remembered as missing: a
	// key rotated in is usable within this time, even during a flood of
	// random kids. If zero, 30 seconds. Between 1 second and 5 minutes, and
	// at most RefreshInterval.
	MinRefreshInterval time.Duration

	// FetchTimeout bounds one fetch (discovery document or JWK Set) in
	// total, whoever waits for it. If zero, 5 seconds. Between 100
	// milliseconds and 1 minute.
	FetchTimeout time.Duration

	// RequestWait is the longest a request waits for a fetch it needs (its
	// kid is unknown, or the set has not loaded yet), and never past its own
	// context; then it fails (401 for an unknown kid, 503 while nothing has
	// loaded). If zero, 2 seconds, or FetchTimeout if that is shorter.
	// Between 1 millisecond and FetchTimeout.
	RequestWait time.Duration
}

// check refuses values outside the documented bounds, which the key set
// package keeps with its defaults. Zero is the default.
func (c KeySetConfig) check() error {
	var kc keyset.Config
	c.apply(&kc)
	if err := kc.CheckTiming(); err != nil {
		return fmt.Errorf("jwtgate: Config.KeySet.%w", err)
	}
	return nil
}

// KeySetStatus is the state of one issuer's key set, as Verifier.KeySetStatus
// reports it for health pages and alerts. It holds no key material; URLs
// and error texts have their query, fragment and userinfo redacted.
type KeySetStatus struct {
	// Issuer is the issuer's URL (Issuer.URL).
	Issuer string
	// JWKSURL is the JWK Set URL, redacted: the configured one, the one
	// discovery found, or the discovery document's until then. Empty for a
	// static set.
	JWKSURL string
	// Static is true for a set from Issuer.JWKS.
	Static bool
	// Loaded is true once a usable set has loaded; tokens of this issuer
	// get 503 until then.
	Loaded bool
	// LastSuccess is when the last successful fetch ended (a static set:
	// when New loaded it); zero if none.
	LastSuccess time.Time
	// LastFailure is when the last failed fetch ended; zero if none.
	LastFailure time.Time
	// LastError is the error of that failed fetch; empty if none.
	LastError string
	// ConsecutiveFailures counts failed fetches since the last success.
	ConsecutiveFailures int
	// FetchFailures counts failed fetches since New.
	FetchFailures int
	// Keys is the number of usable keys in the current set.
	Keys int
	// KIDs are their kids, sorted; a key without kid is listed as "".
	KIDs []string
}

// KeySetStatus reports the state of every issuer's key set, in the order of
// Config.Issuers. It reads the sets' state under their locks and allocates:
// call it from a health or metrics endpoint, not per request.
func (v *Verifier) KeySetStatus() []KeySetStatus {
	if v == nil {
		return nil
	}
	out := make([]KeySetStatus, 0, len(v.sets))
	for _, s := range v.sets {
		// A conversion: the two structs must keep the same fields in the
		// same order, or this does not compile.
		out = append(out, KeySetStatus(s.Status()))
	}
	return out
}

// Ready reports whether every issuer's key set has loaded (docs/SECURITY.md
// K11): nil when all have, otherwise an error that matches
// ErrKeysUnavailable and names the issuers whose sets have not loaded yet.
// Static sets are loaded by New.
//
// Ready returns at once, the shape of a readiness probe: it neither waits
// for nor starts a fetch (sets that failed to load are retried in the
// background with backoff). It returns ctx's error if ctx has already
// ended. Once a set has loaded it stays loaded: a failed refresh keeps the
// last good keys, so Ready does not turn false during a key server outage.
func (v *Verifier) Ready(ctx context.Context) error {
	if v == nil {
		return errNoVerifier
	}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	var missing []string
	for _, s := range v.sets {
		if !s.Ready() {
			missing = append(missing, s.Status().Issuer)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: key sets not loaded yet: %s", ErrKeysUnavailable, strings.Join(missing, ", "))
}

// apply copies c into a key set's configuration.
func (c KeySetConfig) apply(kc *keyset.Config) {
	kc.RefreshInterval = c.RefreshInterval
	kc.MinRefreshInterval = c.MinRefreshInterval
	kc.FetchTimeout = c.FetchTimeout
	kc.RequestWait = c.RequestWait
}
