// Package serve assembles and runs the `ivbridge serve` process: it opens
// the store, loads the terminology and safety rules, builds the HTTP API
// and serves it until the context ends, then drains in-flight requests.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/adapter/metrics"
	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/postgres"
	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
	ivsync "github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/terminology"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// EnvToken is the environment variable of a first-run token that carries
// every scope.
const EnvToken = "IVBRIDGE_TOKEN"

// Env is what the process reads from outside besides the configuration.
type Env struct {
	// Getenv reads the environment (os.Getenv).
	Getenv func(string) string
	// Stderr receives the logs and the first-run token hint.
	Stderr io.Writer
	// Ready, when set, is called with the bound address once the server
	// listens (tests use it to learn a :0 port).
	Ready func(addr net.Addr)
}

// NewLogger returns the JSON logger of the process at the configured level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// OpenStore opens PostgreSQL when cfg.DB is set, else the embedded SQLite
// in cfg.DataDir.
func OpenStore(ctx context.Context, cfg config.Serve) (store.Store, error) {
	if cfg.DB != "" {
		st, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open SQLite in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// Tokens loads the token file and IVBRIDGE_TOKEN. With neither, it makes a
// random token with every scope and prints it once to stderr, so a first
// `ivbridge serve` is usable at once and never open without a token.
func Tokens(cfg config.Serve, env Env, log *slog.Logger) (*auth.Tokens, error) {
	var toks *auth.Tokens
	if cfg.Tokens != "" {
		t, err := auth.Load(cfg.Tokens)
		if err != nil {
			return nil, err
		}
		toks = t
	}
	if tok := strings.TrimSpace(env.Getenv(EnvToken)); tok != "" {
		t, err := toks.With("env", tok, auth.AllScopes()...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvToken, err)
		}
		toks = t
	}
	if toks.Len() > 0 {
		return toks, nil
	}
	tok, err := auth.Generate()
	if err != nil {
		return nil, err
	}
	toks, err = toks.With("first-run", tok, auth.AllScopes()...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "\nivbridge: no --tokens file and no %s set: generated a token with every scope, valid until this process stops:\n\n    %s\n\n"+
		"  use it as:  curl -H 'Authorization: Bearer %s' http://%s/fhir/metadata\n"+
		"  to keep one: export %s=<token>, or list hashed tokens in a file for --tokens\n"+
		"  (per line: name scopes sha256hex; digest with: printf %%s \"$TOKEN\" | sha256sum)\n\n",
		EnvToken, tok, tok, cfg.Addr, EnvToken)
	log.Warn("serving with a generated first-run token; configure --tokens for production")
	return toks, nil
}

// Service is the assembled process: the HTTP API and, with --upstream,
// the sync worker.
type Service struct {
	Server *httpapi.Server
	// Syncer is nil without an upstream.
	Syncer *ivsync.Syncer
}

// syncAdmin adapts the Syncer to the HTTP API's admin hook.
type syncAdmin struct{ s *ivsync.Syncer }

func (a syncAdmin) Status(ctx context.Context) (any, error)    { return a.s.Status(ctx) }
func (a syncAdmin) Replay(ctx context.Context, id int64) error { return a.s.Replay(ctx, id) }
func (a syncAdmin) Notify()                                    { a.s.Notify() }

// Build assembles the HTTP API over an open store. getenv supplies the
// upstream token when cfg.Upstream is set.
func Build(cfg config.Serve, st store.Store, toks *auth.Tokens, log *slog.Logger, getenv func(string) string) (*Service, error) {
	terms := terminology.Default()
	if cfg.Terminology != "" {
		f, err := os.Open(cfg.Terminology)
		if err != nil {
			return nil, fmt.Errorf("terminology: %w", err)
		}
		over, err := terminology.Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("terminology %s: %w", cfg.Terminology, err)
		}
		terms = terms.Merge(over)
	}
	// Orders pulled from the upstream may name a patient by FHIR id alone;
	// the store knows which clinic patient that id is.
	tr, err := translate.New(translate.Config{Namespace: cfg.Namespace, Terminology: terms, ResolveReference: ivsync.StoreResolver(st)})
	if err != nil {
		return nil, err
	}
	var engine func(safety.Records) *safety.Engine
	// Set below when there is an upstream: the allergy check then also
	// reads the patient's AllergyIntolerances there.
	var upAllergies safety.UpstreamAllergies
	if cfg.Safety {
		rules := safety.DefaultRules()
		if cfg.Rules != "" {
			f, err := os.Open(cfg.Rules)
			if err != nil {
				return nil, fmt.Errorf("rules: %w", err)
			}
			over, err := safety.LoadRules(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("rules %s: %w", cfg.Rules, err)
			}
			rules = rules.Merge(over)
		}
		subst := substanceOf(terms)
		patientID := func(id string) string { return tr.ID("Patient", "patient", id) }
		engine = func(recs safety.Records) *safety.Engine {
			eng := safety.NewEngine(rules, recs, subst, patientID)
			if upAllergies != nil {
				eng = eng.WithUpstreamAllergies(upAllergies)
			}
			return eng
		}
	}
	validator := conformance.NewValidator()
	svc := &Service{}
	var admin httpapi.SyncAdmin
	m := metrics.New(st)
	if cfg.Upstream != "" {
		// None, a static bearer token or OAuth 2 client credentials
		// (secret or signed JWT assertion), from IVBRIDGE_UPSTREAM_*.
		upAuth, err := upstream.AuthFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		up, err := upstream.New(upstream.Config{BaseURL: cfg.Upstream, Auth: upAuth})
		if err != nil {
			return nil, err
		}
		upAllergies = safety.CachedUpstreamAllergies(upstreamAllergies(up), time.Minute, time.Now)
		svc.Syncer, err = ivsync.New(ivsync.Config{Namespace: tr.Namespace(), Logger: log, Validator: validator}, st, up,
			projection.Puller{P: projection.New(tr, validator)})
		if err != nil {
			return nil, err
		}
		admin = syncAdmin{svc.Syncer}
		// The syncer exports the queue itself.
		m = metrics.New(nil, svc.Syncer.Collector())
	}
	srv, err := httpapi.New(httpapi.Config{
		Store:         st,
		Translator:    tr,
		Validator:     validator,
		Safety:        engine,
		Tokens:        toks,
		Sync:          admin,
		Metrics:       m,
		Logger:        log,
		MaxBody:       cfg.MaxBody,
		MaxBatchLines: cfg.MaxBatchLines,
		RateLimit:     cfg.RateLimit,
		RateBurst:     cfg.RateBurst,
		BaseURL:       cfg.BaseURL,
	})
	if err != nil {
		return nil, err
	}
	svc.Server = srv
	return svc, nil
}

