package idp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The pool of the AWS-shaped cognito-local (see CognitoAWS).
const (
	AWSRegion = "us-east-1"
	AWSPoolID = "us-east-1_AbCdEf123"
)

// Cognito is a running, seeded cognito-local: one user pool with a public
// and a confidential app client, and one user in one group with one custom
// attribute and a permanent password. Its fields are read-only.
type Cognito struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT. The Cognito JSON API
	// answers POST Endpoint + "/", the OAuth 2.0 token endpoint is TokenURL.
	Endpoint string
	// Region is "local" for CognitoLocal (cognito-local's own) and AWSRegion
	// for CognitoAWS.
	Region string
	// PoolID is the user pool id: local_xxxxxxxx or AWSPoolID.
	PoolID string

	// PublicClientID is an app client without a secret.
	PublicClientID string
	// ConfidentialClientID and ConfidentialClientSecret are an app client
	// created with GenerateSecret (cognito-local never checks the secret or
	// SECRET_HASH; Login sends SECRET_HASH anyway).
	ConfidentialClientID, ConfidentialClientSecret string

	// Username and Password sign the user in (USER_PASSWORD_AUTH). The pool
	// has no username attributes, so the username claims equal Username.
	Username, Password string
	// Email is the user's verified email attribute; Sub its sub.
	Email, Sub string
	// Group is the one group the user belongs to (cognito:groups).
	Group string
	// CustomAttribute ("custom:tenant") holds CustomValue ("acme") for the
	// user; it appears in ID tokens only.
	CustomAttribute, CustomValue string

	issuer string
}

// CognitoLocal returns the plain cognito-local of this test process,
// starting and seeding it on first use. Its issuer is
// http://127.0.0.1:PORT/<PoolID>. It skips or fails t when it cannot run
// (see the package doc).
func CognitoLocal(t testing.TB) *Cognito {
	t.Helper()
	return h.cognito.get(t, func() (*Cognito, error) { return startCognito(false) })
}

// CognitoAWS returns a second cognito-local whose issuer is exactly that of
// a real user pool, https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123
// (core.Cognito(AWSRegion, AWSPoolID)); only its JWKS is on loopback, at
// JWKSURL. It is started and seeded on first use.
func CognitoAWS(t testing.TB) *Cognito {
	t.Helper()
	return h.cognitoAW.get(t, func() (*Cognito, error) { return startCognito(true) })
}

// Issuer returns the iss value of the pool's tokens.
func (c *Cognito) Issuer() string { return c.issuer }

// JWKSURL returns the loopback URL of the pool's JWK Set.
func (c *Cognito) JWKSURL() string { return c.Endpoint + "/" + c.PoolID + "/.well-known/jwks.json" }

// TokenURL returns the OAuth 2.0 token endpoint (authorization_code and
// refresh_token grants; client_id must be in the form body).
func (c *Cognito) TokenURL() string { return c.Endpoint + "/oauth2/token" }

// Login signs the user in with the public client and returns its tokens.
func (c *Cognito) Login(t testing.TB) (access, id, refresh string) {
	t.Helper()
	return c.LoginClient(t, c.PublicClientID)
}

// LoginClient signs the user in with the given app client
// (InitiateAuth USER_PASSWORD_AUTH, with SECRET_HASH for the confidential
// client) and returns the tokens. It fails t on error.
func (c *Cognito) LoginClient(t testing.TB, clientID string) (access, id, refresh string) {
	t.Helper()
	params := map[string]string{"USERNAME": c.Username, "PASSWORD": c.Password}
	if clientID == c.ConfidentialClientID {
		params["SECRET_HASH"] = SecretHash(c.Username, clientID, c.ConfidentialClientSecret)
	}
	var out authResult
	err := c.Call(context.Background(), "InitiateAuth", map[string]any{
		"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params,
	}, &out)
	if err != nil {
		t.Fatalf("cognito-local login: %v", err)
	}
	r := out.AuthenticationResult
	if r.AccessToken == "" || r.IdToken == "" || r.RefreshToken == "" {
		t.Fatalf("cognito-local login: a token is missing from the answer")
	}
	return r.AccessToken, r.IdToken, r.RefreshToken
}

// Refresh swaps refresh for new access and ID tokens (InitiateAuth
// REFRESH_TOKEN_AUTH). cognito-local returns no new refresh token.
func (c *Cognito) Refresh(ctx context.Context, clientID, refresh string) (access, id string, err error) {
	var out authResult
	err = c.Call(ctx, "InitiateAuth", map[string]any{
		"ClientId": clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": refresh},
	}, &out)
	if err != nil {
		return "", "", err
	}
	return out.AuthenticationResult.AccessToken, out.AuthenticationResult.IdToken, nil
}

