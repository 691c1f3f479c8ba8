// Package sync moves accepted clinic records to the upstream FHIR server
// and pulls the upstream's medication orders back.
//
// Push: a dispatcher claims outbox entries with leases (the store hands
// out at most one entry per patient at a time, oldest first, and holds
// back a patient whose earlier entry is dead-lettered), several batches in
// one claim, and completes the batches N workers have pushed, several in
// one transaction; the workers only talk to the upstream. Each entry's current FHIR
// projection is written with PUT Type/id — the ids are deterministic
// (UUIDv5 of the clinic id), so a write is idempotent and a retry, a
// re-push after a crash, or a partly applied transaction repeated in full
// never creates a second copy. Writes go in transaction Bundles ordered by
// dependency (patients and practitioners, then orders, then
// administrations and observations, then reactions and issues) under entry
// and byte limits; bundles the upstream refuses as too large are split.
// Where the upstream has no transactions (its CapabilityStatement says) the
// writes go one by one; where it refuses client ids, by conditional update
// on the clinic identifier.
//
// Failures: transport errors, 429 and 502/503/504 are retried inside the
// upstream client (backoff with jitter, Retry-After honoured); beyond that
// budget the entry is released with backoff and stays pending. A refusal
// retrying cannot fix (4xx) dead-letters the entry with the upstream's
// OperationOutcome. 409/412 means the upstream changed underneath: the
// clinic's elements are re-applied onto the upstream's copy (see Merge) a
// bounded number of times.
//
// Transactions: an upstream may apply a transaction only in part (Medplum's
// router alone is not atomic; the test upstream's wrapper makes it so). A
// Bundle that fails is repeated — in full, or entry by entry to isolate
// the record at fault — and because every entry is a PUT of a
// deterministic id, repeating an entry that was already applied changes
// nothing: the upstream converges on one copy of each resource.
//
// Order and isolation: the store's ClaimOutbox gives one entry per patient
// at a time, oldest first, so versions of a record apply in order; a
// dead-lettered entry holds back only its own patient's later entries.
// Leases make the workers crash-safe: a killed worker's claims return after
// Config.Lease and are pushed again, idempotently.
//
// Pull: a poller reads MedicationRequests changed upstream since a stored
// watermark and stores those about clinic patients as plan records
// (Origin upstream, never queued for push); unmappable ones become dead
// letters carrying the upstream resource.
//
// Admin: Status, RecordSync, DeadLetters and Replay back the service's
// /sync/v1 endpoints (Routes mounts them on a gin group; AdminClient is
// the HTTP client the `ivbridge sync` commands use); Collector exports the
// same numbers to Prometheus.
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
)

// Write modes, chosen from the upstream's CapabilityStatement unless
// Config.Mode forces one.
const (
	ModeAuto        = ""            // transaction if declared, else batch, else single
	ModeTransaction = "transaction" // transaction Bundles
	ModeBatch       = "batch"       // batch Bundles (entries succeed or fail one by one)
	ModeSingle      = "single"      // one request per resource
)

