package upstream

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Auth supplies the bearer token of outbound requests. Implementations are
// safe for concurrent use.
type Auth interface {
	// Token returns the access token to send ("" sends no Authorization).
	Token(ctx context.Context) (string, error)
	// Renew is called when the upstream answered 401 to token. It drops a
	// cached token and reports whether asking again may give another one;
	// the client then renews once and retries the request once.
	Renew(rejected string) bool
}

// Bearer is a static bearer token.
type Bearer string

// Token implements Auth.
func (b Bearer) Token(context.Context) (string, error) { return string(b), nil }

// Renew implements Auth: a static token cannot be renewed.
func (b Bearer) Renew(string) bool { return false }

// ClientAssertion is the SMART Backend Services (RFC 7523 private_key_jwt)
// credential: a private key whose public half the authorization server
// knows, used to sign a short-lived JWT per token request.
type ClientAssertion struct {
	Key crypto.Signer
	// Algorithm is "RS384" (RSA key) or "ES384" (P-384 key), the two
	// SMART Backend Services requires servers to support.
	Algorithm string
	// KeyID is sent as the JWT "kid" header, so the server can pick the
	// key from the client's JWKS.
	KeyID string
}

// OAuthConfig configures the OAuth 2.0 client credentials grant.
type OAuthConfig struct {
	TokenURL string
	ClientID string
	// ClientSecret authenticates with HTTP Basic (client_secret_basic);
	// leave it empty when Assertion is set.
	ClientSecret string
	// Assertion authenticates with a signed JWT (private_key_jwt).
	Assertion *ClientAssertion
	Scopes    []string
	// RenewBefore renews the token this long before it expires
	// (default 60 s; at least a tenth of its lifetime early, and at half
	// its lifetime when that is shorter than RenewBefore).
	RenewBefore time.Duration
	// HTTPClient talks to the token endpoint (default: 30 s timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now); tests replace it.
	Now func() time.Time
}

// TokenError is a refusal from the token endpoint (RFC 6749 §5.2).
type TokenError struct {
	Status      int
	Code        string // "invalid_client", "invalid_scope" …
	Description string
}

// Error implements error.
func (e *TokenError) Error() string {
	msg := fmt.Sprintf("upstream auth: token endpoint answered %d", e.Status)
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// ClientCredentials obtains, caches and renews access tokens with the
// client credentials grant.
type ClientCredentials struct {
	cfg OAuthConfig

	mu      sync.Mutex
	token   string
	expires time.Time // zero: no expiry given
	renewAt time.Time
}

// NewClientCredentials checks cfg and returns the token source.
func NewClientCredentials(cfg OAuthConfig) (*ClientCredentials, error) {
	if cfg.TokenURL == "" || cfg.ClientID == "" {
		return nil, errors.New("upstream auth: token URL and client id are required")
	}
	u, err := url.Parse(cfg.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("upstream auth: token URL %q is not an http(s) URL", cfg.TokenURL)
	}
	switch {
	case cfg.Assertion != nil && cfg.ClientSecret != "":
		return nil, errors.New("upstream auth: give a client secret or a signing key, not both")
	case cfg.Assertion == nil && cfg.ClientSecret == "":
		return nil, errors.New("upstream auth: a client secret or a signing key is required")
	case cfg.Assertion != nil:
		if err := checkAssertionKey(cfg.Assertion); err != nil {
			return nil, err
		}
	}
	if cfg.RenewBefore <= 0 {
		cfg.RenewBefore = time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ClientCredentials{cfg: cfg}, nil
}

func checkAssertionKey(a *ClientAssertion) error {
	switch a.Algorithm {
	case "RS384":
		if _, ok := a.Key.(*rsa.PrivateKey); !ok {
			return errors.New("upstream auth: RS384 needs an RSA private key")
		}
	case "ES384":
		k, ok := a.Key.(*ecdsa.PrivateKey)
		if !ok || k.Curve != elliptic.P384() {
			return errors.New("upstream auth: ES384 needs a P-384 EC private key")
		}
	default:
		return fmt.Errorf("upstream auth: algorithm %q not supported (RS384, ES384)", a.Algorithm)
	}
	return nil
}

// Token implements Auth: the cached token while it is fresh, else a new one.
// Concurrent callers share one token request.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.token != "" && (c.renewAt.IsZero() || now.Before(c.renewAt)) {
		return c.token, nil
	}
	tok, lifetime, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	c.token = tok
	c.expires, c.renewAt = time.Time{}, time.Time{}
	if lifetime > 0 {
		c.expires = now.Add(lifetime)
		early := max(c.cfg.RenewBefore, lifetime/10)
		if early >= lifetime {
			early = lifetime / 2
		}
		c.renewAt = c.expires.Add(-early)
	}
	return tok, nil
}

