package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AdminClient talks to a running ivbridge service's sync admin API
// (/sync/v1, admin scope) over HTTP: the `ivbridge sync` commands use it,
// so they work against a remote service and never open its database
// behind its back.
type AdminClient struct {
	base  string
	token string
	hc    *http.Client
}

// NewAdminClient returns a client for the service at baseURL (e.g.
// "http://127.0.0.1:8080") sending token as bearer token.
func NewAdminClient(baseURL, token string) (*AdminClient, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sync admin: %q is not an http(s) URL", baseURL)
	}
	if token == "" {
		return nil, errors.New("sync admin: a token with the admin scope is required")
	}
	return &AdminClient{base: u.String(), token: token, hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

// AdminError is a refusal from the service.
type AdminError struct {
	Status int
	Body   string
}

// Error implements error.
func (e *AdminError) Error() string {
	return fmt.Sprintf("sync admin: service answered %d: %s", e.Status, strings.TrimSpace(e.Body))
}

func (a *AdminClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, nil)
	if err != nil {
		return fmt.Errorf("sync admin: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("sync admin: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("sync admin: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &AdminError{Status: resp.StatusCode, Body: string(body)}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		var buf bytes.Buffer
		if err := json.Indent(&buf, body, "", "  "); err != nil {
			return fmt.Errorf("sync admin: answer is not JSON: %w", err)
		}
		*raw = buf.Bytes()
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("sync admin: answer: %w", err)
	}
	return nil
}

// Status returns GET /sync/v1/status as indented JSON.
func (a *AdminClient) Status(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	err := a.do(ctx, http.MethodGet, "/sync/v1/status", &raw)
	return raw, err
}

// DeadLetters lists GET /sync/v1/dead-letters.
func (a *AdminClient) DeadLetters(ctx context.Context) ([]DeadLetterView, error) {
	var out DeadLetterList
	if err := a.do(ctx, http.MethodGet, "/sync/v1/dead-letters", &out); err != nil {
		return nil, err
	}
	return out.DeadLetters, nil
}

// Replay sends POST /sync/v1/dead-letters/{id}/replay.
func (a *AdminClient) Replay(ctx context.Context, id int64) error {
	return a.do(ctx, http.MethodPost, "/sync/v1/dead-letters/"+strconv.FormatInt(id, 10)+"/replay", nil)
}

// WriteDeadLetters prints dead letters as an aligned table (no payloads:
// they may hold patient data; use the JSON output for those).
func WriteDeadLetters(w io.Writer, dls []DeadLetterView) error {
	if len(dls) == 0 {
		_, err := fmt.Fprintln(w, "no dead letters")
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %-6s %-14s %-24s %-4s %-20s %s\n", "ID", "SOURCE", "KIND", "RECORD", "VER", "CREATED", "REASON")
	for _, d := range dls {
		reason := strings.ReplaceAll(d.Reason, "\n", " ")
		if len(reason) > 120 {
			reason = reason[:117] + "..."
		}
		source := d.Source
		if source == "" {
			source = "push"
			if d.Seq == 0 {
				source = "pull"
			}
		}
		fmt.Fprintf(&b, "%-6d %-6s %-14s %-24s %-4d %-20s %s\n", d.ID, source, d.Kind, d.RecordID, d.Version,
			d.CreatedAt.UTC().Format(time.RFC3339), reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
