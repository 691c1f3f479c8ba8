package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// completeChunk bounds the entries of one IN list of a batch completion.
const completeChunk = 512

// upsertChunk bounds the records of one sync state upsert: five bound
// values each, and the SQLite driver looks each parameter up by name in a
// list as long as the statement's, so very long statements cost more per
// value than a few shorter ones.
const upsertChunk = 64

// completeBatch completes the entries seqs (deliveries[i] belongs to
// seqs[i]) inside q, with the outcome of complete called on each in seq
// order, but in a handful of statements per batch instead of five per
// entry: read the entries, mark the pending ones done, read their records'
// sync states, write the merged states. An entry already done is a no-op;
// an unknown or dead-lettered one fails the whole batch (ErrNotFound).
func (s *Store) completeBatch(ctx context.Context, q Querier, seqs []int64, deliveries [][]store.Delivery) error {
	now := s.clock()
	// Seq order, as complete would run them; a seq named twice counts
	// once (its second completion would find it done).
	order := make([]int, 0, len(seqs))
	seen := make(map[int64]bool, len(seqs))
	for i, seq := range seqs {
		if !seen[seq] {
			seen[seq] = true
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(seqs[a], seqs[b]) })
	sorted := make([]int64, len(order))
	for i, o := range order {
		sorted[i] = seqs[o]
	}

	entries := make(map[int64]outboxEntry, len(sorted))
	for start := 0; start < len(sorted); start += completeChunk {
		chunk := sorted[start:min(start+completeChunk, len(sorted))]
		a := &args{}
		rows, err := q.Query(ctx, `SELECT seq, kind, record_id, version, patient_id, state FROM outbox
WHERE seq IN (`+inList(s.d, a, chunk)+`)`, a.vals...)
		if err != nil {
			return fmt.Errorf("read outbox entries: %w", err)
		}
		for rows.Next() {
			var seq int64
			var e outboxEntry
			var kind string
			if err := rows.Scan(&seq, &kind, &e.id, &e.version, &e.patientID, &e.state); err != nil {
				rows.Close()
				return fmt.Errorf("read outbox entry: %w", err)
			}
			e.kind = clinic.Kind(kind)
			entries[seq] = e
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read outbox entries: %w", err)
		}
	}
	var pending []int64
	for _, seq := range sorted {
		e, ok := entries[seq]
		switch {
		case !ok:
			return fmt.Errorf("outbox entry %d: %w", seq, store.ErrNotFound)
		case e.state == string(store.Pending):
			pending = append(pending, seq)
		case e.state != string(store.Done):
			return fmt.Errorf("outbox entry %d is %s: %w", seq, e.state, store.ErrNotFound)
		}
	}
	if len(pending) == 0 {
		return nil
	}

	// The records whose sync state changes, locked (where the dialect
	// locks) in a fixed order so concurrent batches never wait in a cycle.
	var recs []source
	recSeen := map[source]bool{}
	for _, seq := range pending {
		e := entries[seq]
		src := source{e.kind, e.id}
		if !recSeen[src] {
			recSeen[src] = true
			recs = append(recs, src)
		}
	}
	slices.SortFunc(recs, func(a, b source) int {
		return cmp.Or(strings.Compare(string(a.kind), string(b.kind)), strings.Compare(a.id, b.id))
	})
	if s.d.LockRecord != "" {
		locks := make([]Stmt, len(recs))
		for i, r := range recs {
			locks[i] = Stmt{s.d.LockRecord, []any{string(r.kind) + "/" + r.id}}
		}
		if err := execAll(ctx, q, locks); err != nil {
			return fmt.Errorf("lock records: %w", err)
		}
	}

	for start := 0; start < len(pending); start += completeChunk {
		chunk := pending[start:min(start+completeChunk, len(pending))]
		a := &args{}
		done := a.add(now)
		updated, err := queryAll(ctx, q, scanInt64, `UPDATE outbox SET state = 'done', done_us = `+done+`,
lease_owner = '', lease_until_us = 0, last_error = '' WHERE seq IN (`+inList(s.d, a, chunk)+`) AND state = 'pending'
RETURNING seq`, a.vals...)
		if err != nil {
			return fmt.Errorf("update outbox entries: %w", err)
		}
		if len(updated) != len(chunk) {
			// Another instance moved one on since it was read.
			return fmt.Errorf("%d of %d outbox entries no longer pending: %w", len(chunk)-len(updated), len(chunk), store.ErrNotFound)
		}
	}

	states := make(map[source]store.SyncState, len(recs))
	byKind := map[clinic.Kind][]string{}
	var kinds []clinic.Kind
	for _, r := range recs {
		if _, ok := byKind[r.kind]; !ok {
			kinds = append(kinds, r.kind)
		}
		byKind[r.kind] = append(byKind[r.kind], r.id)
	}
	for _, k := range kinds {
		ids := byKind[k]
		for start := 0; start < len(ids); start += completeChunk {
			if err := readSyncStates(ctx, q, s.d, k, ids[start:min(start+completeChunk, len(ids))], states); err != nil {
				return err
			}
		}
	}
	byIndex := make(map[int64]int, len(order))
	for _, i := range order {
		byIndex[seqs[i]] = i
	}
	for _, seq := range pending {
		e := entries[seq]
		src := source{e.kind, e.id}
		st := states[src]
		st.Deliveries = mergeDeliveries(st.Deliveries, deliveries[byIndex[seq]])
		st.SyncedVersion = max(st.SyncedVersion, e.version)
		states[src] = st
	}

	// Upserts of power-of-two sizes, so a few statement shapes serve
	// every batch size and stay prepared.
	for start := 0; start < len(recs); {
		n := pow2Floor(min(len(recs)-start, upsertChunk))
		chunk := recs[start : start+n]
		start += n
		a := &args{}
		at := a.add(now)
		vals := make([]string, len(chunk))
		for i, r := range chunk {
			st := states[r]
			b, err := json.Marshal(st.Deliveries)
			if err != nil {
				return fmt.Errorf("encode deliveries: %w", err)
			}
			vals[i] = "(" + a.add(string(r.kind)) + ", " + a.add(r.id) + ", " + a.add(st.SyncedVersion) + ", " +
				a.add(string(b)) + ", " + at + ", '')"
		}
		if _, err := q.Exec(ctx, `INSERT INTO sync_state (kind, id, synced_version, deliveries, last_attempt_us, last_error)
VALUES `+strings.Join(vals, ", ")+`
ON CONFLICT (kind, id) DO UPDATE SET synced_version = excluded.synced_version, deliveries = excluded.deliveries,
last_attempt_us = excluded.last_attempt_us, last_error = ''`, a.vals...); err != nil {
			return fmt.Errorf("write sync states: %w", err)
		}
	}
	return nil
}

// padded returns vals lengthened to the next power of two by repeating
// its last value, for an IN list: the list means the same, and a few
// statement shapes serve every length, so they stay prepared instead of
// being parsed anew for each batch.
func padded[T any](vals []T) []T {
	if len(vals) == 0 {
		return vals
	}
	n := 1
	for n < len(vals) {
		n *= 2
	}
	out := make([]T, n)
	copy(out, vals)
	for i := len(vals); i < n; i++ {
		out[i] = vals[len(vals)-1]
	}
	return out
}

// pow2Floor is the largest power of two not above n (n >= 1).
func pow2Floor(n int) int {
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}
