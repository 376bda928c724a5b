package refresh

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// CognitoConfig configures a CognitoExchanger.
type CognitoConfig struct {
	// Region is the user pool's AWS region, e.g. "eu-west-1". Required
	// unless Endpoint is set (then "us-east-1" is assumed if empty).
	Region string
	// Endpoint overrides the cognito-idp API endpoint (cognito-local, tests).
	// It must be https, except for loopback hosts. If empty, the region's
	// public endpoint is used.
	Endpoint string
	// ClientID is the app client id. Required.
	ClientID string
	// ClientSecret is the app client's secret. If empty, the client is
	// public and no SECRET_HASH is sent.
	ClientSecret string
	// Username is the Cognito user name used in SECRET_HASH (the
	// "username" claim of the access token — for pools that sign in by
	// email this is the internal id, not the email). If empty, it is read
	// from the current access token's username claim (or the ID token's
	// cognito:username). Only needed when ClientSecret is set and
	// UseGetTokensFromRefreshToken is false.
	Username string
	// UseGetTokensFromRefreshToken selects the GetTokensFromRefreshToken
	// API (required for app clients with refresh-token rotation; it sends the
	// raw ClientSecret and returns a new refresh token). If false,
	// InitiateAuth with REFRESH_TOKEN_AUTH is used (it never rotates).
	UseGetTokensFromRefreshToken bool
	// DeviceKey is sent as DEVICE_KEY / DeviceKey when the pool remembers
	// devices. If empty, none is sent.
	DeviceKey string
}

// CognitoExchanger refreshes through the Cognito user pool API
// (cognito-idp InitiateAuth REFRESH_TOKEN_AUTH, or GetTokensFromRefreshToken)
// with anonymous credentials: these operations take no SigV4 signature.
// Requests go through the Transport of the Source's WithHTTPClient, if set;
// redirects are never followed and the SDK's own retries are off (the Source
// retries).
type CognitoExchanger struct {
	cfg    CognitoConfig
	client *cip.Client
}

// NewCognitoExchanger checks cfg and returns an Exchanger for it.
func NewCognitoExchanger(cfg CognitoConfig) (*CognitoExchanger, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: CognitoConfig.ClientID is required", ErrMisconfigured)
	}
	if cfg.Region == "" {
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("%w: CognitoConfig.Region or Endpoint is required", ErrMisconfigured)
		}
		cfg.Region = "us-east-1"
	}
	var base *string
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%w: CognitoConfig.Endpoint is not an absolute URL", ErrMisconfigured)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && httpx.IsLoopbackHost(u.Hostname())) {
			return nil, fmt.Errorf("%w: CognitoConfig.Endpoint must be https (http only for loopback hosts)", ErrMisconfigured)
		}
		base = aws.String(cfg.Endpoint)
	}
	client := cip.New(cip.Options{
		Region:       cfg.Region,
		BaseEndpoint: base,
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
		HTTPClient:   apiClient(nil),
	})
	return &CognitoExchanger{cfg: cfg, client: client}, nil
}

