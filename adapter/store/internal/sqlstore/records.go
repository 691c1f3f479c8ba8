package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Store implements store.Store over a DB and a Dialect.
type Store struct {
	db  DB
	d   Dialect
	now func() time.Time
}

// New returns a Store over an already migrated db.
func New(db DB, d Dialect, opts store.Options) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{db: db, d: d, now: opts.Now}
}

var _ store.Store = (*Store)(nil)

// micros is the store's time representation: microseconds since the Unix
// epoch, UTC. Both databases compare int64 exactly and cheaply, and the
// precision matches what PostgreSQL timestamps would keep.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func (s *Store) clock() int64 { return micros(s.now()) }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) lockSeq(ctx context.Context, q Querier) error {
	if s.d.SeqLock == "" {
		return nil
	}
	if _, err := q.Exec(ctx, s.d.SeqLock); err != nil {
		return fmt.Errorf("lock sequence: %w", err)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{store.ErrInvalid}, args...)...)
}

func checkWrite(w store.Write) error {
	switch {
	case w.Kind == "":
		return invalid("write without kind")
	case w.ID == "":
		return invalid("write without id")
	case w.Version < 1:
		return invalid("version %d below 1", w.Version)
	case len(w.Body) == 0:
		return invalid("write without body")
	}
	switch w.Origin {
	case store.OriginClinic, store.OriginUpstream:
	default:
		return invalid("origin %q", w.Origin)
	}
	return nil
}

// PutRecord stores one record version, its projection and its outbox entry
// in one transaction.
func (s *Store) PutRecord(ctx context.Context, w store.Write) (store.PutResult, error) {
	if err := checkWrite(w); err != nil {
		return 0, err
	}
	res, err := prepareResources(w.Resources, w.Kind, w.ID)
	if err != nil {
		return 0, err
	}
	var result store.PutResult
	err = s.db.Write(ctx, func(q Querier) error {
		now := s.clock()
		var err error
		if result, err = s.applyWrite(ctx, q, w, res, now); err != nil || result == store.Unchanged {
			return err
		}
		return s.finishWrites(ctx, q, []store.Write{w}, now)
	})
	if err != nil {
		return 0, fmt.Errorf("store: put %s/%s v%d: %w", w.Kind, w.ID, w.Version, err)
	}
	return result, nil
}

