// Package store keeps what ivbridge has accepted: clinic records, their FHIR
// projection (what the facade serves and the sync pushes), the sync outbox,
// dead letters and sync state. Two implementations share one contract and one
// test suite: SQLite (embedded, the default) and PostgreSQL (scale-out).
//
// Every write that answers 2xx is committed in one transaction before the
// call returns: the record, its FHIR resources and its outbox entry together,
// or none of them.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Errors callers branch on. Implementations wrap them with %w.
var (
	// ErrNotFound: no such record, resource, version or dead letter.
	ErrNotFound = errors.New("store: not found")
	// ErrStale: the write's version is lower than the stored one.
	ErrStale = errors.New("store: stale version")
	// ErrConflict: the same version is stored with other content.
	ErrConflict = errors.New("store: same version with other content")
	// ErrInvalid: a write or query the store cannot take as given (empty
	// key, version below 1, unparsable date filter, unknown comparator).
	// Callers that validate their input first never see it; the facade
	// may map it to 400.
	ErrInvalid = errors.New("store: invalid argument")
)

// StaleError is the ErrStale of a record write: the version it wrote
// and the newer one held.
type StaleError struct {
	Kind          clinic.Kind
	ID            string
	Version, Held int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%v: %s/%s version %d, stored %d", ErrStale, e.Kind, e.ID, e.Version, e.Held)
}

// Is makes errors.Is(err, ErrStale) hold.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// PutResult says what a PutRecord did.
type PutResult int

// The outcomes of a successful PutRecord.
const (
	Created   PutResult = iota + 1 // first version of the record
	Updated                        // a newer version replaced the stored one
	Unchanged                      // exact replay of the stored version: nothing written
)

// Origin says where a record came from.
type Origin string

// Record origins.
const (
	OriginClinic   Origin = "clinic"   // PUT by the clinic: queued for push
	OriginUpstream Origin = "upstream" // pulled from the upstream: never pushed back
)

// Write is one accepted clinic record version with its FHIR projection.
type Write struct {
	Kind      clinic.Kind
	ID        string
	Version   int
	PatientID string // "" for practitioners
	// Body is the record's canonical JSON (re-encoded from the decoded
	// record, so a replay with other whitespace is still an exact replay).
	Body   []byte
	Origin Origin
	// Resources replace the record's previous FHIR projection as a whole;
	// a resource left out of a newer version is deleted from the facade.
	Resources []Resource
	// Enqueue adds an outbox entry for this version (clinic origin).
	Enqueue bool
	// Check, when set, decides a new or newer version inside its write,
	// after the record is locked and before anything is written: it
	// gets what Reads read there and returns resources to add to the
	// projection, or an error that refuses the write (nothing of it is
	// stored; PutRecord returns the error wrapped). It is not called for
	// a stale, conflicting or unchanged write, and is called again when
	// the write is retried. The reads go with the write's first round
	// trip, so checks that read (references, safety) cost the write no
	// round trip of their own.
	Check func(got ReadResults) ([]Resource, error)
	// Reads are what Check gets, read as ReadMany reads them.
	Reads Reads
}

// StoredRecord is a record as held.
type StoredRecord struct {
	Kind      clinic.Kind
	ID        string
	Version   int
	PatientID string
	Body      []byte
	Origin    Origin
	Seq       int64     // store-wide change sequence; grows with every write
	UpdatedAt time.Time // when this version was stored
}

// RecordKey names one clinic record.
type RecordKey struct {
	Kind clinic.Kind
	ID   string
}

// Reads are the reads of one ReadMany.
type Reads struct {
	Records  []RecordKey
	Lists    []ListQuery
	Searches []ResourceQuery
}

// ReadResults answer Reads: the held records among Records (a record not
// held is left out), and a page for each list and search, in order.
type ReadResults struct {
	Records  []StoredRecord
	Lists    []RecordPage
	Searches []ResourcePage
}

// ListQuery selects clinic records for GET /clinic/v1/{kind}.
type ListQuery struct {
	Kind         clinic.Kind
	PatientID    string    // "" for any
	UpdatedSince time.Time // zero for any; compared with UpdatedAt (>)
	After        int64     // cursor: only Seq > After
	Limit        int       // page size; <= 0 means 100
}

