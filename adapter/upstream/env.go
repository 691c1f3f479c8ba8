package upstream

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"
)

// The environment variables AuthFromEnv reads. Secrets come from the
// environment (or a key file), never from flags, so they stay out of
// process listings.
const (
	EnvToken        = "IVBRIDGE_UPSTREAM_TOKEN"         // static bearer token
	EnvTokenURL     = "IVBRIDGE_UPSTREAM_TOKEN_URL"     // OAuth 2 token endpoint
	EnvClientID     = "IVBRIDGE_UPSTREAM_CLIENT_ID"     // OAuth 2 client id
	EnvClientSecret = "IVBRIDGE_UPSTREAM_CLIENT_SECRET" // client_secret_basic
	EnvKeyFile      = "IVBRIDGE_UPSTREAM_KEY_FILE"      // PEM private key: private_key_jwt (SMART Backend Services)
	EnvKeyID        = "IVBRIDGE_UPSTREAM_KEY_ID"        // JWT kid
	EnvKeyAlg       = "IVBRIDGE_UPSTREAM_KEY_ALG"       // RS384 (default for RSA keys) or ES384
	EnvScopes       = "IVBRIDGE_UPSTREAM_SCOPES"        // space-separated scopes
)

// AuthFromEnv chooses the outbound authentication from the environment:
// OAuth 2 client credentials when a token URL is set (with a client
// secret, or with a signing key file for a JWT assertion), else a static
// bearer token when one is set, else none (nil).
func AuthFromEnv(getenv func(string) string) (Auth, error) {
	tokenURL := getenv(EnvTokenURL)
	if tokenURL == "" {
		if tok := getenv(EnvToken); tok != "" {
			return Bearer(tok), nil
		}
		for _, name := range []string{EnvClientID, EnvClientSecret, EnvKeyFile} {
			if getenv(name) != "" {
				return nil, fmt.Errorf("upstream auth: %s is set but %s is not", name, EnvTokenURL)
			}
		}
		return nil, nil
	}
	if getenv(EnvToken) != "" {
		return nil, fmt.Errorf("upstream auth: set %s or %s, not both", EnvToken, EnvTokenURL)
	}
	cfg := OAuthConfig{
		TokenURL:     tokenURL,
		ClientID:     getenv(EnvClientID),
		ClientSecret: getenv(EnvClientSecret),
		Scopes:       strings.Fields(getenv(EnvScopes)),
	}
	if path := getenv(EnvKeyFile); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("upstream auth: %w", err)
		}
		key, err := ParsePrivateKey(data)
		if err != nil {
			return nil, err
		}
		alg := getenv(EnvKeyAlg)
		if alg == "" {
			alg = "RS384"
			if _, isEC := key.(*ecdsa.PrivateKey); isEC {
				alg = "ES384"
			}
		}
		cfg.Assertion = &ClientAssertion{Key: key, Algorithm: alg, KeyID: getenv(EnvKeyID)}
	}
	cc, err := NewClientCredentials(cfg)
	if err != nil {
		return nil, err
	}
	return cc, nil
}
