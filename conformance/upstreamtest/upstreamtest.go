// Package upstreamtest starts the repository's test upstream FHIR server —
// Medplum's FhirRouter over its in-memory repository, served by
// testdata/upstream/server.mjs — for Go tests, and stops it when the test
// ends.
//
// The server needs node (18 or newer; 20+ recommended) on PATH (or in $IVBRIDGE_NODE) and
// testdata/upstream/node_modules, installed by `scripts/upstream.sh install`.
// When either is missing the test is skipped with a message saying how to
// install it, except under CI=true, where it fails: CI must run every test.
//
// Everything the server stores lives in its process memory. Stop and Restart
// therefore lose the data; to simulate an outage that the upstream survives
// with its data, use Pause and Resume (SIGSTOP/SIGCONT: connections are
// accepted by the kernel but never answered, like a hung server).
package upstreamtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long the server may take to print its port and
// answer /metadata (it loads the FHIR definitions first: about 2 s here,
// more on a loaded CI machine).
const startTimeout = 60 * time.Second

// Server is a running test upstream. Its methods are safe for concurrent
// use. It is stopped by the test's Cleanup.
type Server struct {
	// URL is the FHIR base URL, e.g. "http://127.0.0.1:40123" (no trailing
	// slash). It stays the same across Restart.
	URL string

	node    string
	nodeArg []string
	dir     string
	port    int
	opts    Options

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	stderr *tailBuffer
	paused bool
}

// Start starts a fresh, empty test upstream on a free loopback port and
// returns its base URL (no trailing slash). It skips the test when node or
// the npm install is missing (fails under CI=true) and stops the server on
// t.Cleanup.
func Start(t testing.TB) (baseURL string) {
	t.Helper()
	return StartServer(t).URL
}

// Options configure a test upstream. The zero value is an open server.
type Options struct {
	// Token, when set, is a static bearer token that every request but
	// GET /metadata must carry ("Authorization: Bearer <Token>"); others get
	// 401 with an OperationOutcome and WWW-Authenticate.
	Token string
	// ClientID and ClientSecret, when both set, enable the OAuth 2.0
	// client-credentials token endpoint (Server.TokenURL; HTTP Basic or form
	// credentials) and require its tokens (or Token) on every request but
	// GET /metadata. The CapabilityStatement then declares SMART-on-FHIR
	// security with the token URL, and /.well-known/smart-configuration
	// answers.
	ClientID, ClientSecret string
	// TokenTTL is how long issued tokens live (whole seconds; default 5
	// minutes).
	TokenTTL time.Duration
	// CPUs, when set, confines the server to these CPUs (a taskset list,
	// e.g. "1"; default $IVBRIDGE_UPSTREAM_CPUS). Benchmarks use it to
	// give the upstream cores of its own, as a real upstream on its own
	// machine has, instead of sharing them with the process measured.
	CPUs string
}

// StartServer is Start returning a handle for outage tests (Pause, Resume,
// Stop, Restart) and isolation (Reset).
func StartServer(t testing.TB) *Server {
	t.Helper()
	return StartServerWith(t, Options{})
}

// StartServerWith is StartServer with options (authentication).
func StartServerWith(t testing.TB, opts Options) *Server {
	t.Helper()
	if (opts.ClientID == "") != (opts.ClientSecret == "") {
		t.Fatal("upstreamtest: set both ClientID and ClientSecret, or neither")
	}
	if opts.TokenTTL != 0 && opts.TokenTTL < time.Second {
		t.Fatal("upstreamtest: TokenTTL must be at least a second")
	}
	dir, err := Dir()
	if err != nil {
		unavailable(t, err)
	}
	node, err := findNode()
	if err != nil {
		unavailable(t, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "fhir-router", "package.json")); err != nil {
		unavailable(t, fmt.Errorf("the Medplum test upstream is not installed (%s/node_modules missing): run scripts/upstream.sh install", dir))
	}
	args, err := nodeArgs(node)
	if err != nil {
		unavailable(t, err)
	}
	if opts.CPUs == "" {
		opts.CPUs = os.Getenv("IVBRIDGE_UPSTREAM_CPUS")
	}
	s := &Server{node: node, nodeArg: args, dir: dir, opts: opts}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.start(ctx, 0); err != nil {
		t.Fatalf("upstreamtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("upstreamtest: stopping the upstream: %v", err)
		}
	})
	return s
}

// unavailable skips the test, or fails it when CI=true.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("upstreamtest: %v (CI=true: the test upstream is required)", err)
	}
	t.Skipf("upstreamtest: %v", err)
}

// Dir returns the absolute path of testdata/upstream in this repository,
// found by walking up from the working directory to the directory holding
// go.mod.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "testdata", "upstream"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

func findNode() (string, error) {
	if p := os.Getenv("IVBRIDGE_NODE"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("node is not on PATH (install Node.js 18 or newer, or set IVBRIDGE_NODE): %w", err)
	}
	return p, nil
}

// nodeArgs returns the flags node needs. @medplum/core 5 reads the global
// WebSocket at import: Node 22+ has it, Node 20 and 21 behind
// --experimental-websocket; on Node 18 and 19 (which lack the flag)
// server.mjs defines a stand-in.
func nodeArgs(node string) ([]string, error) {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", node, err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("node version %q: %w", v, err)
	}
	switch {
	case major < 18:
		return nil, fmt.Errorf("node %s is too old: the test upstream needs Node.js 18 or newer", v)
	case major == 20 || major == 21:
		return []string{"--experimental-websocket"}, nil
	default:
		return nil, nil
	}
}

