package sync

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// DeadLetterView is the JSON form of a dead letter in the sync API.
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

// Routes registers the sync API on g (mount it at /sync/v1 behind the
// service's authentication):
//
//	GET  /status                    Status
//	GET  /dead-letters              DeadLetterList
//	POST /dead-letters/:id/replay   204, or 404 with an error body
func (s *Syncer) Routes(g *gin.RouterGroup) {
	g.GET("/status", s.handleStatus)
	g.GET("/dead-letters", s.handleDeadLetters)
	g.POST("/dead-letters/:id/replay", s.handleReplay)
}

// RecordSyncHandler serves GET /clinic/v1/:kind/:id/sync (the route must
// name its parameters "kind" and "id"; the kind may be the collection's
// plural, "plans", or the kind, "plan").
func (s *Syncer) RecordSyncHandler(c *gin.Context) {
	kind := clinic.Kind(c.Param("kind"))
	if kindRank(kind) == len(clinic.Kinds) {
		kind = clinic.Kind(strings.TrimSuffix(string(kind), "s"))
	}
	if kindRank(kind) == len(clinic.Kinds) {
		apiError(c, http.StatusNotFound, "unknown record kind "+strconv.Quote(string(kind)))
		return
	}
	rs, err := s.RecordSync(c.Request.Context(), kind, c.Param("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(c, http.StatusNotFound, "no such record")
	case err != nil:
		apiError(c, http.StatusInternalServerError, "reading the sync state failed")
	default:
		c.JSON(http.StatusOK, rs)
	}
}

func (s *Syncer) handleStatus(c *gin.Context) {
	st, err := s.Status(c.Request.Context())
	if err != nil {
		apiError(c, http.StatusInternalServerError, "reading the sync status failed")
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Syncer) handleDeadLetters(c *gin.Context) {
	dls, err := s.DeadLetters(c.Request.Context())
	if err != nil {
		apiError(c, http.StatusInternalServerError, "listing dead letters failed")
		return
	}
	out := DeadLetterList{DeadLetters: make([]DeadLetterView, 0, len(dls))}
	for _, d := range dls {
		out.DeadLetters = append(out.DeadLetters, ViewDeadLetter(d))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Syncer) handleReplay(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		apiError(c, http.StatusBadRequest, "dead letter id must be a positive integer")
		return
	}
	err = s.Replay(c.Request.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiError(c, http.StatusNotFound, "no such dead letter")
	case err != nil:
		apiError(c, http.StatusUnprocessableEntity, err.Error())
	default:
		c.Status(http.StatusNoContent)
	}
}

// apiError writes the service's error body shape.
func apiError(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}
