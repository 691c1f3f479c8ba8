package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

const outboxCols = `seq, kind, record_id, version, patient_id, attempts, next_try_us, created_us`

func scanOutbox(r Row) (store.OutboxItem, error) {
	var it store.OutboxItem
	var kind string
	var next, created int64
	if err := r.Scan(&it.Seq, &kind, &it.ID, &it.Version, &it.PatientID, &it.Attempts, &next, &created); err != nil {
		return store.OutboxItem{}, err
	}
	it.Kind = clinic.Kind(kind)
	it.NextTry = fromMicros(next)
	it.CreatedAt = fromMicros(created)
	return it, nil
}

// ClaimOutbox leases up to limit due entries to owner. Only the oldest
// entry of each lane (a patient, or a record without a patient) that is
// still pending or dead-lettered can be claimed: a lane with a dead letter
// stops until the dead letter is replayed, and a lane never has two
// entries out at once. Expired leases count as free, so a crashed worker's
// entries come back after lease.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	if owner == "" {
		return nil, invalid("claim without owner")
	}
	if limit <= 0 || lease <= 0 {
		return nil, invalid("claim limit %d, lease %s", limit, lease)
	}
	var items []store.OutboxItem
	err := s.db.Write(ctx, func(q Querier) error {
		items = nil
		now := s.clock()
		seqs, err := queryAll(ctx, q, scanInt64, ClaimQuery(s.d), now, limit)
		if err != nil {
			return fmt.Errorf("select due: %w", err)
		}
		if len(seqs) == 0 {
			return nil
		}
		a := &args{}
		until := a.add(now + lease.Microseconds())
		who := a.add(owner)
		items, err = queryAll(ctx, q, scanOutbox, `UPDATE outbox SET lease_owner = `+who+`, lease_until_us = `+until+`,
attempts = attempts + 1 WHERE seq IN (`+inList(s.d, a, seqs)+`) RETURNING `+outboxCols, a.vals...)
		if err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(items, func(a, b store.OutboxItem) int { return cmp.Compare(a.Seq, b.Seq) })
	return items, nil
}

// ClaimQuery is the claim's candidate SELECT in dialect d ($1: now in
// microseconds, $2: the limit): the oldest due pending entry of each
// lane whose older entries are all done.
func ClaimQuery(d Dialect) string {
	query := `SELECT o.seq FROM outbox o ` + d.ClaimIndex + `
WHERE o.state = 'pending' AND o.next_try_us <= $1 AND o.lease_until_us <= $1
AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.grp = o.grp AND p.seq < o.seq AND p.state IN ('pending', 'dead'))
ORDER BY o.seq LIMIT $2`
	if d.ClaimLock != "" {
		query += " " + d.ClaimLock
	}
	return query
}

type outboxEntry struct {
	kind      clinic.Kind
	id        string
	version   int
	patientID string
	state     string
}

// finish moves a pending entry on with set (whose parameters are $2… for
// setArgs; $1 is the seq); it reports the entry and whether it was pending.
func (s *Store) finish(ctx context.Context, q Querier, seq int64, set string, setArgs ...any) (outboxEntry, bool, error) {
	var e outboxEntry
	var kind string
	err := q.QueryRow(ctx, `SELECT kind, record_id, version, patient_id, state FROM outbox WHERE seq = $1`, seq).
		Scan(&kind, &e.id, &e.version, &e.patientID, &e.state)
	if errors.Is(err, ErrNoRows) {
		return outboxEntry{}, false, fmt.Errorf("outbox entry %d: %w", seq, store.ErrNotFound)
	}
	if err != nil {
		return outboxEntry{}, false, fmt.Errorf("read outbox entry %d: %w", seq, err)
	}
	e.kind = clinic.Kind(kind)
	if err := s.lockRecords(ctx, q, []source{{e.kind, e.id}}); err != nil {
		return outboxEntry{}, false, err
	}
	n, err := q.Exec(ctx, `UPDATE outbox SET `+set+` WHERE seq = $1 AND state = 'pending'`, append([]any{seq}, setArgs...)...)
	if err != nil {
		return outboxEntry{}, false, fmt.Errorf("update outbox entry %d: %w", seq, err)
	}
	return e, n == 1, nil
}

// CompleteOutbox marks an entry done and records what the upstream made of
// each resource in the record's sync state. Completing an entry that is
// already done is a no-op (a worker whose lease expired may finish late).
func (s *Store) CompleteOutbox(ctx context.Context, seq int64, ds []store.Delivery) error {
	err := s.db.Write(ctx, func(q Querier) error { return s.complete(ctx, q, seq, ds) })
	if err != nil {
		return fmt.Errorf("store: complete outbox %d: %w", seq, err)
	}
	return nil
}

// CompleteOutboxBatch completes many entries in one transaction (one
// commit, one fsync), each exactly as CompleteOutbox would; deliveries[i]
// belongs to seqs[i]. If any entry cannot be completed (unknown, or dead-
// lettered meanwhile) none is, and the caller can complete them one by one.
func (s *Store) CompleteOutboxBatch(ctx context.Context, seqs []int64, deliveries [][]store.Delivery) error {
	if len(seqs) != len(deliveries) {
		return invalid("%d seqs with %d delivery lists", len(seqs), len(deliveries))
	}
	// A few multi-row statements for the whole batch (completeBatch).
	err := s.db.Write(ctx, func(q Querier) error { return s.completeBatch(ctx, q, seqs, deliveries) })
	if err != nil {
		return fmt.Errorf("store: complete outbox batch of %d: %w", len(seqs), err)
	}
	return nil
}

func (s *Store) complete(ctx context.Context, q Querier, seq int64, ds []store.Delivery) error {
	now := s.clock()
	e, ok, err := s.finish(ctx, q, seq, `state = 'done', done_us = $2, lease_owner = '', lease_until_us = 0, last_error = ''`, now)
	if err != nil {
		return err
	}
	if !ok {
		if e.state == string(store.Done) {
			return nil
		}
		return fmt.Errorf("outbox entry %d is %s: %w", seq, e.state, store.ErrNotFound)
	}
	st, err := readSyncState(ctx, q, e.kind, e.id)
	if err != nil {
		return err
	}
	merged := mergeDeliveries(st.Deliveries, ds)
	b, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("encode deliveries: %w", err)
	}
	synced := max(st.SyncedVersion, e.version)
	if _, err := q.Exec(ctx, `INSERT INTO sync_state (kind, id, synced_version, deliveries, last_attempt_us, last_error)
VALUES ($1, $2, $3, $4, $5, '')
ON CONFLICT (kind, id) DO UPDATE SET synced_version = excluded.synced_version, deliveries = excluded.deliveries,
last_attempt_us = excluded.last_attempt_us, last_error = ''`,
		string(e.kind), e.id, synced, string(b), now); err != nil {
		return fmt.Errorf("write sync state: %w", err)
	}
	return nil
}

