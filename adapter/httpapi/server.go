// Package httpapi is the HTTP face of ivbridge (gin): the clinic API under
// /clinic/v1, the translate endpoints, the FHIR R4 facade under /fhir, the
// sync admin endpoints under /sync/v1, /metrics, /openapi.json and the
// health probes.
//
// Every route is declared once in the route table (routes.go) with the
// scope it needs; authentication, the CapabilityStatement and the OpenAPI
// check are all derived from that table.
//
// Every non-2xx answer carries a FHIR OperationOutcome, including the
// router's own 404 and 405.
//
// Logging rule (PHI): access logs carry the route template (never the raw
// path or the query string, which hold identifiers and search values such
// as an MRN), the method, status, latency, sizes, the token name, the
// request id and, for clinic writes, the record kind and outcome. Bodies,
// names, MRNs, birth dates and query values are never logged. Clinic record
// ids are the clinic's own opaque keys, not PHI; they appear only in error
// logs of server faults (5xx), where an operator needs them to find the
// record.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/metrics"
	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// SyncAdmin is the admin side of a sync worker running in this process
// (adapter/sync's Syncer, adapted by the wiring). Without one, the sync
// endpoints answer from the store alone.
type SyncAdmin interface {
	// Status is the worker's own view, served under "syncer" in GET
	// /sync/v1/status.
	Status(ctx context.Context) (any, error)
	// Replay puts a dead letter back in the queue and wakes the worker.
	Replay(ctx context.Context, id int64) error
	// Notify wakes the push after a write was queued.
	Notify()
}

// Config wires a Server. Store, Translator, Validator and Tokens are
// required.
type Config struct {
	Store      store.Store
	Translator *translate.Translator
	Validator  *conformance.Validator
	// Safety builds the medication safety engine over a record source;
	// nil turns the checks off. A PUT passes a request-scoped cache over
	// the store, so the records its reference check read are not read
	// again by the engine.
	Safety func(recs safety.Records) *safety.Engine
	// Tokens are the accepted bearer tokens.
	Tokens *auth.Tokens
	// Metrics receives request and record metrics; nil makes a new set.
	Metrics *metrics.Metrics
	// Logger receives the access and error logs; nil discards them.
	Logger *slog.Logger
	// MaxBody is the largest request body and batch line in bytes
	// (default 1 MiB).
	MaxBody int64
	// MaxBatchLines caps the records of one batch (default 1000).
	MaxBatchLines int
	// RateLimit is requests per second per token name; 0 is off.
	RateLimit float64
	// RateBurst is the bucket size per token name (default 100).
	RateBurst int
	// BaseURL is the public base URL for fullUrl and links; empty: from
	// the request's Host.
	BaseURL string
	// Sync is the sync worker of this process, if one runs.
	Sync SyncAdmin
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the HTTP API; create it with New and serve Handler().
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Metrics
	engine  *gin.Engine
	routes  []route
	limiter *limiter
	// facade is the facade's resource table; capability is the
	// CapabilityStatement built from it and the routes.
	facade     []resourceDef
	capability []byte
	projector  *projection.Projector
	// group commits the record writes of concurrent requests together
	// when the store can (store.GroupWriter); nil: one PutRecord each.
	group *groupCommitter
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Translator == nil || cfg.Validator == nil {
		return nil, errors.New("httpapi: Store, Translator and Validator are required")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("httpapi: Tokens are required (an empty set refuses every request)")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxBatchLines <= 0 {
		cfg.MaxBatchLines = 1000
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = metrics.New(cfg.Store)
	}
	if cfg.RateLimit > 0 {
		s.limiter = &limiter{rate: rate.Limit(cfg.RateLimit), burst: cfg.RateBurst, byName: map[string]*rate.Limiter{}}
	}
	s.projector = projection.New(cfg.Translator, cfg.Validator)
	if gw, ok := cfg.Store.(store.GroupWriter); ok {
		s.group = newGroupCommitter(gw)
	}
	s.facade = facadeResources()
	s.routes = s.routeTable()
	capability, err := s.buildCapability()
	if err != nil {
		return nil, err
	}
	s.capability = capability
	s.engine = s.buildEngine()
	return s, nil
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

func (s *Server) buildEngine() *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	e.Use(s.observe, s.recover)
	for _, r := range s.routes {
		handlers := []gin.HandlerFunc{}
		if r.scope != scopePublic {
			handlers = append(handlers, s.authenticate(r.scope))
			if s.limiter != nil {
				handlers = append(handlers, s.rateLimit)
			}
		}
		handlers = append(handlers, r.handler)
		e.Handle(r.method, r.path, handlers...)
	}
	e.NoRoute(func(c *gin.Context) {
		s.fail(c, http.StatusNotFound, "not-found", "no such endpoint", "")
	})
	e.NoMethod(func(c *gin.Context) {
		s.fail(c, http.StatusMethodNotAllowed, "not-supported", "method "+c.Request.Method+" is not allowed here", "")
	})
	return e
}

// Context keys set by the middleware and handlers for the access log.
const (
	ctxPrincipal = "ivbridge.principal"
	ctxKind      = "ivbridge.kind"
	ctxResult    = "ivbridge.result"
	ctxRequestID = "ivbridge.request_id"
)

// observe logs and counts every request by route template.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	rid := c.GetHeader("X-Request-Id")
	if rid == "" || len(rid) > 128 || !printableASCII(rid) {
		rid = uuid.NewString()
	}
	c.Set(ctxRequestID, rid)
	c.Header("X-Request-Id", rid)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	d := time.Since(start)
	s.metrics.ObserveRequest(route, c.Request.Method, status, d)
	attrs := []slog.Attr{
		slog.String("request_id", rid),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("latency_ms", float64(d.Microseconds())/1000),
		slog.Int("bytes_out", c.Writer.Size()),
	}
	if p, ok := c.Get(ctxPrincipal); ok {
		attrs = append(attrs, slog.String("token", p.(auth.Principal).Name))
	}
	if k := c.GetString(ctxKind); k != "" {
		attrs = append(attrs, slog.String("kind", k))
	}
	if r := c.GetString(ctxResult); r != "" {
		attrs = append(attrs, slog.String("result", r))
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
		for _, e := range c.Errors {
			attrs = append(attrs, slog.String("error", e.Error()))
		}
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

func printableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// recover turns a panic into a 500 OperationOutcome; the panic value is
// logged, never sent.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			_ = c.Error(fmt.Errorf("panic: %v", v))
			if !c.Writer.Written() {
				s.fail(c, http.StatusInternalServerError, "exception", "internal error", "")
			}
			c.Abort()
		}
	}()
	c.Next()
}