// PutRecords stores several record versions in one transaction: one
// commit (one fsync) for all of them. Each write is checked on its own,
// as by PutRecord, and gets its own result or error: a stale,
// conflicting or invalid write fails alone and leaves nothing behind,
// the others are stored. When the shared transaction fails for another
// reason, each write is retried in a transaction of its own, so one bad
// write never fails its neighbours. Writes of one record are applied in
// the order given.
func (s *Store) PutRecords(ctx context.Context, ws []store.Write) ([]store.PutResult, []error) {
	results := make([]store.PutResult, len(ws))
	errs := make([]error, len(ws))
	type item struct {
		i   int
		res []prepared
	}
	items := make([]item, 0, len(ws))
	for i, w := range ws {
		if err := checkWrite(w); err != nil {
			errs[i] = err
			continue
		}
		res, err := prepareResources(w.Resources, w.Kind, w.ID)
		if err != nil {
			errs[i] = err
			continue
		}
		items = append(items, item{i, res})
	}
	// Take the record locks in one order (PostgreSQL): two groups
	// sharing records never wait on each other in a cycle.
	slices.SortStableFunc(items, func(a, b item) int {
		wa, wb := ws[a.i], ws[b.i]
		if c := strings.Compare(string(wa.Kind), string(wb.Kind)); c != 0 {
			return c
		}
		return strings.Compare(wa.ID, wb.ID)
	})
	if len(items) == 0 {
		return results, errs
	}
	err := s.db.Write(ctx, func(q Querier) error {
		now := s.clock()
		// Lock the group's records (PostgreSQL) and read what is held
		// of them, a round trip each for the whole group.
		var keys []source
		for _, it := range items {
			k := source{ws[it.i].Kind, ws[it.i].ID}
			if len(keys) == 0 || keys[len(keys)-1] != k {
				keys = append(keys, k) // items are sorted by record
			}
		}
		// A retried transaction decides every write anew.
		for _, it := range items {
			results[it.i], errs[it.i] = 0, nil
		}
		// The writes' reads go with the locks, in one set: the same
		// record, list or search read once for the group.
		var rs *readSet
		members := make([]int, len(items))
		for j, it := range items {
			if w := ws[it.i]; w.Check != nil {
				if rs == nil {
					rs = newReadSet()
				}
				// A read that cannot be made fails the group, and
				// the retry of each write alone fails that one.
				m, err := rs.add(w.Reads)
				if err != nil {
					return err
				}
				members[j] = m
			}
		}
		held, err := s.lockAndReadHeld(ctx, q, keys, rs)
		if err != nil {
			return err
		}
		// Then every write in order. The statements of records created
		// here need nothing read first, so they wait in pending and go
		// with the group's last batch; a write that must read the
		// current projection (an update) sends what is pending first.
		var pending []Stmt
		flush := func() error {
			err := execAll(ctx, q, pending)
			pending = nil
			return err
		}
		var written []store.Write
		for j, it := range items {
			w := ws[it.i]
			k := source{w.Kind, w.ID}
			r, rec, err := s.recordStmt(w, held[k], now)
			if err == nil && r != store.Unchanged && w.Check != nil {
				// The check refuses before this write changed
				// anything; the transaction goes on for the others.
				it.res, err = checkedProjection(w, it.res, rs.results(members[j]))
				if err != nil {
					errs[it.i] = fmt.Errorf("store: put %s/%s v%d: %w", w.Kind, w.ID, w.Version, err)
					continue
				}
			}
			switch {
			case errors.Is(err, store.ErrStale) || errors.Is(err, store.ErrConflict):
				// Found before this write changed anything.
				errs[it.i] = fmt.Errorf("store: put %s/%s v%d: %w", w.Kind, w.ID, w.Version, err)
				continue
			case err != nil:
				return err
			case r == store.Unchanged:
				results[it.i] = r
				continue
			case r == store.Created:
				stmts, deletes, err := s.projectionStmts(ctx, q, it.res, now, &k, true, rec)
				if err != nil {
					return err
				}
				if len(deletes) > 0 { // a fresh record has nothing to delete
					return fmt.Errorf("write resources: %d deletes for a new record", len(deletes))
				}
				pending = append(pending, stmts...)
			default:
				if err := flush(); err != nil {
					return fmt.Errorf("write resources: %w", err)
				}
				if err := s.writeResources(ctx, q, it.res, now, &k, false, rec); err != nil {
					return err
				}
			}
			held[k] = heldRecord{found: true, version: w.Version, body: w.Body}
			results[it.i] = r
			written = append(written, w)
		}
		// The last statements go with the commit: the sequence lock
		// they take is held for no round trip of its own.
		if err := execAtCommit(ctx, q, append(pending, s.finishStmts(written, now)...)); err != nil {
			return fmt.Errorf("write records: %w", err)
		}
		return nil
	})
	if err != nil {
		for _, it := range items {
			results[it.i], errs[it.i] = s.PutRecord(ctx, ws[it.i])
		}
	}
	return results, errs
}

// ReadsInWrite reports whether the DB's reads are round trips to a
// server (store.GroupWriter).
func (s *Store) ReadsInWrite() bool {
	r, ok := s.db.(interface{ RemoteReads() bool })
	return ok && r.RemoteReads()
}

// GroupConcurrency is how many group commits are worth running at once
// (store.GroupWriter): the DB's WriteConcurrency when it has one, else 1,
// and at most the dialect's GroupSlots.
func (s *Store) GroupConcurrency() int {
	n := 1
	if wc, ok := s.db.(interface{ WriteConcurrency() int }); ok {
		n = max(wc.WriteConcurrency(), 1)
	}
	if s.d.GroupSlots > 0 {
		n = min(n, s.d.GroupSlots)
	}
	return n
}

