package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds how much of a response the suite reads: a search page or
// a CapabilityStatement is far smaller; a server streaming more is broken.
const maxBody = 64 << 20

// exchange is one request and its response, as the checks see it.
type exchange struct {
	// Request is "METHOD /path?query" relative to the server base, for the
	// report.
	Request string
	Status  int
	Header  http.Header
	Body    []byte
	// JSON is the decoded body when it is a JSON object, else nil.
	JSON map[string]any
}

// mediaType is the Content-Type without parameters, lower case.
func (e *exchange) mediaType() string {
	mt, _, err := mime.ParseMediaType(e.Header.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(e.Header.Get("Content-Type")))
	}
	return mt
}

// resourceType is the body's resourceType, or "".
func (e *exchange) resourceType() string { return str(e.JSON, "resourceType") }

// describe summarises a response for a failure message.
func (e *exchange) describe() string {
	rt := e.resourceType()
	if rt == "" {
		rt = "no FHIR body"
	}
	s := fmt.Sprintf("status %d, %s", e.Status, rt)
	if rt == "OperationOutcome" {
		if d := outcomeText(e.JSON); d != "" {
			s += ": " + d
		}
	}
	return s
}

// client sends the suite's requests and remembers every response for the
// checks that judge all of them (content type, error bodies).
type client struct {
	http  *http.Client
	base  *url.URL
	token string
	seen  []*exchange
}

// resolve turns a path relative to the base ("Patient/1?x=y") or an
// absolute URL (a server's next link) into an absolute URL.
func (c *client) resolve(ref string) (*url.URL, error) {
	if u, err := url.Parse(ref); err == nil && u.IsAbs() {
		return u, nil
	}
	rel, err := url.Parse(strings.TrimPrefix(ref, "/"))
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", ref, err)
	}
	base := *c.base
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	return base.ResolveReference(rel), nil
}

// display is u relative to the base when it is under it, for the report.
func (c *client) display(u *url.URL) string {
	s := u.String()
	b := strings.TrimSuffix(c.base.String(), "/")
	if rest, ok := strings.CutPrefix(s, b); ok {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return s
}

// do sends one request. A transport error is returned as is; any HTTP
// status is a response.
func (c *client) do(ctx context.Context, method, ref string, body []byte, header map[string]string) (*exchange, error) {
	u, err := c.resolve(ref)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return &exchange{Request: method + " " + c.display(u)}, fmt.Errorf("building %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	ex := &exchange{Request: method + " " + c.display(u)}
	resp, err := c.http.Do(req)
	if err != nil {
		return ex, fmt.Errorf("%s: %w", ex.Request, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return ex, fmt.Errorf("%s: reading the response: %w", ex.Request, err)
	}
	if len(data) > maxBody {
		return ex, fmt.Errorf("%s: response larger than %d bytes", ex.Request, maxBody)
	}
	ex.Status, ex.Header, ex.Body = resp.StatusCode, resp.Header, data
	if len(bytes.TrimSpace(data)) > 0 {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&m) == nil {
			ex.JSON = m
		}
	}
	c.seen = append(c.seen, ex)
	return ex, nil
}

// --- small accessors for decoded JSON (the suite reads any server's output,
// so it never trusts a shape).

func str(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

func obj(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	o, _ := m[key].(map[string]any)
	return o
}

func arr(m map[string]any, key string) []any {
	if m == nil {
		return nil
	}
	a, _ := m[key].([]any)
	return a
}

// outcomeText joins the diagnostics/details of an OperationOutcome.
func outcomeText(oo map[string]any) string {
	var parts []string
	for _, it := range arr(oo, "issue") {
		issue, _ := it.(map[string]any)
		if t := str(obj(issue, "details"), "text"); t != "" {
			parts = append(parts, t)
		} else if d := str(issue, "diagnostics"); d != "" {
			parts = append(parts, d)
		} else if c := str(issue, "code"); c != "" {
			parts = append(parts, c)
		}
	}
	s := strings.Join(parts, "; ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
