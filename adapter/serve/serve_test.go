package serve_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/serve"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// syncBuffer is a goroutine-safe writer for the server's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs serve in-process on a free port until the test ends.
func start(t *testing.T, cfg config.Serve, getenv func(string) string) (base string, stderr *syncBuffer, stop func() error) {
	t.Helper()
	stderr = &syncBuffer{}
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, cfg, serve.Env{Getenv: getenv, Stderr: stderr, Ready: func(a net.Addr) { ready <- a }})
	}()
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped: %v\n%s", err, stderr)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, stderr, stop
}

func testConfig(t *testing.T) config.Serve {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	return cfg
}

func call(t *testing.T, method, url, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestFirstRunToken: with no token configured, serve prints one random
// token with every scope, and the service refuses requests without it.
func TestFirstRunToken(t *testing.T) {
	base, stderr, stop := start(t, testConfig(t), func(string) string { return "" })
	m := regexp.MustCompile(`(?m)^    ([A-Za-z0-9_-]{40,})$`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no token printed:\n%s", stderr)
	}
	tok := m[1]
	if st, _ := call(t, "GET", base+"/clinic/v1/patients", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("no token: %d", st)
	}
	for _, path := range []string{"/clinic/v1/patients", "/fhir/metadata", "/metrics", "/sync/v1/status"} {
		if st, b := call(t, "GET", base+path, tok, nil); st != http.StatusOK {
			t.Fatalf("%s with the printed token: %d %s", path, st, b)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	// The logs are JSON lines and carry no record content.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "{") && !strings.Contains(line, `"msg"`) {
			t.Fatalf("log line without msg: %s", line)
		}
	}
}

// TestTokensFileAndEnv: --tokens and IVBRIDGE_TOKEN both authenticate; no
// token is printed then.
func TestTokensFileAndEnv(t *testing.T) {
	cfg := testConfig(t)
	cfg.Tokens = filepath.Join(t.TempDir(), "tokens")
	file := "reader clinic.read " + auth.Digest("file-token") + "\n"
	if err := os.WriteFile(cfg.Tokens, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{serve.EnvToken: "env-token"}
	base, stderr, _ := start(t, cfg, func(k string) string { return env[k] })
	if strings.Contains(stderr.String(), "generated a token") {
		t.Fatal("printed a token although tokens are configured")
	}
	if st, _ := call(t, "GET", base+"/clinic/v1/patients", "file-token", nil); st != http.StatusOK {
		t.Fatalf("file token: %d", st)
	}
	if st, _ := call(t, "GET", base+"/fhir/metadata", "file-token", nil); st != http.StatusForbidden {
		t.Fatalf("file token without fhir.read: %d", st)
	}
	if st, _ := call(t, "GET", base+"/fhir/metadata", "env-token", nil); st != http.StatusOK {
		t.Fatalf("env token: %d", st)
	}
}

// buildBinary builds cmd/ivbridge into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "ivbridge")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ivbridge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBinary runs the built binary and waits for /healthz.
func startBinary(t *testing.T, bin, addr, data, token string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	cmd.Env = append(os.Environ(), serve.EnvToken+"="+token)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func patient(id string, version int) []byte {
	return []byte(fmt.Sprintf(`{"kind":"patient","id":%q,"version":%d,"mrn":"MRN-%s","given_names":["Ann"],"family_name":"Lee","birth_date":"1990-01-01","sex":"female"}`, id, version, id))
}

// TestSIGKILLKeepsAcknowledgedWrites: a burst of PUTs, SIGKILL in the
// middle, restart: every record answered 2xx is there. Then SIGTERM ends
// the process cleanly.
func TestSIGKILLKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	addr := freeAddr(t)
	const token = "kill-test-token"
	cmd := startBinary(t, bin, addr, data, token)

	var (
		mu    sync.Mutex
		acked = map[string]int{}
		sent  atomic.Int64
	)
	client := &http.Client{Timeout: 10 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("pat-k%d-%d", w, i)
				req, _ := http.NewRequest("PUT", "http://"+addr+"/clinic/v1/patients/"+id, bytes.NewReader(patient(id, 1)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				sent.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					return // the server died under us
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked[id] = 1
					mu.Unlock()
				}
			}
		}(w)
	}
	// Kill once a good number of writes were acknowledged, mid-burst.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	t.Logf("%d PUTs sent, %d acknowledged before SIGKILL", sent.Load(), n)

	cmd2 := startBinary(t, bin, addr, data, token)
	for id := range acked {
		st, body := call(t, "GET", "http://"+addr+"/clinic/v1/patients/"+id, token, nil)
		if st != http.StatusOK || !bytes.Contains(body, []byte(`"id":"`+id+`"`)) {
			t.Fatalf("acknowledged %s lost after SIGKILL: %d %s", id, st, body)
		}
	}
	// A clean stop: SIGTERM drains and exits 0.
	if err := cmd2.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

func TestTuneGC(t *testing.T) {
	// The collector's target is process-wide: put back what was there.
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	tests := []struct {
		name    string
		percent int
		gogc    string
		want    int // the runtime's target after TuneGC
		set     bool
	}{
		{"default", config.Default().GCPercent, "", config.Default().GCPercent, true},
		{"off", -1, "", -1, true},
		{"operator's GOGC wins", 250, "50", 100, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			cfg := config.Default()
			cfg.GCPercent = tt.percent
			_, set := serve.TuneGC(cfg, func(k string) string {
				if k == "GOGC" {
					return tt.gogc
				}
				return ""
			})
			if got := debug.SetGCPercent(100); set != tt.set || got != tt.want {
				t.Fatalf("TuneGC: set %v, target %d; want %v, %d", set, got, tt.set, tt.want)
			}
		})
	}
}
