package upstream

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenEndpoint is a small OAuth 2 token endpoint: it checks the client's
// credentials (Basic secret, or a JWT assertion verified with the public
// key) and issues numbered tokens that live lifetime seconds.
type tokenEndpoint struct {
	srv      *httptest.Server
	clientID string
	secret   string
	pub      crypto.PublicKey
	alg      string
	lifetime int

	issued atomic.Int32
	mu     sync.Mutex
	jtis   map[string]bool
	errs   []string
}

func newTokenEndpoint(t *testing.T, te *tokenEndpoint) *tokenEndpoint {
	t.Helper()
	te.jtis = map[string]bool{}
	te.srv = httptest.NewServer(http.HandlerFunc(te.serve))
	t.Cleanup(te.srv.Close)
	return te
}

func (te *tokenEndpoint) fail(w http.ResponseWriter, code, msg string) {
	te.mu.Lock()
	te.errs = append(te.errs, msg)
	te.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintf(w, `{"error":%q,"error_description":%q}`, code, msg)
}

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		te.fail(w, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		te.fail(w, "unsupported_grant_type", r.PostForm.Get("grant_type"))
		return
	}
	if te.pub == nil {
		id, secret, ok := r.BasicAuth()
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if !ok || id != te.clientID || secret != te.secret {
			te.fail(w, "invalid_client", "bad secret")
			return
		}
	} else {
		if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			te.fail(w, "invalid_client", "assertion type")
			return
		}
		claims := jwt.RegisteredClaims{}
		tok, err := jwt.ParseWithClaims(r.PostForm.Get("client_assertion"), &claims, func(tk *jwt.Token) (any, error) {
			return te.pub, nil
		}, jwt.WithValidMethods([]string{te.alg}), jwt.WithAudience(te.srv.URL+"/token"), jwt.WithIssuer(te.clientID),
			jwt.WithSubject(te.clientID), jwt.WithExpirationRequired())
		if err != nil || !tok.Valid {
			te.fail(w, "invalid_client", fmt.Sprintf("assertion: %v", err))
			return
		}
		if tok.Header["kid"] != "key-1" {
			te.fail(w, "invalid_client", "kid")
			return
		}
		// SMART: exp at most five minutes after issue (the test's client
		// clock runs ahead, so compare with iat, not with this clock).
		if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 5*time.Minute {
			te.fail(w, "invalid_client", "exp too far")
			return
		}
		te.mu.Lock()
		replay := te.jtis[claims.ID]
		te.jtis[claims.ID] = true
		te.mu.Unlock()
		if claims.ID == "" || replay {
			te.fail(w, "invalid_client", "jti replay")
			return
		}
	}
	if r.PostForm.Get("scope") != "system/*.write" {
		te.fail(w, "invalid_scope", r.PostForm.Get("scope"))
		return
	}
	n := te.issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d,"scope":"system/*.write"}`, n, te.lifetime)
}

// fhirServer accepts only the tokens in valid and records what it saw.
type fhirServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	valid map[string]bool
	seen  []string
}

func newFHIRServer(t *testing.T) *fhirServer {
	f := &fhirServer{valid: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		f.seen = append(f.seen, tok)
		ok := f.valid[tok] || (len(f.valid) == 0 && tok != "")
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"resourceType":"Patient","id":"x"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func TestBearer(t *testing.T) {
	f := newFHIRServer(t)
	f.valid["static"] = true
	c := testClient(t, f.srv.URL, Config{Auth: Bearer("static")})
	if _, err := c.Read(context.Background(), "Patient", "x"); err != nil {
		t.Fatal(err)
	}
	f.valid = map[string]bool{"other": true}
	_, err := c.Read(context.Background(), "Patient", "x")
	var se *StatusError
	if !asStatus(err, &se) || se.Status != 401 {
		t.Fatalf("want 401, got %v", err)
	}
	if len(f.seen) != 2 {
		t.Errorf("a static token must not be retried after 401: %d requests", len(f.seen))
	}
}

func asStatus(err error, se **StatusError) bool {
	e, ok := err.(*StatusError)
	if ok {
		*se = e
	}
	return ok
}

func genKey(t *testing.T, alg string) (crypto.Signer, []byte) {
	t.Helper()
	var key crypto.Signer
	var err error
	if alg == "RS384" {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestClientCredentials runs the grant with a client secret and with
// signed JWT assertions (RS384, ES384) against the token endpoint: the
// token is cached, renewed before it expires, and a 401 from the upstream
// renews it once and retries once.
func TestClientCredentials(t *testing.T) {
	for _, method := range []string{"secret", "RS384", "ES384"} {
		t.Run(method, func(t *testing.T) {
			te := &tokenEndpoint{clientID: "ivbridge client", secret: "s3cret:&=", lifetime: 300}
			cfg := OAuthConfig{ClientID: te.clientID, Scopes: []string{"system/*.write"}}
			if method == "secret" {
				cfg.ClientSecret = te.secret
			} else {
				key, pemBytes := genKey(t, method)
				te.pub, te.alg = key.Public(), method
				// Through the PEM parser, as the service loads it.
				parsed, err := ParsePrivateKey(pemBytes)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Assertion = &ClientAssertion{Key: parsed, Algorithm: method, KeyID: "key-1"}
			}
			newTokenEndpoint(t, te)
			cfg.TokenURL = te.srv.URL + "/token"
			now := time.Now()
			var clock atomic.Int64
			clock.Store(now.UnixNano())
			cfg.Now = func() time.Time { return time.Unix(0, clock.Load()) }
			cc, err := NewClientCredentials(cfg)
			if err != nil {
				t.Fatal(err)
			}
			f := newFHIRServer(t)
			c := testClient(t, f.srv.URL, Config{Auth: cc})
			ctx := context.Background()
			read := func() {
				t.Helper()
				if _, err := c.Read(ctx, "Patient", "x"); err != nil {
					t.Fatalf("read: %v (token endpoint errors: %v)", err, te.errs)
				}
			}
			read()
			read()
			if n := te.issued.Load(); n != 1 {
				t.Fatalf("token requested %d times for two calls, want 1 (cached)", n)
			}
			// 4 min 30 s later (lifetime 5 min, renewal 60 s early): renewed.
			clock.Store(now.Add(4*time.Minute + 30*time.Second).UnixNano())
			read()
			if n := te.issued.Load(); n != 2 {
				t.Fatalf("token not renewed before expiry: %d issued", n)
			}
			// The upstream revokes the current token: one renewal, one retry.
			f.mu.Lock()
			f.valid = map[string]bool{"tok-3": true}
			f.seen = nil
			f.mu.Unlock()
			read()
			f.mu.Lock()
			seen := append([]string(nil), f.seen...)
			f.mu.Unlock()
			if len(seen) != 2 || seen[0] != "tok-2" || seen[1] != "tok-3" {
				t.Fatalf("after 401 the client sent %v, want [tok-2 tok-3]", seen)
			}
			// A token that keeps failing: exactly one retry, then the 401.
			f.mu.Lock()
			f.valid = map[string]bool{"never": true}
			f.seen = nil
			f.mu.Unlock()
			if _, err := c.Read(ctx, "Patient", "x"); err == nil {
				t.Fatal("want 401")
			}
			if len(f.seen) != 2 {
				t.Fatalf("%d attempts after a persistent 401, want 2", len(f.seen))
			}
		})
	}
}

func TestClientCredentialsRefused(t *testing.T) {
	te := newTokenEndpoint(t, &tokenEndpoint{clientID: "c", secret: "right", lifetime: 60})
	cc, err := NewClientCredentials(OAuthConfig{TokenURL: te.srv.URL + "/token", ClientID: "c", ClientSecret: "wrong", Scopes: []string{"system/*.write"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cc.Token(context.Background())
	var tokErr *TokenError
	if err == nil || !errorsAs(err, &tokErr) || tokErr.Code != "invalid_client" {
		t.Fatalf("want invalid_client, got %v", err)
	}
}

func errorsAs(err error, target **TokenError) bool {
	for err != nil {
		if te, ok := err.(*TokenError); ok {
			*target = te
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestNewClientCredentialsChecks(t *testing.T) {
	rsaKey, _ := genKey(t, "RS384")
	ecKey, _ := genKey(t, "ES384")
	bad := []OAuthConfig{
		{ClientID: "c", ClientSecret: "s"},
		{TokenURL: "ftp://x/token", ClientID: "c", ClientSecret: "s"},
		{TokenURL: "https://x/token", ClientID: "c"},
		{TokenURL: "https://x/token", ClientID: "c", ClientSecret: "s", Assertion: &ClientAssertion{Key: rsaKey, Algorithm: "RS384"}},
		{TokenURL: "https://x/token", ClientID: "c", Assertion: &ClientAssertion{Key: ecKey, Algorithm: "RS384"}},
		{TokenURL: "https://x/token", ClientID: "c", Assertion: &ClientAssertion{Key: rsaKey, Algorithm: "ES384"}},
		{TokenURL: "https://x/token", ClientID: "c", Assertion: &ClientAssertion{Key: rsaKey, Algorithm: "RS256"}},
	}
	for i, cfg := range bad {
		if _, err := NewClientCredentials(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

func TestParseTokenResponse(t *testing.T) {
	cases := []struct {
		status   int
		body     string
		tok      string
		lifetime time.Duration
		err      bool
	}{
		{200, `{"access_token":"a","token_type":"bearer","expires_in":3600}`, "a", time.Hour, false},
		{200, `{"access_token":"a","token_type":"Bearer","expires_in":"60"}`, "a", time.Minute, false},
		{200, `{"access_token":"a"}`, "a", 0, false},
		{200, `{"access_token":"a","token_type":"mac"}`, "", 0, true},
		{200, `{"token_type":"bearer"}`, "", 0, true},
		{200, `{"access_token":"a","expires_in":-5}`, "", 0, true},
		{200, `not json`, "", 0, true},
		{400, `{"error":"invalid_scope"}`, "", 0, true},
		{503, ``, "", 0, true},
	}
	for _, tc := range cases {
		tok, lt, err := ParseTokenResponse(tc.status, []byte(tc.body))
		if tok != tc.tok || lt != tc.lifetime || (err != nil) != tc.err {
			t.Errorf("ParseTokenResponse(%d, %s) = %q, %s, %v", tc.status, tc.body, tok, lt, err)
		}
	}
	if _, _, err := ParseTokenResponse(503, nil); !IsTransient(err) {
		t.Error("a 503 from the token endpoint should count as an outage")
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"a","expires_in":3600}`))
	f.Add(401, []byte(`{"error":"invalid_client"}`))
	f.Add(200, []byte(`{"access_token":"a","expires_in":"1e400"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, lt, err := ParseTokenResponse(status, body)
		if err == nil && (tok == "" || lt < 0) {
			t.Fatalf("accepted %q: %q %s", body, tok, lt)
		}
	})
}

func TestParsePrivateKey(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	good := map[string][]byte{
		"pkcs1": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}),
		"pkcs8": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		"sec1 after params": append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})...),
	}
	for name, data := range good {
		if _, err := ParsePrivateKey(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"encrypted": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}),
		"cert only": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
	}
	for name, data := range bad {
		if _, err := ParsePrivateKey(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func FuzzParsePrivateKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParsePrivateKey(data)
	})
}

func TestAuthFromEnv(t *testing.T) {
	_, pemBytes := genKey(t, "ES384")
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	a, err := AuthFromEnv(env())
	if err != nil || a != nil {
		t.Errorf("no env: %v, %v", a, err)
	}
	a, err = AuthFromEnv(env(EnvToken, "t"))
	if b, ok := a.(Bearer); err != nil || !ok || b != "t" {
		t.Errorf("bearer: %v, %v", a, err)
	}
	a, err = AuthFromEnv(env(EnvTokenURL, "https://auth/token", EnvClientID, "c", EnvKeyFile, keyFile, EnvScopes, "system/*.write"))
	cc, ok := a.(*ClientCredentials)
	if err != nil || !ok || cc.cfg.Assertion.Algorithm != "ES384" || len(cc.cfg.Scopes) != 1 {
		t.Errorf("jwt: %v, %v", a, err)
	}
	for _, bad := range []func(string) string{
		env(EnvClientID, "c"),
		env(EnvToken, "t", EnvTokenURL, "https://auth/token", EnvClientID, "c", EnvClientSecret, "s"),
		env(EnvTokenURL, "https://auth/token", EnvClientID, "c", EnvKeyFile, filepath.Join(t.TempDir(), "missing")),
	} {
		if _, err := AuthFromEnv(bad); err == nil {
			t.Error("bad environment accepted")
		}
	}
}