// PID is the server process's id, 0 while it is stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// start launches node on port (0 = any free port) and waits until
// /metadata answers.
func (s *Server) start(ctx context.Context, port int) error {
	args := append(append([]string{}, s.nodeArg...), "server.mjs", "--port", strconv.Itoa(port), "--host", "127.0.0.1", "--exit-with-stdin")
	cmd := exec.Command(s.node, args...)
	if s.opts.CPUs != "" {
		// taskset (util-linux) execs node with the affinity set, so
		// every thread node starts inherits it and the pid stays
		// node's own (Pause and Stop signal it).
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return fmt.Errorf("CPUs %q: %w", s.opts.CPUs, err)
		}
		cmd = exec.Command(taskset, append([]string{"-c", s.opts.CPUs, s.node}, args...)...)
	}
	cmd.Dir = s.dir
	// Secrets go by environment, not argv (ps shows argv); set them all so
	// a developer's own IVBRIDGE_UPSTREAM_* variables cannot leak in.
	client := ""
	if s.opts.ClientID != "" {
		client = s.opts.ClientID + ":" + s.opts.ClientSecret
	}
	ttl := 300
	if s.opts.TokenTTL > 0 {
		ttl = int(s.opts.TokenTTL / time.Second)
	}
	cmd.Env = append(os.Environ(),
		"IVBRIDGE_UPSTREAM_TOKEN="+s.opts.Token,
		"IVBRIDGE_UPSTREAM_CLIENT="+client,
		"IVBRIDGE_UPSTREAM_TOKEN_TTL="+strconv.Itoa(ttl),
	)
	// Own process group: SIGSTOP/SIGCONT/SIGKILL reach node alone, and a
	// Ctrl-C in the terminal does not race the test's own cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("stdout pipe: %w", err)
	}
	// Never written: when this process dies, the pipe closes and node
	// (started with --exit-with-stdin) exits instead of lingering.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("stdin pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.node, err)
	}
	done := make(chan struct{})
	portc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok && !sent {
				if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
					portc <- n
					sent = true
				}
			}
		}
		// Keep draining so node never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		_ = stdin.Close()
		close(done)
	}()

	fail := func(err error) error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("%w; node stderr:\n%s", err, stderr.String())
	}
	select {
	case got := <-portc:
		port = got
	case <-done:
		return fmt.Errorf("node exited before serving; stderr:\n%s", stderr.String())
	case <-ctx.Done():
		return fail(fmt.Errorf("node did not print its port: %w", ctx.Err()))
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, url, done); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	s.URL, s.port, s.cmd, s.done, s.stderr, s.paused = url, port, cmd, done, stderr, false
	s.mu.Unlock()
	return nil
}

func waitReady(ctx context.Context, url string, done <-chan struct{}) error {
	client := &http.Client{Timeout: 5 * time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metadata", nil)
		if err != nil {
			return fmt.Errorf("metadata request: %w", err)
		}
		req.Header.Set("Accept", "application/fhir+json")
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /metadata: status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-done:
			return fmt.Errorf("node exited before /metadata answered: %w", last)
		case <-ctx.Done():
			return fmt.Errorf("GET %s/metadata never answered 200 (last: %v): %w", url, last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Pause freezes the server (SIGSTOP): connections are accepted by the kernel
// but nothing is answered until Resume. Data is kept.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("upstreamtest: server is stopped")
	}
	if err := syscall.Kill(s.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("upstreamtest: SIGSTOP: %w", err)
	}
	s.paused = true
	return nil
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("upstreamtest: server is stopped")
	}
	if err := syscall.Kill(s.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("upstreamtest: SIGCONT: %w", err)
	}
	s.paused = false
	return nil
}

// Stop ends the server process (connections are refused afterwards). Its
// data is lost. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done, paused := s.cmd, s.done, s.paused
	s.cmd, s.paused = nil, false
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	pid := cmd.Process.Pid
	if paused {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("upstreamtest: SIGKILL: %w", err)
	}
	<-done
	return nil
}

// Restart stops the server if it runs and starts a new, EMPTY one on the
// same port, so clients keep their base URL (an upstream that lost its data,
// e.g. restored from an old backup).
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	s.mu.Lock()
	port := s.port
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var err error
	// The old socket may take a moment to be released.
	for {
		if err = s.start(ctx, port); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("upstreamtest: restart on port %d: %w", port, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TokenURL is the OAuth 2.0 token endpoint (POST, client credentials);
// it answers only when Options.ClientID is set.
func (s *Server) TokenURL() string { return s.URL + "/oauth2/token" }

// FetchToken gets an access token from the token endpoint with the
// configured client credentials.
func (s *Server) FetchToken(ctx context.Context) (string, error) {
	if s.opts.ClientID == "" {
		return "", errors.New("upstreamtest: no client configured (Options.ClientID)")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("upstreamtest: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(s.opts.ClientID), url.QueryEscape(s.opts.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("upstreamtest: token: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("upstreamtest: token endpoint answered %d (decode: %v)", resp.StatusCode, err)
	}
	return body.AccessToken, nil
}

// Reset empties the server's store (DELETE /$reset, an admin endpoint of
// the test server, not FHIR) without restarting it.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.URL+"/$reset", nil)
	if err != nil {
		return fmt.Errorf("upstreamtest: reset request: %w", err)
	}
	switch {
	case s.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+s.opts.Token)
	case s.opts.ClientID != "":
		tok, err := s.FetchToken(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("upstreamtest: reset: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upstreamtest: reset: status %d", resp.StatusCode)
	}
	return nil
}

// Stderr returns the last bytes node wrote to stderr (for failure messages).
func (s *Server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stderr == nil {
		return ""
	}
	return s.stderr.String()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
