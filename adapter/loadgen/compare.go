package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/serve"
	"github.com/ivbridge/ivbridge/adapter/store"
)

// OpenStore opens a fresh, empty store of the kind under test; close
// releases it (and removes what it made).
type OpenStore func(ctx context.Context, name string) (st store.Store, close func() error, err error)

// CompareConfig is one comparison run.
type CompareConfig struct {
	// Open makes the two stores (one for ivbridge, one for the baseline).
	Open OpenStore
	// N and Concurrency as in Config.
	N, Concurrency int
	// Safety runs the safety checks in ivbridge (as serve does by default).
	Safety bool
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Comparison is the outcome: ivbridge beside the bare baseline.
type Comparison struct {
	IVBridge, Baseline Result
}

// Ratio is ivbridge's throughput as a fraction of the baseline's.
func (c Comparison) Ratio() float64 {
	if c.Baseline.PerSecond() == 0 {
		return 0
	}
	return c.IVBridge.PerSecond() / c.Baseline.PerSecond()
}

const compareToken = "loadgen-token"

// Compare runs the baseline and then ivbridge, each on its own fresh store
// and loopback port, with the same records and clients.
func Compare(ctx context.Context, cc CompareConfig) (Comparison, error) {
	var out Comparison
	logf := func(format string, args ...any) {
		if cc.Log != nil {
			fmt.Fprintf(cc.Log, format+"\n", args...)
		}
	}

	// Baseline.
	bst, bclose, err := cc.Open(ctx, "baseline")
	if err != nil {
		return out, fmt.Errorf("loadgen: open baseline store: %w", err)
	}
	defer bclose()
	res, err := measure(ctx, BaselineHandler(bst), cc, "base")
	if err != nil {
		return out, fmt.Errorf("loadgen: baseline: %w", err)
	}
	out.Baseline = res
	logf("baseline: %s", res)

	// ivbridge, wired as serve wires it.
	ist, iclose, err := cc.Open(ctx, "ivbridge")
	if err != nil {
		return out, fmt.Errorf("loadgen: open ivbridge store: %w", err)
	}
	defer iclose()
	toks, err := (*auth.Tokens)(nil).With("loadgen", compareToken, auth.AllScopes()...)
	if err != nil {
		return out, err
	}
	cfg := config.Default()
	cfg.Safety = cc.Safety
	svc, err := serve.Build(cfg, ist, toks, slog.New(slog.DiscardHandler), func(string) string { return "" })
	if err != nil {
		return out, fmt.Errorf("loadgen: build ivbridge: %w", err)
	}
	res, err = measure(ctx, svc.Server.Handler(), cc, "ivb")
	if err != nil {
		return out, fmt.Errorf("loadgen: ivbridge: %w", err)
	}
	out.IVBridge = res
	logf("ivbridge: %s", res)
	return out, nil
}

// measure serves h on a loopback port, seeds, runs and stops.
func measure(ctx context.Context, h http.Handler, cc CompareConfig, prefix string) (Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	defer func() {
		_ = hs.Shutdown(context.Background())
		<-done
	}()
	cfg := Config{BaseURL: "http://" + ln.Addr().String(), Token: compareToken, N: cc.N, Concurrency: cc.Concurrency, Prefix: prefix}
	if err := Seed(ctx, cfg); err != nil {
		return Result{}, err
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		return res, err
	}
	if res.Failed > 0 {
		return res, errors.New("refused writes: " + res.FirstError)
	}
	return res, nil
}
