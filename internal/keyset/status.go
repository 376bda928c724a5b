package keyset

import (
	"slices"
	"time"
)

// Status is a snapshot of one key set's state, for health pages and
// readiness checks. It holds no key material; URLs and error texts are
// redacted (RedactURL).
//
// core.KeySetStatus is converted from Status: a field added here must be
// added there too, with the same name and type, in the same place.
type Status struct {
	Issuer              string    // the exact iss value
	JWKSURL             string    // the JWKS URL (discovery's until jwks_uri is known), redacted; "" for a static set
	Static              bool      // the set came from Config.JWKS
	Loaded              bool      // a usable set has loaded at least once
	LastSuccess         time.Time // end of the last successful fetch (a static set: when New loaded it)
	LastFailure         time.Time // end of the last failed fetch; zero if none
	LastError           string    // that failure's error; "" if none
	ConsecutiveFailures int       // failed fetches since the last success
	FetchFailures       int       // failed fetches since New
	Keys                int       // usable keys in the current set
	KIDs                []string  // their kids, sorted; a key without kid is listed as ""
}

// Status returns the set's current state. It takes the set's lock briefly
// and allocates; it is not meant for the request path.
func (ks *Set) Status() Status {
	st := Status{Issuer: ks.issuer, Static: ks.remote == nil}
	if s := ks.snap.Load(); s != nil {
		st.Loaded = true
		st.Keys = len(s.keys)
		st.KIDs = make([]string, 0, len(s.keys))
		for kid := range s.keys {
			st.KIDs = append(st.KIDs, kid)
		}
		slices.Sort(st.KIDs)
	}
	r := ks.remote
	if r == nil {
		st.LastSuccess = ks.loadedAt
		return st
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	st.JWKSURL = r.shownURL
	if st.JWKSURL == "" {
		st.JWKSURL = RedactURL(r.firstURL)
	}
	st.LastSuccess, st.LastFailure, st.LastError = r.lastSuccess, r.lastFailure, r.lastErr
	st.ConsecutiveFailures, st.FetchFailures = r.failures, r.totalFailures
	return st
}
