package sync_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// The crash test re-executes the test binary as a syncer process over the
// same SQLite directory (the TestMain re-exec pattern) and SIGKILLs it.
const (
	childDirEnv      = "IVBRIDGE_SYNC_CHILD_DIR"
	childUpstreamEnv = "IVBRIDGE_SYNC_CHILD_UPSTREAM"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(runChild(dir, os.Getenv(childUpstreamEnv)))
	}
	code := m.Run()
	if tmplDir != "" {
		_ = os.RemoveAll(tmplDir) // the benchmark's template store
	}
	os.Exit(code)
}

// runChild runs a syncer until it is killed (or SIGTERMed).
func runChild(dir, base string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer st.Close()
	up, err := upstream.New(upstream.Config{BaseURL: base, RetryWaitMin: 50 * time.Millisecond, RetryWaitMax: 500 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	s, err := sync.New(sync.Config{
		Namespace: testNS, Workers: 4, ClaimLimit: 25, Lease: 3 * time.Second, LeaseMargin: time.Second,
		RetryBase: 100 * time.Millisecond, RetryMax: time.Second, Idle: 20 * time.Millisecond, PullInterval: -1,
	}, st, up, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// TestSIGKILLMidBatch kills the syncer (the test binary re-executed as a
// syncer process over the same SQLite directory) with SIGKILL five times
// while it pushes 1,000 records, restarting it each time: every record
// arrives, none twice.
func TestSIGKILLMidBatch(t *testing.T) {
	killFiveTimes(t, func(dir, base string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childUpstreamEnv+"="+base)
		return cmd
	})
}

// TestSIGKILLBinary is the same with the real binary: `ivbridge sync run`
// built from cmd/ivbridge.
func TestSIGKILLBinary(t *testing.T) {
	bin := buildIvbridge(t)
	killFiveTimes(t, func(dir, base string) *exec.Cmd {
		return exec.Command(bin, "sync", "run", "--data", dir, "--upstream", base, "--workers", "4", "--claim", "25",
			"--lease", "3s", "--pull-interval", "-1s", "--log-level", "error")
	})
}

var (
	binOnce gosync.Once
	binPath string
	binErr  error
)

// buildIvbridge builds cmd/ivbridge once per test binary.
func buildIvbridge(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ivbridge-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ivbridge")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/ivbridge/ivbridge/cmd/ivbridge").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/ivbridge: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func killFiveTimes(t *testing.T, command func(dir, base string) *exec.Cmd) {
	base := upstreamtest.Start(t)
	dir := t.TempDir()
	st := openStore(t, dir)
	pats, plans := records(t, st, "kill", outagePatients)
	total := 2 * outagePatients

	start := func() *exec.Cmd {
		cmd := command(dir, base)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	pending := func() int {
		stats, err := st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return stats.Pending
	}
	before := pending()
	for round := 1; round <= 5; round++ {
		cmd := start()
		// Kill once this run has pushed something, so it dies mid-stream
		// with claims (leases) and writes in flight.
		deadline := time.Now().Add(60 * time.Second)
		for pending() > before-total/10 && pending() > 0 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		now := pending()
		t.Logf("round %d: killed with %d of %d pending", round, now, total)
		if now == 0 {
			t.Fatalf("round %d: everything was pushed before the kill; the test proves nothing", round)
		}
		before = now
	}
	cmd := start()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	assertAllOnce(t, st, base, pats, plans)
}