// RecordPage is one page of records, ordered by Seq.
type RecordPage struct {
	Records []StoredRecord
	// Next is the cursor for the following page, 0 when there is none.
	Next int64
}

// Resource is one FHIR resource of a record's projection, with the keys the
// facade searches on.
type Resource struct {
	Type string // FHIR resource type, e.g. "MedicationAdministration"
	ID   string // FHIR logical id
	// VersionID is the facade's version of this resource: 1 on first
	// write, +1 on every change (assigned by the store, ignored on input).
	VersionID   int
	LastUpdated time.Time // assigned by the store, ignored on input
	PatientID   string    // FHIR id of the patient it is about ("" for none)
	Status      string
	// Date is the type's date search value (authoredOn, effective start,
	// date, recordedDate …), RFC 3339 or a date; "" for none.
	Date        string
	Identifiers []string // "system|value" of every identifier
	// Refs are the "Type/id" references _include follows, by search
	// parameter name, e.g. {"request": "MedicationRequest/…"}.
	Refs map[string]string
	// Body is the resource JSON without meta.versionId/lastUpdated; the
	// facade adds those when it serves it.
	Body []byte
	// Deleted marks a version that removed the resource (vread → 410).
	Deleted bool
	// SourceKind and SourceID name the clinic record it was projected from.
	SourceKind clinic.Kind
	SourceID   string
}

// Comparator is a FHIR search prefix for dates.
type Comparator string

// The date comparators the facade supports.
const (
	EQ Comparator = "eq"
	NE Comparator = "ne"
	LT Comparator = "lt"
	GT Comparator = "gt"
	LE Comparator = "le"
	GE Comparator = "ge"
	SA Comparator = "sa"
	EB Comparator = "eb"
)

// DateFilter is one date condition; Value is a FHIR date or dateTime.
type DateFilter struct {
	Comparator Comparator
	Value      string
}

// ResourceQuery is a facade search. Empty fields do not filter.
type ResourceQuery struct {
	Type        string
	IDs         []string
	Identifier  string // "system|value", "|value" or "system|"
	PatientID   string
	Status      []string
	Date        []DateFilter
	LastUpdated []DateFilter
	// Matches are ordered by (LastUpdated, Type, ID). A page starts
	// after After, when set (keyset paging: a page does not shift when
	// resources before it change), else after Offset matches; not both.
	After  *ResourceCursor
	Offset int
	Count  int // page size; <= 0 means every match after After or Offset
}

// ResourceCursor is a place in the search order: the last resource of a
// page, which the next page starts after.
type ResourceCursor struct {
	LastUpdated time.Time
	Type, ID    string
}

// ResourcePage is one page of search results and the total match count.
type ResourcePage struct {
	Resources []Resource
	Total     int
}

// OutboxState is the state of one outbox entry.
type OutboxState string

// Outbox states.
const (
	Pending OutboxState = "pending"
	Done    OutboxState = "done"
	Dead    OutboxState = "dead"
)

// OutboxItem is one record version waiting to reach the upstream.
type OutboxItem struct {
	Seq       int64
	Kind      clinic.Kind
	ID        string
	Version   int
	PatientID string
	Attempts  int
	NextTry   time.Time
	CreatedAt time.Time
}

// Delivery is what the upstream answered for one resource of a record.
type Delivery struct {
	Type            string
	ID              string // local FHIR id
	UpstreamID      string
	UpstreamVersion string
}

// DeadLetter is an outbox entry or a pulled order the upstream or the
// translation refused for good.
type DeadLetter struct {
	ID        int64
	Seq       int64 // the outbox entry, 0 for a pulled order
	Kind      clinic.Kind
	RecordID  string
	Version   int
	PatientID string
	Reason    string
	Outcome   []byte // the upstream's OperationOutcome, if any
	Payload   []byte // for pulled orders: the upstream resource
	CreatedAt time.Time
}

// SyncState is the sync status of one clinic record.
type SyncState struct {
	Kind          clinic.Kind
	ID            string
	SyncedVersion int // last clinic version delivered, 0 for none
	Deliveries    []Delivery
	LastAttempt   time.Time
	LastError     string
}

// OutboxStats feeds /sync/v1/status and /metrics.
type OutboxStats struct {
	Pending       int
	OldestPending time.Time // zero when nothing is pending
	DeadLetters   int
	LastSuccess   time.Time
}

