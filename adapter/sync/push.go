package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// typeRank orders writes so that a reference's target is written before
// the resource referring to it: patients and practitioners, then
// medications, then orders, then what was given and observed, then
// reactions, allergies and issues, then provenance.
var typeRank = map[string]int{
	"Patient": 0, "Practitioner": 0, "Organization": 0, "Location": 0,
	"Medication": 1, "Condition": 1,
	"MedicationRequest": 2, "Encounter": 2,
	"MedicationAdministration": 3,
	"Observation":              4,
	"AdverseEvent":             5, "AllergyIntolerance": 5, "DetectedIssue": 5,
	"Provenance": 6,
}

func rankOf(typ string) int {
	if r, ok := typeRank[typ]; ok {
		return r
	}
	return 5
}

// kindRank orders claimed records by the clinic model's dependency order.
func kindRank(k clinic.Kind) int {
	for i, kk := range clinic.Kinds {
		if kk == k {
			return i
		}
	}
	return len(clinic.Kinds)
}

// job is one claimed outbox entry on its way to the upstream.
type job struct {
	item      store.OutboxItem
	order     int
	ops       []*op
	resources []store.Resource
	prior     map[string]store.Delivery // by "Type/ID" (local id)
	delivered map[string]store.Delivery
	fail      *failure
	skip      bool // nothing to write: complete as is
}

// failure is why a job cannot complete now.
type failure struct {
	permanent  bool
	reason     string
	outcome    []byte
	retryAfter time.Duration
	// serverError: the upstream answered 500 (or another 5xx it does not
	// mark as temporary) to this record's own write.
	serverError bool
}

// op is one write: PUT (update or conditional update) or DELETE.
type op struct {
	job         *job
	typ, id     string // local FHIR type and id
	method      string
	res         *store.Resource
	body        []byte // what is sent (prepared per request)
	ifMatch     string // upstream version the write is based on
	upstreamID  string // known upstream id ("" when not yet known)
	conditional bool   // PUT Type?identifier=system|value
	idSystem    string
	idValue     string
}

func key(typ, id string) string { return typ + "/" + id }

func (j *job) failWith(f *failure) {
	// A permanent failure outranks a transient one: retrying the record
	// cannot succeed until the cause is fixed.
	if j.fail == nil || (f.permanent && !j.fail.permanent) {
		j.fail = f
	}
}

// PushBatch writes claimed outbox entries to the upstream and settles each
// one in the store (complete, retry later, or dead letter). Writes stop at
// deadline (the claim's lease end minus a margin); entries not finished by
// then are released for a retry. It waits for the upstream's capabilities.
func (s *Syncer) PushBatch(ctx context.Context, items []store.OutboxItem, deadline time.Time) {
	jobs := s.push(ctx, items, deadline)
	if jobs == nil {
		return
	}
	// Settle with a context of its own: the claim's deadline may have
	// passed, and a shutdown should still release what it holds.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer scancel()
	s.settleAll(sctx, jobs)
}