type authResult struct {
	AuthenticationResult struct {
		AccessToken, IdToken, RefreshToken string
	}
}

// CreateClient creates one more app client in the pool (for example with
// short AccessTokenValidity) and returns its id and secret ("" without
// GenerateSecret). extra is merged into the CreateUserPoolClient request.
func (c *Cognito) CreateClient(t testing.TB, name string, extra map[string]any) (id, secret string) {
	t.Helper()
	req := map[string]any{"UserPoolId": c.PoolID, "ClientName": name}
	for k, v := range extra {
		req[k] = v
	}
	var out struct {
		UserPoolClient struct{ ClientId, ClientSecret string }
	}
	if err := c.Call(context.Background(), "CreateUserPoolClient", req, &out); err != nil {
		t.Fatalf("cognito-local CreateUserPoolClient: %v", err)
	}
	return out.UserPoolClient.ClientId, out.UserPoolClient.ClientSecret
}

// SecretHash is Cognito's SECRET_HASH: base64(HMAC-SHA256(secret,
// username + clientID)).
func SecretHash(username, clientID, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// APIError is an error answer of the Cognito JSON API.
type APIError struct {
	Status  int    // HTTP status
	Type    string // __type, e.g. NotAuthorizedException
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cognito-local: %d %s: %s", e.Status, e.Type, e.Message)
}

// Call calls the Cognito JSON API operation op (e.g. "AdminGetUser") with
// in as the request and decodes the answer into out (if not nil). An error
// answer is an *APIError.
func (c *Cognito) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("cognito-local %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("cognito-local %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		return &APIError{Status: resp.StatusCode, Type: e.Type, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("cognito-local %s: decode answer: %w", op, err)
	}
	return nil
}

// startCognito starts one cognito-local and seeds it. aws selects the
// AWS-shaped issuer and the pre-written pool.
func startCognito(aws bool) (*Cognito, error) {
	modules, err := nodeModules()
	if err != nil {
		return nil, err
	}
	name := "cognito-local"
	if aws {
		name = "cognito-local (AWS-shaped)"
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := startCognitoOnce(name, modules, aws)
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startCognitoOnce(name, modules string, aws bool) (*Cognito, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := runDir("jwtgate-cognito-", modules, "watchdog.cjs")
	if err != nil {
		return nil, err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	c := &Cognito{
		Endpoint:        endpoint,
		Region:          "local",
		Username:        "alice",
		Password:        "Correct-Horse-Battery-9!",
		Email:           "alice@example.com",
		Group:           "admins",
		CustomAttribute: "custom:tenant",
		CustomValue:     "acme",
	}
	config := map[string]any{
		"UserPoolDefaults": map[string]any{"UsernameAttributes": []string{}},
	}
	if aws {
		c.Region, c.PoolID = AWSRegion, AWSPoolID
		config["TokenConfig"] = map[string]any{"IssuerDomain": "https://cognito-idp." + AWSRegion + ".amazonaws.com"}
		if err := writeJSON(filepath.Join(dir, ".cognito", "db", AWSPoolID+".json"), awsPoolFile()); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := writeJSON(filepath.Join(dir, ".cognito", "config.json"), config); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}

	t0 := time.Now()
	start := filepath.Join(modules, "cognito-local", "lib", "bin", "start.js")
	// Its "running on" line proves that this process listens on the port
	// (and not another one that took the port in the meantime).
	p, ready, err := startProc(name, dir,
		[]string{"HOST=127.0.0.1", "PORT=" + strconv.Itoa(port), "NODE_NO_WARNINGS=1"},
		[]string{"--require", "./watchdog.cjs", start},
		func(line string) bool { return strings.Contains(line, "Cognito Local running on "+endpoint) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.waitReady(ready); err != nil {
		p.stop()
		return nil, err
	}
	if err := p.waitHTTP(endpoint + "/health"); err != nil {
		p.stop()
		return nil, err
	}
	started := since(t0)
	t1 := time.Now()
	if err := c.seed(aws); err != nil {
		p.stop()
		return nil, p.failure("seed: %v", err)
	}
	record("%s: started in %s, seeded in %s (%s)", name, started, since(t1), endpoint)
	return c, nil
}

// seed creates the pool (unless it was pre-written), the clients, the
// group and the user.
func (c *Cognito) seed(aws bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !aws {
		var pool struct{ UserPool struct{ Id string } }
		err := c.Call(ctx, "CreateUserPool", map[string]any{
			"PoolName":           "jwtgate",
			"UsernameAttributes": []string{},
			"Schema": []map[string]any{
				{"Name": "tenant", "AttributeDataType": "String", "Mutable": true},
			},
		}, &pool)
		if err != nil {
			return err
		}
		c.PoolID = pool.UserPool.Id
	}
	c.issuer = c.Endpoint + "/" + c.PoolID
	if aws {
		c.issuer = "https://cognito-idp." + AWSRegion + ".amazonaws.com/" + AWSPoolID
	}

	var client struct {
		UserPoolClient struct{ ClientId, ClientSecret string }
	}
	flows := []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	if err := c.Call(ctx, "CreateUserPoolClient", map[string]any{
		"UserPoolId": c.PoolID, "ClientName": "public", "ExplicitAuthFlows": flows,
	}, &client); err != nil {
		return err
	}
	c.PublicClientID = client.UserPoolClient.ClientId
	if err := c.Call(ctx, "CreateUserPoolClient", map[string]any{
		"UserPoolId": c.PoolID, "ClientName": "confidential", "ExplicitAuthFlows": flows, "GenerateSecret": true,
	}, &client); err != nil {
		return err
	}
	c.ConfidentialClientID, c.ConfidentialClientSecret = client.UserPoolClient.ClientId, client.UserPoolClient.ClientSecret
	if c.PublicClientID == "" || c.ConfidentialClientID == "" || c.ConfidentialClientSecret == "" {
		return fmt.Errorf("CreateUserPoolClient answered without client id or secret")
	}

	var user struct {
		User struct {
			Attributes []struct{ Name, Value string }
		}
	}
	if err := c.Call(ctx, "AdminCreateUser", map[string]any{
		"UserPoolId": c.PoolID, "Username": c.Username, "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{
			{"Name": "email", "Value": c.Email},
			{"Name": "email_verified", "Value": "true"},
			{"Name": c.CustomAttribute, "Value": c.CustomValue},
		},
	}, &user); err != nil {
		return err
	}
	for _, a := range user.User.Attributes {
		if a.Name == "sub" {
			c.Sub = a.Value
		}
	}
	if err := c.Call(ctx, "AdminSetUserPassword", map[string]any{
		"UserPoolId": c.PoolID, "Username": c.Username, "Password": c.Password, "Permanent": true,
	}, nil); err != nil {
		return err
	}
	if err := c.Call(ctx, "CreateGroup", map[string]any{"UserPoolId": c.PoolID, "GroupName": c.Group}, nil); err != nil {
		return err
	}
	return c.Call(ctx, "AdminAddUserToGroup", map[string]any{
		"UserPoolId": c.PoolID, "Username": c.Username, "GroupName": c.Group,
	}, nil)
}

// awsPoolFile is the data file cognito-local keeps for a pool
// (.cognito/db/<id>.json: {"Users":{}, "Options":<UserPoolType>}), written
// before start so that the pool has a real-shaped id. cognito-local reads
// Options as stored, without its defaults, so the schema lists every
// attribute the seed uses.
func awsPoolFile() map[string]any {
	str := func(name string, mutable bool) map[string]any {
		return map[string]any{
			"Name": name, "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
			"Mutable": mutable, "Required": name == "sub",
			"StringAttributeConstraints": map[string]any{"MinLength": "0", "MaxLength": "2048"},
		}
	}
	now := time.Now().Unix()
	return map[string]any{
		"Users": map[string]any{},
		"Options": map[string]any{
			"Id":   AWSPoolID,
			"Arn":  "arn:aws:cognito-idp:" + AWSRegion + ":123456789012:userpool/" + AWSPoolID,
			"Name": "jwtgate-aws-shaped",
			"Policies": map[string]any{"PasswordPolicy": map[string]any{
				"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
				"RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 7,
			}},
			"LambdaConfig":       map[string]any{},
			"MfaConfiguration":   "OFF",
			"UsernameAttributes": []string{},
			"SchemaAttributes": []map[string]any{
				str("sub", false),
				str("email", true),
				{"Name": "email_verified", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": false, "Mutable": true, "Required": false},
				str("custom:tenant", true),
			},
			"CreationDate":     now,
			"LastModifiedDate": now,
		},
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
