package sync

import (
	"encoding/json"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// DeadLetterView is the JSON form of a dead letter in the service's sync
// API (GET /sync/v1/dead-letters, served by adapter/httpapi) and what the
// AdminClient reads back: one type on both sides of the wire.
type DeadLetterView struct {
	ID        int64           `json:"id"`
	Seq       int64           `json:"seq,omitempty"`
	Kind      clinic.Kind     `json:"kind"`
	RecordID  string          `json:"record_id"`
	Version   int             `json:"version"`
	PatientID string          `json:"patient_id,omitempty"`
	Reason    string          `json:"reason"`
	Outcome   json.RawMessage `json:"outcome,omitempty"`
	// Payload is the refused upstream resource of a pulled order.
	Payload   json.RawMessage `json:"payload,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// Source is "push" (an outbox entry) or "pull" (an upstream order).
	Source string `json:"source"`
}

// ViewDeadLetter converts a stored dead letter to its API form.
func ViewDeadLetter(d store.DeadLetter) DeadLetterView {
	v := DeadLetterView{
		ID: d.ID, Seq: d.Seq, Kind: d.Kind, RecordID: d.RecordID, Version: d.Version, PatientID: d.PatientID,
		Reason: d.Reason, CreatedAt: d.CreatedAt.UTC(), Source: "push",
	}
	if json.Valid(d.Outcome) {
		v.Outcome = d.Outcome
	}
	if json.Valid(d.Payload) {
		v.Payload = d.Payload
	}
	if d.Seq == 0 {
		v.Source = "pull"
	}
	return v
}

// DeadLetterList is the body of GET /sync/v1/dead-letters.
type DeadLetterList struct {
	DeadLetters []DeadLetterView `json:"dead_letters"`
}