// push writes claimed outbox entries to the upstream and returns their
// jobs, each either done or failed, for settleAll; nil when it released
// the entries unwritten (a shutdown before the capabilities were read).
func (s *Syncer) push(ctx context.Context, items []store.OutboxItem, deadline time.Time) []*job {
	select {
	case <-s.ready:
	case <-ctx.Done():
		s.releaseAll(items, "shutting down")
		return nil
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	jobs := s.loadJobs(wctx, items)
	slices.SortStableFunc(jobs, func(a, b *job) int {
		return kindRank(a.item.Kind) - kindRank(b.item.Kind)
	})
	var ops []*op
	for _, j := range jobs {
		if j.fail == nil && !j.skip {
			ops = append(ops, j.ops...)
		}
	}
	slices.SortStableFunc(ops, func(a, b *op) int { return rankOf(a.typ) - rankOf(b.typ) })

	_, mode := s.capabilities()
	if mode == ModeSingle {
		for _, o := range ops {
			if o.job.fail == nil {
				s.single(wctx, o)
			}
		}
	} else {
		s.pushBundles(wctx, ops, mode)
	}
	return jobs
}

// OutboxBatchLoader is an optional store capability: for each record
// (kinds[i], ids[i]), its current resources (as ResourcesOf) and its sync
// state (the zero SyncState when it has none), read in a few queries
// instead of two per record.
type OutboxBatchLoader interface {
	SyncInputs(ctx context.Context, kinds []clinic.Kind, ids []string) ([][]store.Resource, []store.SyncState, error)
}

// loadJobs reads and plans the claimed entries: in one batch read where
// the store can, else record by record on a few goroutines (the reads run
// on the store's reader pool while other workers write).
func (s *Syncer) loadJobs(ctx context.Context, items []store.OutboxItem) []*job {
	jobs := make([]*job, len(items))
	if bl, ok := s.st.(OutboxBatchLoader); ok {
		kinds := make([]clinic.Kind, len(items))
		ids := make([]string, len(items))
		for i, it := range items {
			kinds[i], ids[i] = it.Kind, it.ID
		}
		res, states, err := bl.SyncInputs(ctx, kinds, ids)
		if err == nil && len(res) == len(items) && len(states) == len(items) {
			for i, it := range items {
				jobs[i] = s.planJob(ctx, it, i, res[i], states[i])
			}
			return jobs
		}
		if err != nil {
			s.log.Warn("batch load failed; loading record by record", "error", err.Error())
		}
	}
	sem := make(chan struct{}, 4)
	var wg stdsync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			j, err := s.loadJob(ctx, it, i)
			if err != nil {
				j = &job{item: it, fail: classify(err)}
			}
			jobs[i] = j
		}()
	}
	wg.Wait()
	return jobs
}

// OutboxBatchCompleter is an optional store capability: complete many
// outbox entries in one transaction, each exactly as CompleteOutbox would
// (an entry already done is a no-op). One commit (one fsync) per batch
// instead of one per record is what lets the push keep up with the
// upstream; stores without it are completed entry by entry.
type OutboxBatchCompleter interface {
	CompleteOutboxBatch(ctx context.Context, seqs []int64, deliveries [][]store.Delivery) error
}

// settleAll settles the jobs, completing the successful ones in one store
// transaction where the store can.
func (s *Syncer) settleAll(ctx context.Context, jobs []*job) {
	bc, ok := s.st.(OutboxBatchCompleter)
	if !ok {
		for _, j := range jobs {
			s.settle(ctx, j)
		}
		return
	}
	var seqs []int64
	var dss [][]store.Delivery
	var done []*job
	for _, j := range jobs {
		if j.fail != nil {
			s.settle(ctx, j)
			continue
		}
		seqs = append(seqs, j.item.Seq)
		dss = append(dss, j.deliveries())
		done = append(done, j)
	}
	if len(done) == 0 {
		return
	}
	if err := bc.CompleteOutboxBatch(ctx, seqs, dss); err != nil {
		// One entry may have been taken over (an expired lease): settle
		// one by one so the others still complete.
		s.log.Warn("batch completion failed; completing one by one", "error", err.Error())
		for _, j := range done {
			s.settle(ctx, j)
		}
		return
	}
	s.counters.pushedRecords.Add(int64(len(done)))
	for _, ds := range dss {
		s.rememberDeliveries(ds)
	}
}

// deliveries lists what the upstream holds of a completed job: every
// current resource, plus tombstones of the ones it deleted.
func (j *job) deliveries() []store.Delivery {
	ds := make([]store.Delivery, 0, len(j.resources))
	for _, r := range j.resources {
		if d, ok := j.delivered[key(r.Type, r.ID)]; ok {
			ds = append(ds, d)
		} else if d, ok := j.prior[key(r.Type, r.ID)]; ok {
			ds = append(ds, d)
		}
	}
	for _, o := range j.ops {
		if o.method == http.MethodDelete {
			if d, ok := j.delivered[key(o.typ, o.id)]; ok {
				ds = append(ds, d)
			}
		}
	}
	return ds
}

