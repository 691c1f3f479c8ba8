package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
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

func (s *Store) lockRecord(ctx context.Context, q Querier, kind clinic.Kind, id string) error {
	if s.d.LockRecord == "" {
		return nil
	}
	if _, err := q.Exec(ctx, s.d.LockRecord, string(kind)+"/"+id); err != nil {
		return fmt.Errorf("lock record: %w", err)
	}
	return nil
}

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
		result = 0
		if err := s.lockRecord(ctx, q, w.Kind, w.ID); err != nil {
			return err
		}
		now := s.clock()
		var version int
		var body []byte
		err := q.QueryRow(ctx, `SELECT version, body FROM records WHERE kind = $1 AND id = $2`,
			string(w.Kind), w.ID).Scan(&version, &body)
		switch {
		case errors.Is(err, ErrNoRows):
			if _, err := q.Exec(ctx, `INSERT INTO records (kind, id, version, patient_id, body, origin, seq, updated_us)
VALUES ($1, $2, $3, $4, $5, $6, `+s.d.NextSeq+`, $7)`,
				string(w.Kind), w.ID, w.Version, w.PatientID, w.Body, string(w.Origin), now); err != nil {
				return fmt.Errorf("insert record: %w", err)
			}
			result = store.Created
		case err != nil:
			return fmt.Errorf("read record: %w", err)
		case w.Version < version:
			return fmt.Errorf("%w: %s/%s version %d, stored %d", store.ErrStale, w.Kind, w.ID, w.Version, version)
		case w.Version == version:
			if bytes.Equal(body, w.Body) {
				result = store.Unchanged
				return nil
			}
			return fmt.Errorf("%w: %s/%s version %d", store.ErrConflict, w.Kind, w.ID, w.Version)
		default:
			if _, err := q.Exec(ctx, `UPDATE records SET version = $3, patient_id = $4, body = $5, origin = $6,
seq = `+s.d.NextSeq+`, updated_us = $7 WHERE kind = $1 AND id = $2`,
				string(w.Kind), w.ID, w.Version, w.PatientID, w.Body, string(w.Origin), now); err != nil {
				return fmt.Errorf("update record: %w", err)
			}
			result = store.Updated
		}
		if err := s.writeResources(ctx, q, res, now, &source{w.Kind, w.ID}); err != nil {
			return err
		}
		if s.d.SeqLock != "" {
			if err := s.lockSeq(ctx, q); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `UPDATE records SET seq = `+s.d.NextSeq+` WHERE kind = $1 AND id = $2`,
				string(w.Kind), w.ID); err != nil {
				return fmt.Errorf("assign seq: %w", err)
			}
		}
		if w.Enqueue {
			if err := s.enqueue(ctx, q, w.Kind, w.ID, w.Version, w.PatientID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: put %s/%s v%d: %w", w.Kind, w.ID, w.Version, err)
	}
	return result, nil
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
	if _, err := q.Exec(ctx, `INSERT INTO outbox (kind, record_id, version, patient_id, grp, state, attempts,
next_try_us, lease_owner, lease_until_us, last_error, created_us, done_us)
VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, '', 0, '', $6, 0)`,
		string(kind), id, version, patientID, outboxGroup(kind, id, patientID), now); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
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

// DefaultListLimit is the page size of ListRecords when the query sets none.
const DefaultListLimit = 100

// ListRecords returns one page of records of a kind, ordered by Seq.
func (s *Store) ListRecords(ctx context.Context, lq store.ListQuery) (store.RecordPage, error) {
	if lq.Kind == "" {
		return store.RecordPage{}, invalid("list without kind")
	}
	limit := lq.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	// The query asks for limit+1 rows to learn whether a next page exists;
	// keep that from overflowing into a negative LIMIT, which PostgreSQL
	// refuses.
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
	var page store.RecordPage
	err := s.db.Read(ctx, func(q Querier) error {
		var err error
		page = store.RecordPage{}
		page.Records, err = queryAll(ctx, q, scanRecord, query, args...)
		return err
	})
	if err != nil {
		return store.RecordPage{}, fmt.Errorf("store: list %s: %w", lq.Kind, err)
	}
	if len(page.Records) > limit {
		page.Records = page.Records[:limit]
		page.Next = page.Records[limit-1].Seq
	}
	return page, nil
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