// apiClient is the client for Cognito API calls: hc's Transport (or
// http.DefaultTransport), no redirects, answers capped at 1 MiB.
func apiClient(hc *http.Client) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if hc != nil && hc.Transport != nil {
		rt = hc.Transport
	}
	return &http.Client{
		Transport:     &tokenTransport{base: rt, anyType: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SecretHash returns Cognito's SECRET_HASH: base64(HMAC-SHA256(key =
// clientSecret, message = username + clientID)).
func SecretHash(username, clientID, clientSecret string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Exchange implements Exchanger, with time.Now as the clock. Without the
// current tokens, SECRET_HASH needs CognitoConfig.Username.
func (x *CognitoExchanger) Exchange(ctx context.Context, refreshToken string) (*Tokens, error) {
	return x.ExchangeRequest(ctx, Request{Current: &Tokens{RefreshToken: refreshToken}, Now: time.Now})
}

// ExchangeRequest implements RequestExchanger: it swaps
// r.Current.RefreshToken, takes the SECRET_HASH user name from r.Current's
// tokens when CognitoConfig.Username is empty, and measures ExpiresIn from
// r.Now when the answer arrives.
func (x *CognitoExchanger) ExchangeRequest(ctx context.Context, r Request) (*Tokens, error) {
	if r.Current == nil || r.Current.RefreshToken == "" {
		return nil, errNoRefreshToken
	}
	refreshToken := r.Current.RefreshToken
	var opts []func(*cip.Options)
	if r.HTTPClient != nil {
		hc := apiClient(r.HTTPClient)
		opts = append(opts, func(o *cip.Options) { o.HTTPClient = hc })
	}
	var (
		res *types.AuthenticationResultType
		err error
	)
	if x.cfg.UseGetTokensFromRefreshToken {
		in := &cip.GetTokensFromRefreshTokenInput{
			ClientId:     aws.String(x.cfg.ClientID),
			RefreshToken: aws.String(refreshToken),
		}
		if x.cfg.ClientSecret != "" {
			in.ClientSecret = aws.String(x.cfg.ClientSecret)
		}
		if x.cfg.DeviceKey != "" {
			in.DeviceKey = aws.String(x.cfg.DeviceKey)
		}
		var out *cip.GetTokensFromRefreshTokenOutput
		out, err = x.client.GetTokensFromRefreshToken(ctx, in, opts...)
		if out != nil {
			res = out.AuthenticationResult
		}
	} else {
		params := map[string]string{"REFRESH_TOKEN": refreshToken}
		if x.cfg.ClientSecret != "" {
			user := x.username(r.Current)
			if user == "" {
				return nil, &ExchangeError{Kind: ErrMisconfigured,
					Err: errors.New("SECRET_HASH needs a user name: set CognitoConfig.Username")}
			}
			params["SECRET_HASH"] = SecretHash(user, x.cfg.ClientID, x.cfg.ClientSecret)
		}
		if x.cfg.DeviceKey != "" {
			params["DEVICE_KEY"] = x.cfg.DeviceKey
		}
		var out *cip.InitiateAuthOutput
		out, err = x.client.InitiateAuth(ctx, &cip.InitiateAuthInput{
			AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
			ClientId:       aws.String(x.cfg.ClientID),
			AuthParameters: params,
		}, opts...)
		if out != nil {
			res = out.AuthenticationResult
			if res == nil && out.ChallengeName != "" {
				return nil, &ExchangeError{Kind: ErrInvalidResponse,
					Err: fmt.Errorf("unexpected challenge %q", sanitizeCode(string(out.ChallengeName)))}
			}
		}
	}
	if err != nil {
		return nil, classifyCognito(err, r.now(), secretsOf(r, x.cfg.ClientSecret))
	}
	if res == nil {
		return nil, &ExchangeError{Kind: ErrInvalidResponse, Err: errors.New("no AuthenticationResult")}
	}
	return &Tokens{
		AccessToken:  aws.ToString(res.AccessToken),
		IDToken:      aws.ToString(res.IdToken),
		RefreshToken: aws.ToString(res.RefreshToken),
		TokenType:    aws.ToString(res.TokenType),
		Expiry:       expiryFromSeconds(int64(res.ExpiresIn), r.now()),
	}, nil
}

// username is the Cognito user name for SECRET_HASH: the configured one, or
// the (unverified) username claim of the tokens being replaced.
func (x *CognitoExchanger) username(cur *Tokens) string {
	if x.cfg.Username != "" {
		return x.cfg.Username
	}
	if cur == nil {
		return ""
	}
	if c, ok := unverifiedClaims(cur.AccessToken); ok && c.Username != "" {
		return c.Username
	}
	if c, ok := unverifiedClaims(cur.IDToken); ok && c.CognitoUsername != "" {
		return c.CognitoUsername
	}
	return ""
}

// classifyCognito maps an SDK error to an *ExchangeError. The exception
// message goes to Description only.
func classifyCognito(err error, now time.Time, secrets []string) error {
	var te *tokenResponseError
	if errors.As(err, &te) {
		return &ExchangeError{Kind: ErrInvalidResponse, StatusCode: te.status, Err: te}
	}
	xe := &ExchangeError{}
	var hs interface {
		HTTPStatusCode() int
		HTTPResponse() *smithyhttp.Response
	}
	if errors.As(err, &hs) {
		xe.StatusCode = hs.HTTPStatusCode()
		if r := hs.HTTPResponse(); r != nil && r.Response != nil {
			xe.RetryAfter = httpx.RetryAfter(r.Header.Get("Retry-After"), now, maxRetryAfter)
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" && ae.ErrorCode() != "UnknownError" {
		xe.Code = cognitoCode(ae.ErrorCode())
		xe.Description = scrub(ae.ErrorMessage(), secrets...)
		xe.Kind = cognitoKind(xe.Code, ae.ErrorMessage(), xe.StatusCode)
		return xe
	}
	switch {
	case xe.StatusCode >= 200 && xe.StatusCode < 300:
		// A success status whose body the SDK could not read (HTML, cut-off
		// JSON): the refresh token may already be rotated, so this is not
		// retried at once. The SDK's text is not kept.
		xe.Kind = ErrInvalidResponse
		xe.Err = errors.New("the answer could not be read as a Cognito response")
	case xe.StatusCode >= 300 && xe.StatusCode < 400:
		xe.Kind = ErrMisconfigured
		xe.Err = errors.New("endpoint redirected; redirects are not followed")
	case xe.StatusCode >= 400 && xe.StatusCode < 500 && xe.StatusCode != 429 && xe.StatusCode != 408:
		xe.Kind = ErrMisconfigured
	default:
		// Network failure, timeout, 5xx without a body: the SDK's text names
		// the operation and the endpoint, never a token.
		xe.Kind = ErrUnavailable
		xe.Err = err
	}
	return xe
}

// cognitoCode strips a "namespace#" prefix and a ":…" suffix from __type.
func cognitoCode(c string) string {
	if i := strings.LastIndexByte(c, '#'); i >= 0 {
		c = c[i+1:]
	}
	if i := strings.IndexByte(c, ':'); i >= 0 {
		c = c[:i]
	}
	return c
}

// cognitoKind classifies a Cognito exception. NotAuthorizedException also
// means a wrong, missing or unexpected client secret ("Unable to verify
// secret hash for client …", "Client … is configured for secret but secret
// was not received"): Cognito has no other code for it, so its message is
// read, and such an answer is a configuration error that keeps the tokens.
func cognitoKind(code, message string, status int) error {
	switch code {
	case "NotAuthorizedException":
		if strings.Contains(strings.ToLower(message), "secret") {
			return ErrMisconfigured
		}
		return ErrReauthenticate
	case "RefreshTokenReuseException", "UserNotFoundException",
		"PasswordResetRequiredException", "UserNotConfirmedException":
		return ErrReauthenticate
	case "TooManyRequestsException", "InternalErrorException", "UnexpectedLambdaException",
		"InvalidLambdaResponseException", "UserLambdaValidationException":
		return ErrUnavailable
	case "InvalidParameterException", "ResourceNotFoundException", "UnsupportedOperationException",
		"OperationNotEnabledException", "InvalidUserPoolConfigurationException", "ForbiddenException",
		"Unsupported":
		return ErrMisconfigured
	}
	if status == 429 || status == 408 || status >= 500 {
		return ErrUnavailable
	}
	return ErrMisconfigured
}
