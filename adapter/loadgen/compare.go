package loadgen

import (
	"context"
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
	// Parts is how many alternating parts the N writes are sent in
	// (default 10): baseline, ivbridge, baseline … each part N/Parts
	// writes, so a slow spell of the machine falls on both sides.
	Parts int
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

// Compare measures the baseline and ivbridge, each on its own fresh
// store and loopback port, with the same records and clients. The writes
// go in alternating parts (cc.Parts), so both sides see the same machine;
// each side's figures sum its parts.
func Compare(ctx context.Context, cc CompareConfig) (Comparison, error) {
	var out Comparison
	logf := func(format string, args ...any) {
		if cc.Log != nil {
			fmt.Fprintf(cc.Log, format+"\n", args...)
		}
	}
	parts := cc.Parts
	if parts <= 0 {
		parts = 10
	}
	parts = min(parts, max(cc.N, 1))

	bst, bclose, err := cc.Open(ctx, "baseline")
	if err != nil {
		return out, fmt.Errorf("loadgen: open baseline store: %w", err)
	}
	defer bclose()
	base, stopBase, err := serveLoopback(BaselineHandler(bst))
	if err != nil {
		return out, fmt.Errorf("loadgen: baseline: %w", err)
	}
	defer stopBase()

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
	ivb, stopIVB, err := serveLoopback(svc.Server.Handler())
	if err != nil {
		return out, fmt.Errorf("loadgen: ivbridge: %w", err)
	}
	defer stopIVB()

	sides := []struct {
		name string
		cfg  Config
		res  *Result
	}{
		{"baseline", Config{BaseURL: base, Token: compareToken, Concurrency: cc.Concurrency, Prefix: "base"}, &out.Baseline},
		{"ivbridge", Config{BaseURL: ivb, Token: compareToken, Concurrency: cc.Concurrency, Prefix: "ivb"}, &out.IVBridge},
	}
	for _, side := range sides {
		side.cfg.N = cc.N // the plan's schedule covers every session
		if err := Seed(ctx, side.cfg); err != nil {
			return out, fmt.Errorf("loadgen: %s: %w", side.name, err)
		}
	}
	for p := range parts {
		first, last := cc.N*p/parts, cc.N*(p+1)/parts
		for _, side := range sides {
			c := side.cfg
			c.First, c.N = first, last-first
			res, err := Run(ctx, c)
			side.res.add(res)
			if err != nil {
				return out, fmt.Errorf("loadgen: %s: %w", side.name, err)
			}
			if res.Failed > 0 {
				return out, fmt.Errorf("loadgen: %s: refused writes: %s", side.name, res.FirstError)
			}
		}
	}
	logf("baseline: %s", out.Baseline)
	logf("ivbridge: %s", out.IVBridge)
	return out, nil
}

// serveLoopback serves h on a loopback port until stop.
func serveLoopback(h http.Handler) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		_ = hs.Shutdown(context.Background())
		<-done
	}, nil
}
