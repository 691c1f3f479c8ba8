// Package auth authenticates bearer tokens and names what each may do.
//
// Tokens are never stored: the token file holds, per line, a name, its
// comma-separated scopes and the hex SHA-256 of the token, e.g.
//
//	# name     scopes                                  sha256(token)
//	clinic-a   clinic.write,clinic.read,fhir.read      9f86d08188…
//
// (make the digest with `printf %s "$TOKEN" | sha256sum`). A presented
// token is hashed and its digest compared with every entry in constant time
// (crypto/subtle), so neither a match nor its position leaks through timing.
package auth

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Scope is one permission a token carries.
type Scope string

// The scopes of ivbridge.
const (
	ClinicWrite Scope = "clinic.write" // PUT and batch of clinic records
	ClinicRead  Scope = "clinic.read"  // GET clinic records, translate endpoints
	FHIRRead    Scope = "fhir.read"    // the FHIR facade
	Admin       Scope = "admin"        // sync status, dead letters, metrics
)

// AllScopes returns every scope, e.g. for the first-run token.
func AllScopes() []Scope { return []Scope{ClinicWrite, ClinicRead, FHIRRead, Admin} }

func knownScope(s Scope) bool {
	for _, k := range AllScopes() {
		if k == s {
			return true
		}
	}
	return false
}

// Principal is an authenticated token: its name and scopes.
type Principal struct {
	Name   string
	Scopes []Scope
}

// Has reports whether the principal carries scope s.
func (p Principal) Has(s Scope) bool {
	for _, x := range p.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

type entry struct {
	name   string
	scopes []Scope
	digest [sha256.Size]byte
}

// Tokens is an immutable set of token digests; safe for concurrent use.
type Tokens struct {
	entries []entry
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseError names the line of a token file that is wrong.
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("tokens: line %d: %v", e.Line, e.Err) }

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a token file: per line `name scopes sha256hex`, fields
// separated by blanks; blank lines and lines starting with # are ignored.
// Names must be unique (they key the rate limit and the logs).
func Parse(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, &ParseError{Line: n, Err: fmt.Errorf("want 3 fields (name scopes sha256), got %d", len(f))}
		}
		if !namePattern.MatchString(f[0]) {
			return nil, &ParseError{Line: n, Err: errors.New("name must be 1-64 characters of A-Za-z0-9._-")}
		}
		if seen[f[0]] {
			return nil, &ParseError{Line: n, Err: fmt.Errorf("duplicate name %q", f[0])}
		}
		seen[f[0]] = true
		scopes, err := parseScopes(f[1])
		if err != nil {
			return nil, &ParseError{Line: n, Err: err}
		}
		raw, err := hex.DecodeString(strings.ToLower(f[2]))
		if err != nil || len(raw) != sha256.Size {
			return nil, &ParseError{Line: n, Err: errors.New("third field must be the 64 hex digits of the token's SHA-256")}
		}
		e := entry{name: f[0], scopes: scopes}
		copy(e.digest[:], raw)
		t.entries = append(t.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens: read: %w", err)
	}
	return t, nil
}

func parseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, p := range strings.Split(s, ",") {
		sc := Scope(strings.TrimSpace(p))
		if !knownScope(sc) {
			return nil, fmt.Errorf("unknown scope %q (known: clinic.write, clinic.read, fhir.read, admin)", sc)
		}
		out = append(out, sc)
	}
	return out, nil
}

// Load reads a token file from disk.
func Load(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// With returns a copy of t that also accepts token under name with scopes.
func (t *Tokens) With(name, token string, scopes ...Scope) (*Tokens, error) {
	if !namePattern.MatchString(name) {
		return nil, errors.New("tokens: invalid name")
	}
	if token == "" {
		return nil, errors.New("tokens: empty token")
	}
	out := &Tokens{}
	if t != nil {
		for _, e := range t.entries {
			if e.name == name {
				return nil, fmt.Errorf("tokens: duplicate name %q", name)
			}
		}
		out.entries = append(out.entries, t.entries...)
	}
	out.entries = append(out.entries, entry{name: name, scopes: append([]Scope(nil), scopes...), digest: sha256.Sum256([]byte(token))})
	return out, nil
}

// Len reports how many tokens are accepted.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Authenticate returns the principal of a presented token. It compares
// the token's digest with every entry, without an early exit.
func (t *Tokens) Authenticate(token string) (Principal, bool) {
	if t == nil || token == "" {
		return Principal{}, false
	}
	d := sha256.Sum256([]byte(token))
	match := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(d[:], t.entries[i].digest[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return Principal{}, false
	}
	e := t.entries[match]
	return Principal{Name: e.name, Scopes: append([]Scope(nil), e.scopes...)}, true
}

// Digest returns the hex SHA-256 of a token, the form the token file holds.
func Digest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// Generate returns a new random token (256 bits, base64url).
func Generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("tokens: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// BearerToken extracts the token of an Authorization header value
// ("Bearer <token>", scheme case-insensitive); ok is false otherwise.
func BearerToken(header string) (string, bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