// loadJob reads a claimed entry's record, projection and sync state and
// plans its writes.
func (s *Syncer) loadJob(ctx context.Context, it store.OutboxItem, order int) (*job, error) {
	// The entry is written with the record's current projection. When a
	// newer version is already stored this is that version's content
	// (never older than what the upstream has); its own entry writes the
	// same again, idempotently. Versions reach the upstream in order.
	state, err := s.st.GetSyncState(ctx, it.Kind, it.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sync: sync state %s/%s: %w", it.Kind, it.ID, err)
	}
	res, err := s.st.ResourcesOf(ctx, it.Kind, it.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sync: resources of %s/%s: %w", it.Kind, it.ID, err)
	}
	return s.planJob(ctx, it, order, res, state), nil
}

// planJob plans the writes of a claimed entry from its record's current
// resources and its sync state.
func (s *Syncer) planJob(ctx context.Context, it store.OutboxItem, order int, res []store.Resource, state store.SyncState) *job {
	j := &job{item: it, order: order, prior: map[string]store.Delivery{}, delivered: map[string]store.Delivery{}}
	for _, d := range state.Deliveries {
		j.prior[key(d.Type, d.ID)] = d
	}
	if len(res) == 0 {
		if _, err := s.st.GetRecord(ctx, it.Kind, it.ID); errors.Is(err, store.ErrNotFound) {
			j.fail = &failure{permanent: true, reason: "the record is no longer stored"}
			return j
		}
	}
	j.resources = res
	caps, _ := s.capabilities()
	current := map[string]bool{}
	for i := range res {
		r := &res[i]
		current[key(r.Type, r.ID)] = true
		o := &op{job: j, typ: r.Type, id: r.ID, method: http.MethodPut, res: r}
		if d, ok := j.prior[key(r.Type, r.ID)]; ok {
			o.ifMatch, o.upstreamID = d.UpstreamVersion, d.UpstreamID
		}
		if caps != nil && !caps.ClientIDs(r.Type) {
			sys, val := clinicIdentifier(r.Identifiers, s.cfg.Namespace)
			if sys == "" {
				j.fail = &failure{permanent: true, reason: fmt.Sprintf("the upstream refuses client ids for %s and the resource has no clinic identifier for a conditional update", r.Type)}
				return j
			}
			o.conditional, o.idSystem, o.idValue = true, sys, val
		} else if o.upstreamID == "" {
			o.upstreamID = r.ID
		}
		j.ops = append(j.ops, o)
	}
	// Resources of an earlier version that the current projection dropped
	// are deleted upstream too.
	for _, d := range state.Deliveries {
		if !current[key(d.Type, d.ID)] && d.UpstreamID != "" {
			j.ops = append(j.ops, &op{job: j, typ: d.Type, id: d.ID, method: http.MethodDelete, upstreamID: d.UpstreamID})
		}
	}
	if len(j.ops) == 0 {
		j.skip = true
	}
	return j
}

// clinicIdentifier picks the identifier in the clinic namespace from the
// store's "system|value" list.
func clinicIdentifier(ids []string, namespace string) (system, value string) {
	for _, id := range ids {
		sys, val, ok := strings.Cut(id, "|")
		if ok && val != "" && (namespace == "" || strings.HasPrefix(sys, namespace)) {
			return sys, val
		}
	}
	return "", ""
}

