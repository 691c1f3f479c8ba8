// Package upstream is ivbridge's FHIR R4 client for the upstream server:
// retries through go-retryablehttp (transport errors, 429, 502, 503, 504;
// exponential backoff with full jitter; Retry-After in seconds or as an
// HTTP-date, capped), outbound authentication (none, a static bearer token,
// or OAuth 2 client credentials with a secret or a signed JWT assertion),
// and the few interactions the sync needs: capabilities, read, update,
// conditional update, delete, batch/transaction and paged search.
//
// Every request body is a byte slice, so a retry resends it exactly. The
// client never logs bodies: they carry patient data.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the FHIR base, e.g. "https://fhir.example.org/R4".
	BaseURL string
	// Auth supplies the bearer token; nil sends none.
	Auth Auth
	// HTTPClient is the transport (default: pooled, 30 s per attempt).
	HTTPClient *http.Client
	// RetryMax is how many times one call is repeated after a retryable
	// failure (default 4; negative: none).
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the backoff between repeats
	// (defaults 250 ms and 8 s).
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out inside
	// one call (default 30 s); a longer one ends the call with the
	// StatusError so the caller reschedules the work instead.
	MaxRetryAfter time.Duration
	// UserAgent is sent with every request (default "ivbridge").
	UserAgent string
	// Logger receives retry diagnostics (method, path, status; never
	// bodies). Default: discard.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client talks to one upstream FHIR server. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	auth   Auth
	rc     *retryablehttp.Client
	agent  string
	now    func() time.Time
	logger *slog.Logger

	mu          sync.Mutex
	lastOK      time.Time
	lastFailure time.Time
	lastErr     string
}

// Response is a 2xx answer of the upstream.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ETag returns the version id in the response's ETag (W/"3" → "3").
func (r *Response) ETag() string { return VersionFromETag(r.Header.Get("ETag")) }

// New checks cfg and builds a client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("upstream: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 4
	} else if cfg.RetryMax < 0 {
		cfg.RetryMax = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = 250 * time.Millisecond
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = max(8*time.Second, cfg.RetryWaitMin)
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 30 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "ivbridge"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		hc = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	c := &Client{base: base, auth: cfg.Auth, agent: cfg.UserAgent, now: cfg.Now, logger: cfg.Logger}
	c.rc = &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		RetryMax:     cfg.RetryMax,
		CheckRetry:   retryPolicy(cfg.MaxRetryAfter, cfg.Now),
		Backoff:      backoff(cfg.Now),
		// Hand the last answer back instead of a generic error, so the
		// caller sees the 503 and its Retry-After.
		ErrorHandler: func(resp *http.Response, err error, tries int) (*http.Response, error) {
			if resp != nil {
				return resp, nil
			}
			return nil, fmt.Errorf("%w after %d attempt(s): %w", ErrUnreachable, tries, err)
		},
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if attempt > 0 {
				c.logger.Debug("upstream retry", "method", req.Method, "path", req.URL.Path, "attempt", attempt)
			}
		},
	}
	return c, nil
}

// BaseURL returns the FHIR base the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Reachability reports when the upstream last answered and last failed to
// (an unreachable upstream or a 5xx), and that failure's text.
func (c *Client) Reachability() (lastOK, lastFailure time.Time, lastErr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastOK, c.lastFailure, c.lastErr
}

// Do sends one request to path (relative to the base, e.g.
// "Patient/123" or "Patient?identifier=…", or an absolute URL on the same
// server) with headers hdr. It returns the 2xx Response, a *StatusError for
// any other answer, or an ErrUnreachable error.
func (c *Client) Do(ctx context.Context, method, path string, hdr http.Header, body []byte) (*Response, error) {
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	resp, tok, err := c.send(ctx, method, u, hdr, body)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && c.auth != nil && c.auth.Renew(tok) {
		// One renewal, one retry: a token revoked or expired early.
		drain(resp)
		resp, _, err = c.send(ctx, method, u, hdr, body)
	}
	if err != nil {
		c.noteFailure(err)
		return nil, err
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if rerr != nil {
		err := fmt.Errorf("%w: %s %s: reading answer: %w", ErrUnreachable, method, u.Path, rerr)
		c.noteFailure(err)
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Method: method, Path: u.RequestURI(), Status: resp.StatusCode}
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
			se.RetryAfter = d
		}
		if strings.Contains(resp.Header.Get("Content-Type"), "json") && bytes.Contains(data, []byte(`"OperationOutcome"`)) {
			se.Outcome = data
		}
		if se.Transient() {
			c.noteFailure(se)
		} else {
			c.noteOK()
		}
		return nil, se
	}
	c.noteOK()
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// send performs the retried exchange and reports the token it sent.
func (c *Client) send(ctx context.Context, method string, u *url.URL, hdr http.Header, body []byte) (*http.Response, string, error) {
	var raw any
	if body != nil {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), raw)
	if err != nil {
		return nil, "", fmt.Errorf("upstream: %s %s: %w", method, u.Path, err)
	}
	for k, vs := range hdr {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/fhir+json")
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	req.Header.Set("User-Agent", c.agent)
	var tok string
	if c.auth != nil {
		tok, err = c.auth.Token(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("upstream: %s %s: %w", method, u.Path, err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, tok, fmt.Errorf("upstream: %s %s: %w", method, u.Path, ctx.Err())
		}
		return nil, tok, fmt.Errorf("upstream: %s %s: %w", method, u.Path, err)
	}
	return resp, tok, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// resolve turns a relative path or an absolute URL into a URL on the
// upstream. Absolute URLs (search "next" links) keep their path and query
// but are sent to the configured scheme and host: a server behind a proxy
// often writes its own internal address into its links.
func (c *Client) resolve(path string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("upstream: link %q: %w", path, err)
		}
		u.Scheme, u.Host, u.User = c.base.Scheme, c.base.Host, nil
		return u, nil
	}
	u, err := url.Parse(c.base.String() + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return nil, fmt.Errorf("upstream: path %q: %w", path, err)
	}
	return u, nil
}