// substanceOf maps a FHIR coding back to a clinic substance code, so the
// safety engine reads AllergyIntolerances that came from the upstream.
func substanceOf(t *terminology.Table) safety.SubstanceOf {
	return func(system, code string) (string, bool) {
		local, err := t.Reverse(terminology.Substance, system, code)
		return local, err == nil
	}
}

// Run serves cfg until ctx ends (SIGTERM/SIGINT in the command), then
// stops taking connections and waits up to cfg.ShutdownTimeout for the
// requests in flight; every write answered 2xx is committed before its
// answer is sent, so a drain never loses an acknowledged record.
func Run(ctx context.Context, cfg config.Serve, env Env) error {
	log := NewLogger(env.Stderr, cfg.LogLevel)
	if gc, ok := TuneGC(cfg, env.Getenv); ok {
		log.Debug("garbage collector target set", "gc_percent", gc)
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	toks, err := Tokens(cfg, env, log)
	if err != nil {
		return err
	}
	svc, err := Build(cfg, st, toks, log, env.Getenv)
	if err != nil {
		return err
	}
	syncDone := make(chan error, 1)
	syncCtx, stopSync := context.WithCancel(context.Background())
	defer stopSync()
	if svc.Syncer != nil {
		go func() { syncDone <- svc.Syncer.Run(syncCtx) }()
	} else {
		syncDone <- nil
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           svc.Server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	store := "sqlite"
	if cfg.DB != "" {
		store = "postgres"
	}
	log.Info("serving", "addr", ln.Addr().String(), "store", store, "safety", cfg.Safety, "tokens", toks.Len(), "sync", svc.Syncer != nil)
	if env.Ready != nil {
		env.Ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests in flight", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	// Requests are drained; now stop the sync (an entry it was pushing
	// stays leased and is retried after the lease, never lost).
	stopSync()
	if err := <-syncDone; err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	log.Info("stopped")
	return nil
}

// upstreamAllergies reads a patient's AllergyIntolerances from the upstream
// with a short deadline: a slow upstream must not hold a clinic PUT, and the
// check reports the allergies it could not read.
func upstreamAllergies(up *upstream.Client) safety.UpstreamAllergies {
	return func(ctx context.Context, patientFHIRID string) ([][]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var out [][]byte
		q := url.Values{"patient": {"Patient/" + patientFHIRID}, "_count": {"200"}}
		err := up.Search(ctx, "AllergyIntolerance", q, func(e upstream.Entry) error {
			if len(e.Resource) > 0 && (e.Search == nil || e.Search.Mode != "include") {
				out = append(out, e.Resource)
			}
			return nil
		})
		return out, err
	}
}

// TuneGC sets the process's garbage collector target to cfg.GCPercent
// and reports the value set, unless the GOGC environment variable is
// set: the runtime applied that at start, and an operator's own GOGC is
// the more deliberate choice. GOMEMLIMIT, read by the runtime, still
// bounds the heap either way.
func TuneGC(cfg config.Serve, getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" || cfg.GCPercent == 0 {
		return 0, false
	}
	debug.SetGCPercent(cfg.GCPercent)
	return cfg.GCPercent, true
}