// authenticate requires a valid bearer token carrying scope (or any
// token, for scopeAuthenticated).
func (s *Server) authenticate(scope auth.Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, ok := auth.BearerToken(c.GetHeader("Authorization"))
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="ivbridge"`)
			s.fail(c, http.StatusUnauthorized, "login", "a bearer token is required (Authorization: Bearer <token>)", "")
			c.Abort()
			return
		}
		p, ok := s.cfg.Tokens.Authenticate(tok)
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="ivbridge", error="invalid_token"`)
			s.fail(c, http.StatusUnauthorized, "login", "the bearer token is not valid", "")
			c.Abort()
			return
		}
		c.Set(ctxPrincipal, p)
		if scope != scopeAuthenticated && !p.Has(scope) {
			c.Header("WWW-Authenticate", fmt.Sprintf(`Bearer realm="ivbridge", error="insufficient_scope", scope=%q`, string(scope)))
			s.fail(c, http.StatusForbidden, "forbidden", "this token lacks the scope "+string(scope), "")
			c.Abort()
			return
		}
		c.Next()
	}
}

// limiter is a token bucket per token name.
type limiter struct {
	rate   rate.Limit
	burst  int
	mu     sync.Mutex
	byName map[string]*rate.Limiter
}

func (l *limiter) get(name string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.byName[name]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.byName[name] = lim
	}
	return lim
}

// rateLimit answers 429 when the token's bucket is empty.
func (s *Server) rateLimit(c *gin.Context) {
	p, _ := c.Get(ctxPrincipal)
	name := p.(auth.Principal).Name
	lim := s.limiter.get(name)
	r := lim.Reserve()
	if !r.OK() {
		s.fail(c, http.StatusTooManyRequests, "throttled", "rate limit exceeded", "")
		c.Abort()
		return
	}
	if d := r.Delay(); d > 0 {
		r.Cancel()
		secs := int(d/time.Second) + 1
		c.Header("Retry-After", fmt.Sprint(secs))
		s.fail(c, http.StatusTooManyRequests, "throttled", fmt.Sprintf("rate limit exceeded for token %q; retry after %d s", name, secs), "")
		c.Abort()
		return
	}
	c.Next()
}

// baseURL is the public base of this service.
func (s *Server) baseURL(c *gin.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// healthz answers 200 while the process runs.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 when the store answers.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		_ = c.Error(fmt.Errorf("readyz: %w", err))
		s.fail(c, http.StatusServiceUnavailable, "transient", "the store is not reachable", "")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// metricsHandler serves /metrics.
func (s *Server) metricsHandler(c *gin.Context) {
	s.metrics.Handler().ServeHTTP(c.Writer, c.Request)
}