// settle records a job's outcome in the store.
func (s *Syncer) settle(ctx context.Context, j *job) {
	seq := j.item.Seq
	var err error
	switch {
	case j.fail == nil:
		ds := j.deliveries()
		err = s.st.CompleteOutbox(ctx, seq, ds)
		if err == nil {
			s.counters.pushedRecords.Add(1)
			s.rememberDeliveries(ds)
		}
	case j.fail.permanent:
		s.log.Warn("dead-lettering outbox entry", "seq", seq, "kind", string(j.item.Kind))
		err = s.st.DeadLetterOutbox(ctx, seq, j.fail.reason, j.fail.outcome)
		if err == nil {
			s.counters.deadLettered.Add(1)
		}
	case j.fail.serverError && j.item.Attempts >= s.cfg.MaxServerErrors:
		// The upstream fails on this record alone, every time (its other
		// records get through): stop holding the patient's later records
		// behind it forever.
		reason := fmt.Sprintf("the upstream answered a server error %d times: %s", j.item.Attempts, j.fail.reason)
		err = s.st.DeadLetterOutbox(ctx, seq, reason, j.fail.outcome)
		if err == nil {
			s.counters.deadLettered.Add(1)
		}
	default:
		next := time.Now().Add(s.backoff(max(j.item.Attempts-1, 0), j.fail.retryAfter))
		err = s.st.RetryOutbox(ctx, seq, next, j.fail.reason)
		if err == nil {
			s.counters.retried.Add(1)
		}
	}
	if err != nil {
		// The lease runs out and the entry is claimed again: the writes
		// are idempotent, so nothing is lost or doubled.
		s.log.Error("settling outbox entry", "seq", seq, "error", err.Error())
	}
}

func (s *Syncer) releaseAll(items []store.OutboxItem, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, it := range items {
		_ = s.st.RetryOutbox(ctx, it.Seq, time.Now(), reason)
	}
}

// retryableServerStatus: the 5xx answers that say "try again later".
func retryableServerStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// classify turns a write error into a job failure.
func classify(err error) *failure {
	// A conflict re-applying could not resolve is the record's for good,
	// whatever its cause: the upstream's 412s, a merge that failed, or a
	// merge that is not valid R4.
	var ce *conflictError
	if errors.As(err, &ce) {
		outcome := ce.outcome
		if outcome == nil {
			outcome = upstream.OutcomeOf(err)
		}
		return &failure{permanent: true, reason: err.Error(), outcome: outcome}
	}
	f := &failure{reason: err.Error(), outcome: upstream.OutcomeOf(err), retryAfter: upstream.RetryAfterOf(err)}
	var te *upstream.TokenError
	var se *upstream.StatusError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		f.reason = "interrupted: " + f.reason
	case errors.As(err, &se) && se.Status >= 500 && !retryableServerStatus(se.Status):
		f.serverError = true
	case upstream.IsTransient(err):
	case errors.As(err, &te):
		// Credentials are configuration, not a property of the record:
		// keep the record pending until they are fixed.
	case errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusProxyAuthRequired):
	case errors.As(err, &se):
		f.permanent = true
	}
	return f
}

// pushBundles sends ops in Bundles under the entry and byte limits,
// splitting on "too large" and falling back to single writes when a
// transaction is refused as a whole.
func (s *Syncer) pushBundles(ctx context.Context, ops []*op, mode string) {
	for start := 0; start < len(ops); {
		if ctx.Err() != nil {
			for _, o := range ops[start:] {
				o.job.failWith(classify(ctx.Err()))
			}
			return
		}
		chunk, next := s.nextChunk(ops, start)
		start = next
		if len(chunk) == 0 {
			continue
		}
		s.sendChunk(ctx, chunk, mode)
	}
}

// nextChunk takes the next ops (skipping those of failed jobs) that fit in
// one Bundle.
func (s *Syncer) nextChunk(ops []*op, start int) ([]*op, int) {
	limit := int(s.bundleLimit.Load())
	var chunk []*op
	size := 256
	seen := map[string]bool{}
	i := start
	for ; i < len(ops); i++ {
		o := ops[i]
		if o.job.fail != nil {
			continue
		}
		lim := limit
		if o.conditional || anyConditional(chunk) {
			lim = min(lim, s.cfg.MaxConditionalEntries)
		}
		entrySize := 256
		if o.res != nil {
			entrySize += len(o.res.Body)
		}
		k := key(o.typ, o.id)
		if len(chunk) > 0 && (len(chunk)+1 > lim || size+entrySize > s.cfg.MaxBundleBytes || seen[k]) {
			break
		}
		seen[k] = true
		chunk = append(chunk, o)
		size += entrySize
	}
	return chunk, i
}

func anyConditional(ops []*op) bool {
	for _, o := range ops {
		if o.conditional {
			return true
		}
	}
	return false
}