// applyWrite is the first part of a record write, inside its transaction:
// lock the record, check the version, write the record and its
// projection. ErrStale and ErrConflict come before any change; Unchanged
// means nothing was written and finishWrites is not needed.
func (s *Store) applyWrite(ctx context.Context, q Querier, w store.Write, res []prepared, now int64) (store.PutResult, error) {
	k := source{w.Kind, w.ID}
	var rs *readSet
	m := 0
	if w.Check != nil {
		rs = newReadSet()
		var err error
		if m, err = rs.add(w.Reads); err != nil {
			return 0, err
		}
	}
	held, err := s.lockAndReadHeld(ctx, q, []source{k}, rs)
	if err != nil {
		return 0, err
	}
	result, rec, err := s.recordStmt(w, held[k], now)
	if err != nil || result == store.Unchanged {
		return result, err
	}
	if rs != nil {
		if res, err = checkedProjection(w, res, rs.results(m)); err != nil {
			return 0, err
		}
	}
	if err := s.writeResources(ctx, q, res, now, &k, result == store.Created, rec); err != nil {
		return 0, err
	}
	return result, nil
}

// heldRecord is what a write finds held of its record.
type heldRecord struct {
	found   bool
	version int
	body    []byte
}

// lockStmts take the record locks of keys (Dialect.LockRecord), in the
// order given.
func (s *Store) lockStmts(keys []source) []Stmt {
	if s.d.LockRecord == "" {
		return nil
	}
	stmts := make([]Stmt, len(keys))
	for i, k := range keys {
		stmts[i] = Stmt{s.d.LockRecord, []any{string(k.kind) + "/" + k.id}}
	}
	return stmts
}

// lockRecords takes the record locks of keys, in one batch.
func (s *Store) lockRecords(ctx context.Context, q Querier, keys []source) error {
	if err := execAll(ctx, q, s.lockStmts(keys)); err != nil {
		return fmt.Errorf("lock records: %w", err)
	}
	return nil
}

// lockAndReadHeld takes the record locks of keys and then reads the held
// version and body of each (a record not held is absent): one round trip
// where the transaction can pipeline. The read is a statement of its own,
// after the locks, so its snapshot has what the last holder committed.
//
// rs, when not nil, holds the writes' own reads (Write.Reads): they go in
// the same round trip, the records among them in the same statement.
func (s *Store) lockAndReadHeld(ctx context.Context, q Querier, keys []source, rs *readSet) (map[source]heldRecord, error) {
	if rs == nil {
		rs = newReadSet()
	}
	rs.addKeys(keys)
	if err := rs.read(ctx, s, q, s.lockStmts(keys)); err != nil {
		return nil, fmt.Errorf("lock and read records: %w", err)
	}
	out := make(map[source]heldRecord, len(keys))
	for _, k := range keys {
		if r, ok := rs.held(k); ok {
			out[k] = heldRecord{found: true, version: r.Version, body: r.Body}
		}
	}
	return out, nil
}

// checkedProjection runs w.Check on what its reads read (got), and
// returns its projection res with the resources the check adds.
func checkedProjection(w store.Write, res []prepared, got store.ReadResults) ([]prepared, error) {
	extra, err := w.Check(got)
	if err != nil || len(extra) == 0 {
		return res, err
	}
	return prepareResources(append(slices.Clip(w.Resources), extra...), w.Kind, w.ID)
}

// recordStmt decides a write against what is held of its record: the
// statement writing the record's row, and the result. ErrStale and
// ErrConflict, and Unchanged (an exact replay), come with no statement.
func (s *Store) recordStmt(w store.Write, h heldRecord, now int64) (store.PutResult, Stmt, error) {
	switch {
	case !h.found:
		return store.Created, Stmt{`INSERT INTO records (kind, id, version, patient_id, body, origin, seq, updated_us)
VALUES ($1, $2, $3, $4, $5, $6, ` + s.d.NextSeq + `, $7)`,
			[]any{string(w.Kind), w.ID, w.Version, w.PatientID, w.Body, string(w.Origin), now}}, nil
	case w.Version < h.version:
		return 0, Stmt{}, &store.StaleError{Kind: w.Kind, ID: w.ID, Version: w.Version, Held: h.version}
	case w.Version == h.version:
		if bytes.Equal(h.body, w.Body) {
			return store.Unchanged, Stmt{}, nil
		}
		return 0, Stmt{}, fmt.Errorf("%w: %s/%s version %d", store.ErrConflict, w.Kind, w.ID, w.Version)
	default:
		return store.Updated, Stmt{`UPDATE records SET version = $3, patient_id = $4, body = $5, origin = $6,
seq = ` + s.d.NextSeq + `, updated_us = $7 WHERE kind = $1 AND id = $2`,
			[]any{string(w.Kind), w.ID, w.Version, w.PatientID, w.Body, string(w.Origin), now}}, nil
	}
}

