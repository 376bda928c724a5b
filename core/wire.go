package core

// BearerToken extracts the token from all values of the Authorization
// header, per RFC 6750 §2.1.
func BearerToken(authorization []string) (string, error) {
	return "", ErrMissingToken
}

// Challenge maps err to the HTTP status and WWW-Authenticate value (RFC 6750
// §3). realm "" means "api". An empty wwwAuthenticate means no header.
func Challenge(err error, realm string) (status int, wwwAuthenticate string) {
	return 401, `Bearer realm="api"`
}

// ContentType is the media type of Response bodies.
const ContentType = "application/json"

// Response is the complete answer to a refused request. Every adapter writes
// it as it is, so that all frameworks answer byte for byte alike.
type Response struct {
	Status          int
	WWWAuthenticate string // "" means no WWW-Authenticate header
	RetryAfter      string // "" means no Retry-After header
	Body            []byte // {"error":"…","error_description":"…"}, Content-Type ContentType
}

// Respond maps err to the Response an adapter writes. realm "" means "api".
func Respond(err error, realm string) Response {
	status, www := Challenge(err, realm)
	return Response{Status: status, WWWAuthenticate: www}
}