// sendChunk posts one Bundle and settles each op from its answer.
func (s *Syncer) sendChunk(ctx context.Context, chunk []*op, mode string) {
	bundle, err := s.buildBundle(ctx, chunk, mode)
	if err != nil {
		// A reference not yet resolvable: per-op preparation told the jobs.
		return
	}
	if bundle == nil {
		return
	}
	s.counters.bundles.Add(1)
	resp, err := s.up.PostBundle(ctx, bundle)
	switch {
	case err == nil:
		s.applyBundleResponse(ctx, chunk, resp)
	case upstream.IsTooLarge(err) && len(chunk) > 1:
		// Learn the smaller size, then send the halves.
		half := len(chunk) / 2
		if cur := s.bundleLimit.Load(); int64(half) < cur {
			s.bundleLimit.Store(int64(max(half, 1)))
		}
		s.counters.bundleSplits.Add(1)
		s.log.Info("upstream refused a bundle as too large; splitting", "entries", len(chunk))
		s.sendChunk(ctx, chunk[:half], mode)
		s.sendChunk(ctx, chunk[half:], mode)
	case classify(err).serverError && len(chunk) > 1:
		// A 500 on a Bundle may be one record's fault: write one by one,
		// so only that record waits.
		for _, o := range chunk {
			if o.job.fail == nil {
				s.single(ctx, o)
			}
		}
	case upstream.IsTransient(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isAuthFailure(err):
		f := classify(err)
		for _, o := range chunk {
			o.job.failWith(f)
		}
	default:
		var se *upstream.StatusError
		if errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusNotImplemented) {
			s.log.Warn("upstream does not take Bundles; writing one resource per request", "status", se.Status)
			s.mu.Lock()
			s.mode = ModeSingle
			s.mu.Unlock()
		}
		// The transaction was refused as a whole (a conflict or one bad
		// resource): write one by one, so only the records at fault fail.
		// Transactions on an upstream without atomic transactions may
		// have been partly applied; the writes are idempotent PUTs, so
		// repeating them is safe.
		for _, o := range chunk {
			if o.job.fail == nil {
				s.single(ctx, o)
			}
		}
	}
}

func isAuthFailure(err error) bool {
	var te *upstream.TokenError
	var se *upstream.StatusError
	return errors.As(err, &te) || (errors.As(err, &se) && se.Status == http.StatusUnauthorized)
}

// buildBundle prepares the ops' bodies and writes the Bundle. Conditional
// entries get urn:uuid fullUrls, and references between entries of the
// Bundle point at them.
func (s *Syncer) buildBundle(ctx context.Context, chunk []*op, mode string) ([]byte, error) {
	inBundle := map[string]bool{}
	for _, o := range chunk {
		if o.conditional && o.upstreamID == "" {
			inBundle[key(o.typ, o.id)] = true
		}
	}
	type entry struct {
		FullURL  string                `json:"fullUrl,omitempty"`
		Resource json.RawMessage       `json:"resource,omitempty"`
		Request  upstream.EntryRequest `json:"request"`
	}
	entries := make([]entry, 0, len(chunk))
	var sent []*op
	for _, o := range chunk {
		if err := s.prepare(ctx, o, inBundle); err != nil {
			o.job.failWith(classifyPrepare(err))
			continue
		}
		e := entry{Request: upstream.EntryRequest{Method: o.method}}
		switch {
		case o.method == http.MethodDelete:
			e.Request.URL = o.typ + "/" + o.upstreamID
		case o.conditional && o.upstreamID == "":
			e.FullURL = "urn:uuid:" + o.id
			e.Request.URL = o.typ + "?identifier=" + urlQueryEscape(o.idSystem+"|"+o.idValue)
			e.Resource = o.body
		default:
			e.FullURL = strings.TrimRight(s.up.BaseURL(), "/") + "/" + o.typ + "/" + o.upstreamID
			e.Request.URL = o.typ + "/" + o.upstreamID
			e.Resource = o.body
			if o.ifMatch != "" {
				e.Request.IfMatch = upstream.WeakETag(o.ifMatch)
			}
		}
		entries = append(entries, e)
		sent = append(sent, o)
	}
	if len(sent) != len(chunk) {
		// Some ops could not be prepared: send the rest one by one, so the
		// response entries line up with what was sent.
		for _, o := range sent {
			if o.job.fail == nil {
				s.single(ctx, o)
			}
		}
		return nil, errors.New("sync: bundle incomplete")
	}
	if len(entries) == 0 {
		return nil, nil
	}
	typ := "transaction"
	if mode == ModeBatch {
		typ = "batch"
	}
	b, err := json.Marshal(struct {
		ResourceType string  `json:"resourceType"`
		Type         string  `json:"type"`
		Entry        []entry `json:"entry"`
	}{"Bundle", typ, entries})
	if err != nil {
		return nil, fmt.Errorf("sync: bundle: %w", err)
	}
	return b, nil
}