// Renew implements Auth: it drops the rejected token so the next Token
// call asks the token endpoint again.
func (c *ClientCredentials) Renew(rejected string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == rejected {
		c.token = ""
	}
	return true
}

func (c *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(c.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(c.cfg.Scopes, " "))
	}
	if c.cfg.Assertion != nil {
		assertion, err := c.signAssertion()
		if err != nil {
			return "", 0, err
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("upstream auth: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.Assertion == nil {
		// RFC 6749 §2.3.1: form-urlencode both before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("upstream auth: token request: %w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("upstream auth: token response: %w: %w", ErrUnreachable, err)
	}
	return ParseTokenResponse(resp.StatusCode, body)
}

// ParseTokenResponse reads a token endpoint answer (RFC 6749 §5.1/§5.2):
// the access token and its lifetime (0 when expires_in is absent). A
// non-200 answer gives a *TokenError, and 5xx is also ErrUnreachable so it
// counts as an outage, not a refusal.
func ParseTokenResponse(status int, body []byte) (string, time.Duration, error) {
	if status != http.StatusOK {
		te := &TokenError{Status: status}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) == nil {
			te.Code, te.Description = e.Error, e.Description
		}
		if status >= 500 || status == http.StatusTooManyRequests {
			return "", 0, fmt.Errorf("%w: %w", ErrUnreachable, te)
		}
		return "", 0, te
	}
	var t struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return "", 0, fmt.Errorf("upstream auth: token response is not JSON: %w", err)
	}
	if t.AccessToken == "" {
		return "", 0, errors.New("upstream auth: token response has no access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return "", 0, fmt.Errorf("upstream auth: token type %q is not bearer", t.TokenType)
	}
	var lifetime time.Duration
	if len(t.ExpiresIn) > 0 && string(t.ExpiresIn) != "null" {
		// Some servers send the number as a string.
		raw := strings.Trim(string(t.ExpiresIn), `"`)
		var secs float64
		if _, err := fmt.Sscanf(raw, "%g", &secs); err != nil || secs < 0 || secs > 10*365*24*3600 {
			return "", 0, fmt.Errorf("upstream auth: bad expires_in %q", raw)
		}
		lifetime = time.Duration(secs * float64(time.Second))
	}
	return t.AccessToken, lifetime, nil
}

// signAssertion builds the SMART Backend Services client assertion: iss and
// sub are the client id, aud the token URL, a random jti, exp in 5 minutes.
func (c *ClientCredentials) signAssertion() (string, error) {
	a := c.cfg.Assertion
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("upstream auth: jti: %w", err)
	}
	now := c.cfg.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    c.cfg.ClientID,
		Subject:   c.cfg.ClientID,
		Audience:  jwt.ClaimStrings{c.cfg.TokenURL},
		ID:        hex.EncodeToString(jti[:]),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}
	var method jwt.SigningMethod = jwt.SigningMethodRS384
	if a.Algorithm == "ES384" {
		method = jwt.SigningMethodES384
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "JWT"
	if a.KeyID != "" {
		tok.Header["kid"] = a.KeyID
	}
	s, err := tok.SignedString(a.Key)
	if err != nil {
		return "", fmt.Errorf("upstream auth: sign assertion: %w", err)
	}
	return s, nil
}

// ParsePrivateKey reads a PEM private key: PKCS #8 ("PRIVATE KEY"),
// PKCS #1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"). Encrypted PEM is
// refused.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("upstream auth: no PEM private key found")
		}
		if _, enc := block.Headers["Proc-Type"]; enc {
			return nil, errors.New("upstream auth: encrypted PEM keys are not supported")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("upstream auth: PKCS #8 key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("upstream auth: unsupported key type %T", k)
			}
			return s, nil
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("upstream auth: PKCS #1 key: %w", err)
			}
			return k, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("upstream auth: EC key: %w", err)
			}
			return k, nil
		}
		// Skip other blocks (e.g. "EC PARAMETERS" before the key).
	}
}
