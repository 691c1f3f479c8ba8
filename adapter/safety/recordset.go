package safety

import (
	"context"
	"fmt"
	"sort"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// RecordSet is an in-memory Records for checking records without a running
// service (ivbridge check): the records of the files given, held as the
// store would hold them.
type RecordSet struct {
	recs map[clinic.Kind]map[string]store.StoredRecord
	seq  int64
}

// NewRecordSet returns an empty set.
func NewRecordSet() *RecordSet {
	return &RecordSet{recs: map[clinic.Kind]map[string]store.StoredRecord{}}
}

// Add keeps a record, replacing an older version of it.
func (s *RecordSet) Add(rec clinic.Record) error {
	body, err := clinic.Encode(rec)
	if err != nil {
		return fmt.Errorf("safety: encode %s %s: %w", rec.RecordKind(), rec.RecordID(), err)
	}
	byID := s.recs[rec.RecordKind()]
	if byID == nil {
		byID = map[string]store.StoredRecord{}
		s.recs[rec.RecordKind()] = byID
	}
	if old, ok := byID[rec.RecordID()]; ok && old.Version > rec.RecordVersion() {
		return nil
	}
	s.seq++
	byID[rec.RecordID()] = store.StoredRecord{
		Kind: rec.RecordKind(), ID: rec.RecordID(), Version: rec.RecordVersion(),
		PatientID: rec.PatientID(), Body: body, Seq: s.seq,
	}
	return nil
}

// GetRecord implements Records.
func (s *RecordSet) GetRecord(_ context.Context, kind clinic.Kind, id string) (store.StoredRecord, error) {
	if r, ok := s.recs[kind][id]; ok {
		return r, nil
	}
	return store.StoredRecord{}, fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
}

// ListRecords implements Records: one page with every match, in Seq order.
func (s *RecordSet) ListRecords(_ context.Context, q store.ListQuery) (store.RecordPage, error) {
	var out []store.StoredRecord
	for _, r := range s.recs[q.Kind] {
		if (q.PatientID == "" || r.PatientID == q.PatientID) && r.Seq > q.After {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return store.RecordPage{Records: out}, nil
}

// SearchResources implements Records; a record set holds no FHIR resources.
func (s *RecordSet) SearchResources(context.Context, store.ResourceQuery) (store.ResourcePage, error) {
	return store.ResourcePage{}, nil
}