// applyBundleResponse settles each op from its response entry.
func (s *Syncer) applyBundleResponse(ctx context.Context, chunk []*op, resp *upstream.BundleReply) {
	if len(resp.Entry) != len(chunk) {
		f := &failure{reason: fmt.Sprintf("upstream answered %d entries for %d", len(resp.Entry), len(chunk))}
		for _, o := range chunk {
			o.job.failWith(f)
		}
		return
	}
	for i, o := range chunk {
		r := resp.Entry[i].Response
		code := r.Code()
		if code >= 200 && code < 300 {
			w := resp.Entry[i].Resource
			s.deliveredAs(o, r.Location, r.ETag, func() (string, string) {
				if w == nil {
					return "", ""
				}
				return w.ID, w.Meta.VersionID
			})
			continue
		}
		// A batch entry failed on its own: the same rules as a single write.
		se := &upstream.StatusError{Method: o.method, Path: o.typ, Status: code}
		if r != nil && len(r.Outcome) > 0 {
			se.Outcome = r.Outcome
		}
		if code == 0 {
			se.Status = http.StatusBadGateway
		}
		if upstream.IsConflict(se) {
			if err := s.resolveConflict(ctx, o); err != nil {
				o.job.failWith(classify(err))
			}
			continue
		}
		o.job.failWith(classify(se))
	}
}

// single writes one op in its own request.
func (s *Syncer) single(ctx context.Context, o *op) {
	if err := s.prepare(ctx, o, nil); err != nil {
		o.job.failWith(classifyPrepare(err))
		return
	}
	var resp *upstream.Response
	var err error
	switch {
	case o.method == http.MethodDelete:
		err = s.up.Delete(ctx, o.typ, o.upstreamID)
		if err == nil {
			s.delivered(o, "", "", nil)
			return
		}
	case o.conditional && o.upstreamID == "":
		resp, err = s.up.ConditionalUpdate(ctx, o.typ, o.idSystem, o.idValue, o.body)
	default:
		resp, err = s.up.Update(ctx, o.typ, o.upstreamID, o.body, o.ifMatch)
	}
	if err == nil {
		s.delivered(o, resp.Header.Get("Location"), resp.Header.Get("ETag"), resp.Body)
		return
	}
	if upstream.IsConflict(err) {
		err = s.resolveConflict(ctx, o)
		if err == nil {
			return
		}
	}
	o.job.failWith(classify(err))
}

// delivered records a successful write of o.
func (s *Syncer) delivered(o *op, location, etag string, body []byte) {
	s.deliveredAs(o, location, etag, func() (id, version string) {
		var w upstream.WrittenResource
		if len(body) > 0 && json.Unmarshal(body, &w) == nil {
			return w.ID, w.Meta.VersionID
		}
		return "", ""
	})
}