// mergeDeliveries keeps one delivery per local resource, the newest.
func mergeDeliveries(old, upd []store.Delivery) []store.Delivery {
	out := make([]store.Delivery, 0, len(old)+len(upd))
	idx := map[[2]string]int{}
	for _, d := range slices.Concat(old, upd) {
		k := [2]string{d.Type, d.ID}
		if i, ok := idx[k]; ok {
			out[i] = d
			continue
		}
		idx[k] = len(out)
		out = append(out, d)
	}
	return out
}

func (s *Store) noteAttempt(ctx context.Context, q Querier, e outboxEntry, lastErr string) error {
	if _, err := q.Exec(ctx, `INSERT INTO sync_state (kind, id, synced_version, deliveries, last_attempt_us, last_error)
VALUES ($1, $2, 0, '[]', $3, $4)
ON CONFLICT (kind, id) DO UPDATE SET last_attempt_us = excluded.last_attempt_us, last_error = excluded.last_error`,
		string(e.kind), e.id, s.clock(), lastErr); err != nil {
		return fmt.Errorf("write sync state: %w", err)
	}
	return nil
}

// RetryOutbox releases a pending entry to be tried again at next.
func (s *Store) RetryOutbox(ctx context.Context, seq int64, next time.Time, lastErr string) error {
	err := s.db.Write(ctx, func(q Querier) error {
		e, ok, err := s.finish(ctx, q, seq, `next_try_us = $2, lease_owner = '', lease_until_us = 0, last_error = $3`,
			micros(next), lastErr)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("outbox entry %d is %s: %w", seq, e.state, store.ErrNotFound)
		}
		return s.noteAttempt(ctx, q, e, lastErr)
	})
	if err != nil {
		return fmt.Errorf("store: retry outbox %d: %w", seq, err)
	}
	return nil
}