// Config tunes the syncer. Zero values take the defaults in brackets.
type Config struct {
	// Namespace is the clinic identifier namespace (translate.Config
	// .Namespace): identifiers and extensions under it are ivbridge's.
	Namespace string
	// Validator checks what the sync writes that it built itself (the
	// merge of the clinic's version with the upstream's after a
	// conflict) before it is sent; nil sends it unchecked. A merge that
	// is not valid R4 is dead-lettered with the validator's
	// OperationOutcome, never sent.
	Validator *conformance.Validator
	// Workers is the number of concurrent push workers [8]. They only
	// write to the upstream (the dispatcher does the store's work); 8
	// measured best against the Medplum test upstream, better than 4 or
	// 16 (see BenchmarkPush).
	Workers int
	// ClaimLimit is how many outbox entries a worker pushes at once
	// [100]; the dispatcher claims up to a few such batches in one go.
	ClaimLimit int
	// Lease is how long a claim is held [60s]: after a crash, its entries
	// are claimed again this long after they were taken. A worker stops
	// sending a claim's writes LeaseMargin before it ends, so an expired
	// claim re-pushed by another worker never races the first one.
	Lease time.Duration
	// LeaseMargin [15s, at most half the lease].
	LeaseMargin time.Duration
	// Mode forces a write mode (ModeTransaction, ModeBatch, ModeSingle).
	Mode string
	// MaxEntries caps the entries of one Bundle [50, Medplum's limit on
	// updates per transaction].
	MaxEntries int
	// MaxConditionalEntries caps Bundles with conditional updates [8].
	MaxConditionalEntries int
	// MaxBundleBytes caps the size of one Bundle [4 MiB].
	MaxBundleBytes int
	// ConflictRetries bounds re-applying after 409/412 [3].
	ConflictRetries int
	// MaxServerErrors dead-letters a record whose own write the upstream
	// answers with 500 once the record has been tried this many times
	// [10]. Outages (unreachable, 502/503/504, 429) never dead-letter.
	MaxServerErrors int
	// RetryBase and RetryMax bound the outbox backoff of an entry the
	// upstream could not take (outage beyond the client's retries)
	// [2s, 5m].
	RetryBase, RetryMax time.Duration
	// Idle is how long a worker waits when the queue is empty before it
	// looks again [500ms]; Notify wakes it earlier.
	Idle time.Duration
	// PullInterval is the pull poller's period [30s]; negative disables
	// the pull.
	PullInterval time.Duration
	// PullOverlap re-reads this much before the watermark to absorb
	// clock skew and writes committed out of order upstream [5s].
	PullOverlap time.Duration
	// Owner names this process in leases [hostname:pid].
	Owner string
	// Logger [discard]. Nothing patient-identifying is logged.
	Logger *slog.Logger
	// Now is the clock [time.Now].
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.ClaimLimit <= 0 {
		c.ClaimLimit = 100
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.LeaseMargin <= 0 {
		c.LeaseMargin = 15 * time.Second
	}
	if c.LeaseMargin > c.Lease/2 {
		c.LeaseMargin = c.Lease / 2
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 50
	}
	if c.MaxConditionalEntries <= 0 {
		c.MaxConditionalEntries = 8
	}
	if c.MaxBundleBytes <= 0 {
		c.MaxBundleBytes = 4 << 20
	}
	if c.ConflictRetries <= 0 {
		c.ConflictRetries = 3
	}
	if c.MaxServerErrors <= 0 {
		c.MaxServerErrors = 10
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 2 * time.Second
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = max(5*time.Minute, c.RetryBase)
	}
	if c.Idle <= 0 {
		c.Idle = 500 * time.Millisecond
	}
	if c.PullInterval == 0 {
		c.PullInterval = 30 * time.Second
	}
	if c.PullOverlap <= 0 {
		c.PullOverlap = 5 * time.Second
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		c.Owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Syncer pushes the outbox to the upstream and pulls orders from it.
type Syncer struct {
	cfg   Config
	st    store.Store
	up    *upstream.Client
	pull  Puller
	log   *slog.Logger
	wake  chan struct{}
	ready chan struct{} // closed once the capabilities are known

	mu           stdsync.Mutex
	caps         *upstream.Capabilities
	mode         string
	allClientIDs bool              // every declared type takes client ids
	upIDs        map[string]string // "Type/localID" → server-assigned upstream id
	pullState    PullStatus
	pulledSeen   map[string]bool // "Type/id/versionId" handled by the pull

	// bundleLimit is the learned entry limit: it shrinks when the
	// upstream refuses a Bundle as too large.
	bundleLimit atomic.Int64
	counters    counters
}

// counters are the monotonic numbers /metrics exports.
type counters struct {
	pushedResources atomic.Int64
	pushedRecords   atomic.Int64
	retried         atomic.Int64
	deadLettered    atomic.Int64
	conflicts       atomic.Int64
	bundles         atomic.Int64
	bundleSplits    atomic.Int64
	pulled          atomic.Int64
}

// New builds a syncer over the store and the upstream client. pull turns
// upstream orders into clinic records (NewTranslatorPuller); nil disables
// the pull.
func New(cfg Config, st store.Store, up *upstream.Client, pull Puller) (*Syncer, error) {
	if st == nil || up == nil {
		return nil, errors.New("sync: a store and an upstream client are required")
	}
	switch cfg.Mode {
	case ModeAuto, ModeTransaction, ModeBatch, ModeSingle:
	default:
		return nil, fmt.Errorf("sync: unknown mode %q (transaction, batch, single)", cfg.Mode)
	}
	cfg.defaults()
	s := &Syncer{
		cfg: cfg, st: st, up: up, pull: pull, log: cfg.Logger,
		wake:  make(chan struct{}, 1),
		ready: make(chan struct{}),
	}
	s.bundleLimit.Store(int64(cfg.MaxEntries))
	return s, nil
}

// Notify wakes an idle worker: call it after queueing work so the push
// starts without waiting for the idle poll.
func (s *Syncer) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run reads the upstream's capabilities (retrying until it answers), then
// runs the push workers and the pull poller until ctx ends. It returns nil
// on a clean shutdown.
func (s *Syncer) Run(ctx context.Context) error {
	if err := s.discover(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var wg stdsync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runPush(ctx)
	}()
	if s.pull != nil && s.cfg.PullInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.pollLoop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// discover reads GET /metadata and picks the write mode; it keeps trying
// while the upstream is unreachable, so ivbridge can start before it.
func (s *Syncer) discover(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		caps, err := s.up.Capabilities(ctx)
		if err == nil {
			s.setCapabilities(caps)
			return nil
		}
		if !upstream.IsTransient(err) && !errors.Is(err, context.DeadlineExceeded) {
			var se *upstream.StatusError
			if errors.As(err, &se) && se.Status == 404 {
				// No /metadata at all: assume the common ground.
				s.log.Warn("upstream has no CapabilityStatement; writing one resource per request")
				s.setCapabilities(&upstream.Capabilities{})
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		s.log.Warn("upstream capabilities unavailable, retrying", "error", err.Error())
		t := time.NewTimer(s.backoff(attempt, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Syncer) setCapabilities(caps *upstream.Capabilities) {
	mode := s.cfg.Mode
	if mode == ModeAuto {
		switch {
		case caps.Transaction:
			mode = ModeTransaction
		case caps.Batch:
			mode = ModeBatch
		default:
			mode = ModeSingle
		}
	}
	all := true
	for typ := range caps.Types {
		if !caps.ClientIDs(typ) {
			all = false
			break
		}
	}
	s.mu.Lock()
	s.caps, s.mode, s.allClientIDs = caps, mode, all
	s.mu.Unlock()
	s.log.Info("upstream capabilities read", "mode", mode, "fhirVersion", caps.FHIRVersion)
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
}

// SetCapabilities sets the upstream's capabilities without reading
// /metadata (for tools that push once, and tests).
func (s *Syncer) SetCapabilities(caps *upstream.Capabilities) { s.setCapabilities(caps) }

func (s *Syncer) capabilities() (*upstream.Capabilities, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps, s.mode
}

func (s *Syncer) takesClientIDs() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allClientIDs
}

// backoff is the outbox delay after the attempt-th failure: exponential
// from RetryBase, capped at RetryMax, with jitter in its upper half, and
// never shorter than the upstream's Retry-After.
func (s *Syncer) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := float64(s.cfg.RetryBase) * math.Pow(2, float64(min(attempt, 30)))
	if d > float64(s.cfg.RetryMax) {
		d = float64(s.cfg.RetryMax)
	}
	wait := time.Duration(d/2) + rand.N(time.Duration(d/2)+1)
	return max(wait, retryAfter)
}