// finishStmts are the last statements of record writes, under the
// sequence lock (Dialect.SeqLock) held to commit: each record's final
// sequence value and its outbox entry.
func (s *Store) finishStmts(ws []store.Write, now int64) []Stmt {
	if len(ws) == 0 {
		return nil
	}
	var stmts []Stmt
	if s.d.SeqLock != "" {
		stmts = append(stmts, Stmt{s.d.SeqLock, nil})
	}
	for _, w := range ws {
		if s.d.SeqLock != "" {
			stmts = append(stmts, Stmt{`UPDATE records SET seq = ` + s.d.NextSeq + ` WHERE kind = $1 AND id = $2`,
				[]any{string(w.Kind), w.ID}})
		}
		if w.Enqueue {
			stmts = append(stmts, enqueueStmt(w.Kind, w.ID, w.Version, w.PatientID, now))
		}
	}
	return stmts
}

// finishWrites runs finishStmts, the transaction's last, with its commit.
func (s *Store) finishWrites(ctx context.Context, q Querier, ws []store.Write, now int64) error {
	if err := execAtCommit(ctx, q, s.finishStmts(ws, now)); err != nil {
		return fmt.Errorf("assign seq and enqueue: %w", err)
	}
	return nil
}

// outboxGroup names the serial lane of an outbox entry: every record of a
// patient shares the patient's lane, a practitioner (or any record without
// a patient) has its own.
func outboxGroup(kind clinic.Kind, id, patientID string) string {
	if patientID != "" {
		return "patient/" + patientID
	}
	return string(kind) + "/" + id
}

