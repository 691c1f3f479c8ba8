package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// syncInputsChunk bounds the ids of one IN list: a whole claim fits in
// one statement per kind, well within both databases' limits on bound
// parameters (SQLite 32766, PostgreSQL 65535).
const syncInputsChunk = 512

// SyncInputs reads what the push needs of many records at once: for each
// record (kinds[i], ids[i]), its current, not deleted resources in the
// order they were written (as ResourcesOf) and its sync state (as
// GetSyncState; a record never tried, or not stored, has the zero state
// with Kind and ID set). Everything is read in one read-only snapshot with
// one statement per kind and table instead of two round trips per record,
// so the two lists agree with each other. A record that is not stored has
// no resources; the caller tells it apart with GetRecord.
func (s *Store) SyncInputs(ctx context.Context, kinds []clinic.Kind, ids []string) ([][]store.Resource, []store.SyncState, error) {
	if len(kinds) != len(ids) {
		return nil, nil, invalid("%d kinds with %d ids", len(kinds), len(ids))
	}
	// The distinct ids of each kind, in first-seen order; a record named
	// twice is read once and its answer shared.
	byKind := map[clinic.Kind][]string{}
	var kindOrder []clinic.Kind
	seen := make(map[source]bool, len(ids))
	for i, k := range kinds {
		if k == "" || ids[i] == "" {
			return nil, nil, invalid("sync inputs of record %q/%q", k, ids[i])
		}
		src := source{k, ids[i]}
		if seen[src] {
			continue
		}
		seen[src] = true
		if _, ok := byKind[k]; !ok {
			kindOrder = append(kindOrder, k)
		}
		byKind[k] = append(byKind[k], ids[i])
	}
	resources := make(map[source][]store.Resource, len(seen))
	states := make(map[source]store.SyncState, len(seen))
	err := s.db.Snapshot(ctx, func(q Querier) error {
		clear(resources)
		clear(states)
		for _, k := range kindOrder {
			all := byKind[k]
			for start := 0; start < len(all); start += syncInputsChunk {
				chunk := all[start:min(start+syncInputsChunk, len(all))]
				if err := readResourcesOf(ctx, q, s.d, k, chunk, resources); err != nil {
					return err
				}
				if err := readSyncStates(ctx, q, s.d, k, chunk, states); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: sync inputs of %d records: %w", len(ids), err)
	}
	outRes := make([][]store.Resource, len(ids))
	outStates := make([]store.SyncState, len(ids))
	for i, k := range kinds {
		src := source{k, ids[i]}
		outRes[i] = resources[src]
		st, ok := states[src]
		if !ok {
			st = store.SyncState{Kind: k, ID: ids[i]}
		}
		outStates[i] = st
	}
	return outRes, outStates, nil
}

// readResourcesOf adds the current, not deleted resources of the records
// (kind, ids[…]) to into, each record's in ResourcesOf's order.
func readResourcesOf(ctx context.Context, q Querier, d Dialect, kind clinic.Kind, ids []string, into map[source][]store.Resource) error {
	a := &args{}
	k := a.add(string(kind))
	rows, err := queryAll(ctx, q, scanResource, `SELECT `+resourceCols+` FROM resources
WHERE source_kind = `+k+` AND source_id IN (`+inList(d, a, ids)+`) AND deleted = 0
ORDER BY source_id, ord, type, id`, a.vals...)
	if err != nil {
		return fmt.Errorf("read resources of %d %s records: %w", len(ids), kind, err)
	}
	for _, r := range rows {
		src := source{kind, r.SourceID}
		into[src] = append(into[src], r)
	}
	return nil
}

// readSyncStates adds the stored sync states of the records (kind,
// ids[…]) to into; records without one are left out.
func readSyncStates(ctx context.Context, q Querier, d Dialect, kind clinic.Kind, ids []string, into map[source]store.SyncState) error {
	a := &args{}
	k := a.add(string(kind))
	rows, err := q.Query(ctx, `SELECT id, synced_version, deliveries, last_attempt_us, last_error FROM sync_state
WHERE kind = `+k+` AND id IN (`+inList(d, a, ids)+`)`, a.vals...)
	if err != nil {
		return fmt.Errorf("read sync states of %d %s records: %w", len(ids), kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		st := store.SyncState{Kind: kind}
		var deliveries string
		var last int64
		if err := rows.Scan(&st.ID, &st.SyncedVersion, &deliveries, &last, &st.LastError); err != nil {
			return fmt.Errorf("read sync state: %w", err)
		}
		if err := json.Unmarshal([]byte(deliveries), &st.Deliveries); err != nil {
			return fmt.Errorf("decode deliveries of %s/%s: %w", kind, st.ID, err)
		}
		if len(st.Deliveries) == 0 {
			st.Deliveries = nil
		}
		st.LastAttempt = fromMicros(last)
		into[source{kind, st.ID}] = st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read sync states: %w", err)
	}
	return nil
}