// DeadLetterOutbox moves a pending entry to the dead letters; its lane
// stops until the dead letter is replayed.
func (s *Store) DeadLetterOutbox(ctx context.Context, seq int64, reason string, outcome []byte) error {
	err := s.db.Write(ctx, func(q Querier) error {
		e, ok, err := s.finish(ctx, q, seq, `state = 'dead', lease_owner = '', lease_until_us = 0, last_error = $2`, reason)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("outbox entry %d is %s: %w", seq, e.state, store.ErrNotFound)
		}
		if _, err := q.Exec(ctx, `INSERT INTO dead_letters (seq, kind, record_id, version, patient_id, reason, outcome, payload, created_us)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			seq, string(e.kind), e.id, e.version, e.patientID, reason, nonNil(outcome), []byte{}, s.clock()); err != nil {
			return fmt.Errorf("write dead letter: %w", err)
		}
		return s.noteAttempt(ctx, q, e, reason)
	})
	if err != nil {
		return fmt.Errorf("store: dead-letter outbox %d: %w", seq, err)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// AddDeadLetter records a pulled order that could not be taken in. It does
// not stop any outbox lane (Seq must be 0).
func (s *Store) AddDeadLetter(ctx context.Context, d store.DeadLetter) (int64, error) {
	if d.Seq != 0 {
		return 0, invalid("AddDeadLetter with outbox seq %d: use DeadLetterOutbox", d.Seq)
	}
	var id int64
	err := s.db.Write(ctx, func(q Querier) error {
		created := d.CreatedAt
		if created.IsZero() {
			created = s.now()
		}
		return q.QueryRow(ctx, `INSERT INTO dead_letters (seq, kind, record_id, version, patient_id, reason, outcome, payload, created_us)
VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			string(d.Kind), d.RecordID, d.Version, d.PatientID, d.Reason, nonNil(d.Outcome), nonNil(d.Payload), micros(created)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: add dead letter: %w", err)
	}
	return id, nil
}

// ListDeadLetters returns every dead letter, oldest first.
func (s *Store) ListDeadLetters(ctx context.Context) ([]store.DeadLetter, error) {
	var out []store.DeadLetter
	err := s.db.Read(ctx, func(q Querier) error {
		var err error
		out, err = queryAll(ctx, q, scanDeadLetter, `SELECT id, seq, kind, record_id, version, patient_id, reason,
outcome, payload, created_us FROM dead_letters ORDER BY id`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list dead letters: %w", err)
	}
	return out, nil
}

func scanInt64(r Row) (int64, error) {
	var n int64
	err := r.Scan(&n)
	return n, err
}

func scanDeadLetter(r Row) (store.DeadLetter, error) {
	var d store.DeadLetter
	var kind string
	var created int64
	if err := r.Scan(&d.ID, &d.Seq, &kind, &d.RecordID, &d.Version, &d.PatientID, &d.Reason,
		&d.Outcome, &d.Payload, &created); err != nil {
		return store.DeadLetter{}, err
	}
	d.Kind = clinic.Kind(kind)
	d.CreatedAt = fromMicros(created)
	if len(d.Outcome) == 0 {
		d.Outcome = nil
	}
	if len(d.Payload) == 0 {
		d.Payload = nil
	}
	return d, nil
}

// ReplayDeadLetter puts a dead-lettered outbox entry back to pending, due
// now and with its attempts reset, and removes the dead letter; its lane
// moves again. For a pulled order (Seq 0) it only removes the dead letter:
// the caller has taken the payload in again.
func (s *Store) ReplayDeadLetter(ctx context.Context, id int64) error {
	err := s.db.Write(ctx, func(q Querier) error {
		var seq int64
		err := q.QueryRow(ctx, `SELECT seq FROM dead_letters WHERE id = $1`, id).Scan(&seq)
		if errors.Is(err, ErrNoRows) {
			return fmt.Errorf("dead letter %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read dead letter %d: %w", id, err)
		}
		if seq != 0 {
			if _, err := q.Exec(ctx, `UPDATE outbox SET state = 'pending', next_try_us = $2, lease_owner = '',
lease_until_us = 0, attempts = 0 WHERE seq = $1 AND state = 'dead'`, seq, s.clock()); err != nil {
				return fmt.Errorf("requeue outbox entry %d: %w", seq, err)
			}
		}
		if _, err := q.Exec(ctx, `DELETE FROM dead_letters WHERE id = $1`, id); err != nil {
			return fmt.Errorf("remove dead letter %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replay dead letter %d: %w", id, err)
	}
	return nil
}

// OutboxStats summarises the outbox for status and metrics.
func (s *Store) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	var st store.OutboxStats
	err := s.db.Snapshot(ctx, func(q Querier) error {
		var oldest, last int64
		if err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_us), 0) FROM outbox WHERE state = 'pending'`).
			Scan(&st.Pending, &oldest); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM dead_letters`).Scan(&st.DeadLetters); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(done_us), 0) FROM outbox WHERE state = 'done'`).Scan(&last); err != nil {
			return err
		}
		st.OldestPending = fromMicros(oldest)
		st.LastSuccess = fromMicros(last)
		return nil
	})
	if err != nil {
		return store.OutboxStats{}, fmt.Errorf("store: outbox stats: %w", err)
	}
	return st, nil
}

func readSyncState(ctx context.Context, q Querier, kind clinic.Kind, id string) (store.SyncState, error) {
	st := store.SyncState{Kind: kind, ID: id}
	var deliveries string
	var last int64
	err := q.QueryRow(ctx, `SELECT synced_version, deliveries, last_attempt_us, last_error FROM sync_state
WHERE kind = $1 AND id = $2`, string(kind), id).Scan(&st.SyncedVersion, &deliveries, &last, &st.LastError)
	if errors.Is(err, ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return store.SyncState{}, fmt.Errorf("read sync state: %w", err)
	}
	if err := json.Unmarshal([]byte(deliveries), &st.Deliveries); err != nil {
		return store.SyncState{}, fmt.Errorf("decode deliveries: %w", err)
	}
	if len(st.Deliveries) == 0 {
		st.Deliveries = nil
	}
	st.LastAttempt = fromMicros(last)
	return st, nil
}

// GetSyncState returns the sync status of a record; a record never tried
// has a zero state. ErrNotFound when the record does not exist.
func (s *Store) GetSyncState(ctx context.Context, kind clinic.Kind, id string) (store.SyncState, error) {
	var st store.SyncState
	err := s.db.Snapshot(ctx, func(q Querier) error {
		var one int
		if err := q.QueryRow(ctx, `SELECT 1 FROM records WHERE kind = $1 AND id = $2`, string(kind), id).Scan(&one); err != nil {
			return err
		}
		var err error
		st, err = readSyncState(ctx, q, kind, id)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return store.SyncState{}, fmt.Errorf("store: sync state %s/%s: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return store.SyncState{}, fmt.Errorf("store: sync state %s/%s: %w", kind, id, err)
	}
	return st, nil
}

// Watermark returns a named sync cursor, "" when unset.
func (s *Store) Watermark(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.Read(ctx, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT value FROM watermarks WHERE name = $1`, name).Scan(&v)
	})
	if errors.Is(err, ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: watermark %q: %w", name, err)
	}
	return v, nil
}

// SetWatermark stores a named sync cursor.
func (s *Store) SetWatermark(ctx context.Context, name, value string) error {
	err := s.db.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO watermarks (name, value) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set watermark %q: %w", name, err)
	}
	return nil
}

// PruneOutbox deletes outbox entries that were completed before before,
// keeping the latest completed one (OutboxStats.LastSuccess reads it).
// Pending and dead entries are never pruned; sync state and resource
// versions are not touched. It reports how many entries went.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM outbox WHERE state = 'done' AND done_us < $1
AND done_us < (SELECT MAX(done_us) FROM outbox WHERE state = 'done')`, micros(before))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox: %w", err)
	}
	return n, nil
}
