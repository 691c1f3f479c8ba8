package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/store"
	ivsync "github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// SyncStatus is the answer of GET /sync/v1/status.
type SyncStatus struct {
	Pending       int        `json:"pending"`
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	DeadLetters   int        `json:"dead_letters"`
	LastSuccess   *time.Time `json:"last_success,omitempty"`
	// Syncer is the sync worker's own status, when one runs in this
	// process.
	Syncer any `json:"syncer,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// syncStatus handles GET /sync/v1/status: the outbox as the store holds it
// (true for every process sharing the database) and, when a syncer runs
// here, its own view.
func (s *Server) syncStatus(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	st, err := s.cfg.Store.OutboxStats(ctx)
	if err != nil {
		s.internal(c, fmt.Errorf("outbox stats: %w", err))
		return
	}
	out := SyncStatus{Pending: st.Pending, OldestPending: timePtr(st.OldestPending), DeadLetters: st.DeadLetters, LastSuccess: timePtr(st.LastSuccess)}
	if s.cfg.Sync != nil {
		v, err := s.cfg.Sync.Status(ctx)
		if err != nil {
			s.internal(c, fmt.Errorf("syncer status: %w", err))
			return
		}
		out.Syncer = v
	}
	c.JSON(http.StatusOK, out)
}

// deadLetters handles GET /sync/v1/dead-letters.
func (s *Server) deadLetters(c *gin.Context) {
	ds, err := s.cfg.Store.ListDeadLetters(c.Request.Context())
	if err != nil {
		s.internal(c, fmt.Errorf("list dead letters: %w", err))
		return
	}
	out := ivsync.DeadLetterList{DeadLetters: make([]ivsync.DeadLetterView, 0, len(ds))}
	for _, d := range ds {
		out.DeadLetters = append(out.DeadLetters, ivsync.ViewDeadLetter(d))
	}
	c.JSON(http.StatusOK, out)
}

// replayDeadLetter handles POST /sync/v1/dead-letters/{id}/replay: the
// entry goes back to the outbox, due now.
func (s *Server) replayDeadLetter(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(c, http.StatusNotFound, "not-found", "no such dead letter", "")
		return
	}
	if s.cfg.Sync != nil {
		err = s.cfg.Sync.Replay(c.Request.Context(), id)
	} else {
		err = s.cfg.Store.ReplayDeadLetter(c.Request.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, http.StatusNotFound, "not-found", "no such dead letter", "")
		return
	}
	if errors.Is(err, store.ErrInvalid) {
		s.fail(c, http.StatusConflict, "conflict", "this dead letter cannot be replayed: "+err.Error(), "")
		return
	}
	if err != nil {
		s.internal(c, fmt.Errorf("replay dead letter: %w", err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"replayed": id})
}

// syncState handles GET /clinic/v1/{kind}/{id}/sync.
func (s *Server) syncState(kind clinic.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := s.cfg.Store.GetSyncState(c.Request.Context(), kind, c.Param("id"))
		if errors.Is(err, store.ErrNotFound) {
			s.fail(c, http.StatusNotFound, "not-found", "no sync state for this record", "")
			return
		}
		if err != nil {
			s.internal(c, fmt.Errorf("sync state: %w", err))
			return
		}
		out := SyncStateView{Kind: string(st.Kind), ID: st.ID, SyncedVersion: st.SyncedVersion, LastAttempt: timePtr(st.LastAttempt), LastError: st.LastError}
		for _, d := range st.Deliveries {
			out.Deliveries = append(out.Deliveries, DeliveryView{Type: d.Type, ID: d.ID, UpstreamID: d.UpstreamID, UpstreamVersion: d.UpstreamVersion})
		}
		c.JSON(http.StatusOK, out)
	}
}

// SyncStateView is the answer of GET /clinic/v1/{kind}/{id}/sync.
type SyncStateView struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// SyncedVersion is the last clinic version delivered, 0 for none.
	SyncedVersion int            `json:"synced_version"`
	Deliveries    []DeliveryView `json:"deliveries,omitempty"`
	LastAttempt   *time.Time     `json:"last_attempt,omitempty"`
	LastError     string         `json:"last_error,omitempty"`
}

// DeliveryView is one resource of a record as the upstream holds it.
type DeliveryView struct {
	Type            string `json:"type"`
	ID              string `json:"id"`
	UpstreamID      string `json:"upstream_id"`
	UpstreamVersion string `json:"upstream_version,omitempty"`
}