// deliveredAs records a write the upstream took. The upstream id and
// version come from Location and ETag, else from the resource the
// upstream returned, which fromBody reads (only when needed).
func (s *Syncer) deliveredAs(o *op, location, etag string, fromBody func() (id, version string)) {
	if o.method == http.MethodDelete {
		// A tombstone: the store keeps deliveries by resource, so an empty
		// upstream id marks one that is gone and needs no more deleting.
		o.job.delivered[key(o.typ, o.id)] = store.Delivery{Type: o.typ, ID: o.id}
		return
	}
	id, version := upstream.Location(location)
	if v := upstream.VersionFromETag(etag); v != "" {
		version = v
	}
	if id == "" || version == "" {
		bid, bversion := fromBody()
		if id == "" {
			id = bid
		}
		if version == "" {
			version = bversion
		}
	}
	if id == "" {
		id = o.upstreamID
	}
	o.job.delivered[key(o.typ, o.id)] = store.Delivery{Type: o.typ, ID: o.id, UpstreamID: id, UpstreamVersion: version}
	s.counters.pushedResources.Add(1)
}

// resolveConflict handles a 409/412: the upstream's copy changed after our
// last write. It re-reads it, re-applies the clinic's elements (Merge) and
// writes with If-Match on the version read, a bounded number of times.
func (s *Syncer) resolveConflict(ctx context.Context, o *op) error {
	s.counters.conflicts.Add(1)
	upID := o.upstreamID
	if upID == "" {
		return &conflictError{typ: o.typ, reason: "conflict on a resource whose upstream id is unknown"}
	}
	var previous []byte
	if o.res != nil && o.res.VersionID > 1 {
		if prev, err := s.st.GetResourceVersion(ctx, o.typ, o.id, o.res.VersionID-1); err == nil && !prev.Deleted {
			previous = prev.Body
		}
	}
	var lastErr error
	for range s.cfg.ConflictRetries {
		cur, err := s.up.Read(ctx, o.typ, upID)
		var resp *upstream.Response
		switch {
		case upstream.IsNotFound(err):
			// Deleted upstream: the clinic's record still stands.
			resp, err = s.up.Update(ctx, o.typ, upID, withID(o.body, upID), "")
		case err != nil:
			return err
		default:
			merged, merr := Merge(o.body, cur.Body, previous, s.cfg.Namespace)
			if merr != nil {
				return &conflictError{typ: o.typ, reason: merr.Error()}
			}
			if s.cfg.Validator != nil {
				if issues := s.cfg.Validator.Validate(merged); conformance.HasErrors(issues) {
					return &conflictError{typ: o.typ, outcome: conformance.OperationOutcome(issues),
						reason: "the clinic's version merged with the upstream's is not valid R4; not sent"}
				}
			}
			version := cur.ETag()
			if version == "" {
				version = versionOf(cur.Body)
			}
			resp, err = s.up.Update(ctx, o.typ, upID, merged, version)
		}
		if err == nil {
			s.delivered(o, resp.Header.Get("Location"), resp.Header.Get("ETag"), resp.Body)
			return nil
		}
		if !upstream.IsConflict(err) {
			return err
		}
		lastErr = err
	}
	return &conflictError{typ: o.typ, reason: fmt.Sprintf("the upstream kept changing the resource: %d re-applies failed", s.cfg.ConflictRetries), cause: lastErr}
}

// conflictError is a conflict that re-applying could not resolve; it
// dead-letters the record.
type conflictError struct {
	typ    string
	reason string
	cause  error
	// outcome is an OperationOutcome of ivbridge's own, when the refusal
	// is not the upstream's.
	outcome []byte
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("sync: conflict on %s: %s", e.typ, e.reason)
}

func (e *conflictError) Unwrap() error { return e.cause }

func classifyPrepare(err error) *failure {
	var we *waitError
	if errors.As(err, &we) {
		return &failure{reason: err.Error()}
	}
	return classify(err)
}

func withID(body []byte, id string) []byte {
	m, err := decodeObject(body)
	if err != nil {
		return body
	}
	m["id"] = id
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

func versionOf(body []byte) string {
	var meta struct {
		Meta struct {
			VersionID string `json:"versionId"`
		} `json:"meta"`
	}
	_ = json.Unmarshal(body, &meta)
	return meta.Meta.VersionID
}

func urlQueryEscape(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:/|", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