// Store is the contract both implementations satisfy.
type Store interface {
	// PutRecord stores one record version, its FHIR projection and, when
	// w.Enqueue, its outbox entry in one transaction. It returns ErrStale
	// for an older version and ErrConflict for the same version with
	// other content; concurrent writers of one record serialise.
	PutRecord(ctx context.Context, w Write) (PutResult, error)
	GetRecord(ctx context.Context, kind clinic.Kind, id string) (StoredRecord, error)
	// ReadMany answers several reads together: in one round trip where
	// the store can. Each answer is what the read alone would give
	// (GetRecord, ListRecords, SearchResources), though not all from one
	// snapshot.
	ReadMany(ctx context.Context, r Reads) (ReadResults, error)
	ListRecords(ctx context.Context, q ListQuery) (RecordPage, error)

	// GetResource returns the current version (Deleted set if removed).
	GetResource(ctx context.Context, typ, id string) (Resource, error)
	GetResourceVersion(ctx context.Context, typ, id string, version int) (Resource, error)
	SearchResources(ctx context.Context, q ResourceQuery) (ResourcePage, error)
	// ResourcesOf returns the current (not deleted) FHIR resources projected
	// from one clinic record, in the order they were written.
	ResourcesOf(ctx context.Context, kind clinic.Kind, id string) ([]Resource, error)
	// PutResources adds or replaces resources outside a record write (the
	// DetectedIssues of a re-check) in one transaction. Each resource names
	// its SourceKind/SourceID record; when enqueue is set, that record's
	// current version is queued again for sync so the new resources reach
	// the upstream.
	PutResources(ctx context.Context, rs []Resource, enqueue bool) error

	// ClaimOutbox leases up to limit due entries to owner for lease. It
	// never returns two entries of one patient (or of one practitioner
	// record) at once, only the oldest pending entry of each, and skips
	// patients that have a dead letter older than their pending entries.
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxItem, error)
	// CompleteOutbox marks an entry done and records the deliveries.
	CompleteOutbox(ctx context.Context, seq int64, ds []Delivery) error
	// RetryOutbox releases an entry to be tried again at next.
	RetryOutbox(ctx context.Context, seq int64, next time.Time, lastErr string) error
	// DeadLetterOutbox moves an entry to the dead letters.
	DeadLetterOutbox(ctx context.Context, seq int64, reason string, outcome []byte) error
	// AddDeadLetter records a refused pulled order.
	AddDeadLetter(ctx context.Context, d DeadLetter) (int64, error)
	ListDeadLetters(ctx context.Context) ([]DeadLetter, error)
	// ReplayDeadLetter puts a dead-lettered outbox entry back to pending
	// (due now) and removes the dead letter.
	ReplayDeadLetter(ctx context.Context, id int64) error
	OutboxStats(ctx context.Context) (OutboxStats, error)
	GetSyncState(ctx context.Context, kind clinic.Kind, id string) (SyncState, error)

	// Watermark and SetWatermark keep named sync cursors (the pull's
	// _lastUpdated).
	Watermark(ctx context.Context, name string) (string, error)
	SetWatermark(ctx context.Context, name, value string) error

	Ping(ctx context.Context) error
	Close() error
}

// GroupWriter is implemented by stores that can commit several record
// writes in one transaction (group commit: one commit, one fsync, for
// writes that arrive together). Each write gets the result or error that
// PutRecord would have given it had the writes run one after another in
// the given order: a stale, conflicting or invalid write fails alone and
// leaves nothing behind, and every stored write is committed, with its
// projection and outbox entry, before PutRecords returns.
type GroupWriter interface {
	PutRecords(ctx context.Context, ws []Write) ([]PutResult, []error)
	// GroupConcurrency is how many groups are worth committing at
	// once: 1 for a store with a single writer (SQLite); for a server
	// database, two (one committing under the sequence lock while the
	// next prepares), or fewer when its pool is smaller.
	GroupConcurrency() int
	// ReadsInWrite reports whether a write's reads (Write.Reads) are
	// worth making inside it: true where every read costs a round trip
	// to a server (PostgreSQL), false where reads are in process
	// (SQLite), and a write's checks then run better outside it, in
	// parallel, than inside the single writer's transaction.
	ReadsInWrite() bool
}