func (c *Client) noteOK() {
	c.mu.Lock()
	c.lastOK = c.now()
	c.mu.Unlock()
}

func (c *Client) noteFailure(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.mu.Lock()
	c.lastFailure = c.now()
	c.lastErr = err.Error()
	c.mu.Unlock()
}

// Read fetches the current version of Type/id.
func (c *Client) Read(ctx context.Context, typ, id string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, typ+"/"+url.PathEscape(id), nil, nil)
}

// Update sends PUT Type/id (update, or create with a client-chosen id
// where the upstream allows it). ifMatch is the version the change is
// based on ("" for none), sent as If-Match: W/"version".
func (c *Client) Update(ctx context.Context, typ, id string, body []byte, ifMatch string) (*Response, error) {
	var hdr http.Header
	if ifMatch != "" {
		hdr = http.Header{"If-Match": {WeakETag(ifMatch)}}
	}
	return c.Do(ctx, http.MethodPut, typ+"/"+url.PathEscape(id), hdr, body)
}

// ConditionalUpdate sends PUT Type?identifier=system|value: update the one
// match, or create when there is none (the upstream assigns the id).
func (c *Client) ConditionalUpdate(ctx context.Context, typ, system, value string, body []byte) (*Response, error) {
	q := url.Values{"identifier": {system + "|" + value}}
	return c.Do(ctx, http.MethodPut, typ+"?"+q.Encode(), nil, body)
}

// Delete sends DELETE Type/id; an already deleted or unknown resource is
// not an error.
func (c *Client) Delete(ctx context.Context, typ, id string) error {
	_, err := c.Do(ctx, http.MethodDelete, typ+"/"+url.PathEscape(id), nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// PostBundle posts a batch or transaction Bundle to the base and reads
// the response Bundle.
func (c *Client) PostBundle(ctx context.Context, bundle []byte) (*BundleReply, error) {
	resp, err := c.Do(ctx, http.MethodPost, "", nil, bundle)
	if err != nil {
		return nil, err
	}
	var b BundleReply
	if err := json.Unmarshal(resp.Body, &b); err != nil {
		return nil, fmt.Errorf("upstream: bundle response: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("upstream: bundle response is a %q", b.ResourceType)
	}
	return &b, nil
}

// Search runs a type search and calls fn for every entry of every page,
// following the "next" links, until fn returns an error or the pages end.
func (c *Client) Search(ctx context.Context, typ string, q url.Values, fn func(Entry) error) error {
	path := typ + "?" + q.Encode()
	for pages := 0; path != ""; pages++ {
		if pages > 100000 {
			return errors.New("upstream: search: too many pages (a next-link loop?)")
		}
		resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
		if err != nil {
			return err
		}
		var b Bundle
		if err := json.Unmarshal(resp.Body, &b); err != nil {
			return fmt.Errorf("upstream: search page: %w", err)
		}
		if b.ResourceType != "Bundle" {
			return fmt.Errorf("upstream: search answered a %q", b.ResourceType)
		}
		for _, e := range b.Entry {
			if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		next := b.Link("next")
		if next == path {
			return errors.New("upstream: search: next link points to the same page")
		}
		path = next
	}
	return nil
}

// WeakETag formats a version id as a weak ETag: 3 → W/"3".
func WeakETag(version string) string { return `W/"` + version + `"` }

// VersionFromETag extracts the version id from an ETag (W/"3" or "3").
func VersionFromETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	return strings.Trim(etag, `"`)
}