func (s *Store) enqueue(ctx context.Context, q Querier, kind clinic.Kind, id string, version int, patientID string, now int64) error {
	st := enqueueStmt(kind, id, version, patientID, now)
	if _, err := q.Exec(ctx, st.Query, st.Args...); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// enqueueStmt adds an outbox entry for one record version.
func enqueueStmt(kind clinic.Kind, id string, version int, patientID string, now int64) Stmt {
	return Stmt{`INSERT INTO outbox (kind, record_id, version, patient_id, grp, state, attempts,
next_try_us, lease_owner, lease_until_us, last_error, created_us, done_us)
VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, '', 0, '', $6, 0)`,
		[]any{string(kind), id, version, patientID, outboxGroup(kind, id, patientID), now}}
}

const recordCols = `kind, id, version, patient_id, body, origin, seq, updated_us`

func scanRecord(r Row) (store.StoredRecord, error) {
	var rec store.StoredRecord
	var kind, origin string
	var updated int64
	if err := r.Scan(&kind, &rec.ID, &rec.Version, &rec.PatientID, &rec.Body, &origin, &rec.Seq, &updated); err != nil {
		return store.StoredRecord{}, err
	}
	rec.Kind = clinic.Kind(kind)
	rec.Origin = store.Origin(origin)
	rec.UpdatedAt = fromMicros(updated)
	return rec, nil
}

// GetRecord returns the stored version of one record.
func (s *Store) GetRecord(ctx context.Context, kind clinic.Kind, id string) (store.StoredRecord, error) {
	var rec store.StoredRecord
	err := s.db.Read(ctx, func(q Querier) error {
		var err error
		rec, err = scanRecord(q.QueryRow(ctx, `SELECT `+recordCols+` FROM records WHERE kind = $1 AND id = $2`, string(kind), id))
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return store.StoredRecord{}, fmt.Errorf("store: record %s/%s: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return store.StoredRecord{}, fmt.Errorf("store: get record %s/%s: %w", kind, id, err)
	}
	return rec, nil
}

// ReadMany answers several reads: on PostgreSQL as one pipelined batch,
// one round trip. A search whose page alone does not tell its total (a
// full page, a page after a cursor or an offset) is read after, as
// SearchResources reads it.
func (s *Store) ReadMany(ctx context.Context, r store.Reads) (store.ReadResults, error) {
	rs := newReadSet()
	m, err := rs.add(r)
	if err != nil {
		return store.ReadResults{}, err
	}
	if err := s.db.Read(ctx, func(q Querier) error { return rs.read(ctx, s, q, nil) }); err != nil {
		return store.ReadResults{}, fmt.Errorf("store: read many: %w", err)
	}
	return rs.results(m), nil
}

// sourcesOf are the distinct keys. A key named twice would make the
// statement longer for nothing, and PostgreSQL's generic plan of a long
// OR of keys can turn from index probes into a scan of the table.
func sourcesOf(keys []store.RecordKey) []source {
	out := make([]source, 0, len(keys))
	seen := make(map[source]bool, len(keys))
	for _, k := range keys {
		if src := (source{k.Kind, k.ID}); !seen[src] {
			seen[src] = true
			out = append(out, src)
		}
	}
	return out
}

// recordsStmts read the held records among keys, one statement per
// readChunk of them.
func recordsStmts(keys []source) []Stmt {
	var out []Stmt
	for start := 0; start < len(keys); start += readChunk {
		a := &args{}
		var conds []string
		for _, k := range keys[start:min(start+readChunk, len(keys))] {
			conds = append(conds, "(kind = "+a.add(string(k.kind))+" AND id = "+a.add(k.id)+")")
		}
		out = append(out, Stmt{`SELECT ` + recordCols + ` FROM records WHERE ` + strings.Join(conds, " OR "), a.vals})
	}
	return out
}

// DefaultListLimit is the page size of ListRecords when the query sets none.
const DefaultListLimit = 100

// ListRecords returns one page of records of a kind, ordered by Seq.
func (s *Store) ListRecords(ctx context.Context, lq store.ListQuery) (store.RecordPage, error) {
	st, limit, err := listStmt(lq)
	if err != nil {
		return store.RecordPage{}, err
	}
	var recs []store.StoredRecord
	err = s.db.Read(ctx, func(q Querier) error {
		var err error
		recs, err = queryAll(ctx, q, scanRecord, st.Query, st.Args...)
		return err
	})
	if err != nil {
		return store.RecordPage{}, fmt.Errorf("store: list %s: %w", lq.Kind, err)
	}
	return pageOf(recs, limit), nil
}

// listStmt is the statement of a ListRecords page: it asks for one row
// more than the page's limit, to learn whether a next page exists.
func listStmt(lq store.ListQuery) (Stmt, int, error) {
	if lq.Kind == "" {
		return Stmt{}, 0, invalid("list without kind")
	}
	limit := lq.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	// Keep limit+1 from overflowing into a negative LIMIT, which
	// PostgreSQL refuses.
	limit = min(limit, math.MaxInt32)
	query := `SELECT ` + recordCols + ` FROM records WHERE kind = $1 AND seq > $2`
	args := []any{string(lq.Kind), lq.After}
	if lq.PatientID != "" {
		args = append(args, lq.PatientID)
		query += fmt.Sprintf(` AND patient_id = $%d`, len(args))
	}
	if !lq.UpdatedSince.IsZero() {
		args = append(args, micros(lq.UpdatedSince))
		query += fmt.Sprintf(` AND updated_us > $%d`, len(args))
	}
	args = append(args, limit+1)
	query += fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args))
	return Stmt{query, args}, limit, nil
}

// pageOf makes the page of listStmt's rows.
func pageOf(recs []store.StoredRecord, limit int) store.RecordPage {
	page := store.RecordPage{Records: recs}
	if len(recs) > limit {
		page.Records = recs[:limit]
		page.Next = page.Records[limit-1].Seq
	}
	return page
}

// InsertRaw is the load-test baseline, not a clinical write: it stores body
// as version 1 of kind/id (replacing whatever is there) in one durable
// transaction of a single upsert, with no version check, no projection and
// no outbox entry. A bare HTTP handler calling it measures what the
// service's PutRecord path costs on top of "insert the same bytes into the
// same store". Never use it for records the service serves or syncs.
func (s *Store) InsertRaw(ctx context.Context, kind clinic.Kind, id string, body []byte) error {
	if kind == "" || id == "" || len(body) == 0 {
		return invalid("raw insert needs kind, id and body")
	}
	err := s.db.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO records (kind, id, version, patient_id, body, origin, seq, updated_us)
VALUES ($1, $2, 1, '', $3, 'clinic', `+s.d.NextSeq+`, $4)
ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, seq = excluded.seq, updated_us = excluded.updated_us`,
			string(kind), id, body, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: raw insert %s/%s: %w", kind, id, err)
	}
	return nil
}
