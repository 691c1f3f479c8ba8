package sync

import (
	"context"
	stdsync "sync"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// The push's store work — claiming outbox entries and completing them —
// runs on one dispatcher goroutine, and the workers only write to the
// upstream. Every claim and completion is a write transaction, and a
// store's writes queue behind each other (SQLite has one writer): with
// every worker claiming and completing its own batches, the workers spent
// a good part of their time waiting for each other's transactions, and
// the upstream sat idle meanwhile. The dispatcher claims several batches
// in one transaction and completes the batches that finished meanwhile,
// from all workers, in one transaction; a worker hands its finished batch
// over and takes the next one without waiting for either.

// claimed is one batch of claimed entries on its way to a worker.
type claimed struct {
	items []store.OutboxItem
	// deadline is when writes of the batch stop: the claim's lease end
	// minus the margin, counted from when the claim was taken.
	deadline time.Time
}

// prefetch is how many batches the dispatcher keeps claimed ahead of the
// workers: enough that a worker finishing its batch finds the next one
// waiting, few enough that a claimed batch does not wait long (its lease
// runs from the claim).
func (s *Syncer) prefetch() int {
	return min(max(s.cfg.Workers/2, 1), 8)
}

// runPush runs the dispatcher and the workers until ctx ends; it returns
// once every batch a worker took is settled and every batch claimed but
// not taken is released.
func (s *Syncer) runPush(ctx context.Context) {
	work := make(chan claimed, s.prefetch())
	finished := make(chan []*job, s.cfg.Workers)
	taken := make(chan struct{}, 1)
	var wg stdsync.WaitGroup
	for range s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.worker(ctx, work, taken, finished)
		}()
	}
	go func() {
		wg.Wait()
		close(finished)
	}()
	s.dispatch(ctx, work, taken, finished)
}

// worker pushes the batches it takes from work and hands their jobs to the
// dispatcher to settle.
func (s *Syncer) worker(ctx context.Context, work <-chan claimed, taken chan<- struct{}, finished chan<- []*job) {
	for {
		var c claimed
		select {
		case <-ctx.Done():
			return
		case c = <-work:
		}
		if ctx.Err() != nil {
			s.releaseAll(c.items, "shutting down")
			return
		}
		select {
		case taken <- struct{}{}:
		default: // the dispatcher has been told already
		}
		if jobs := s.push(ctx, c.items, c.deadline); jobs != nil {
			finished <- jobs
		}
	}
}

// dispatch claims batches for the workers and settles the batches they
// finish, until ctx ends and the workers have stopped.
func (s *Syncer) dispatch(ctx context.Context, work chan claimed, taken <-chan struct{}, finished <-chan []*job) {
	owner := s.cfg.Owner
	idle := time.NewTimer(0)
	defer idle.Stop()
	// short: the last claim found fewer entries than it asked for, so the
	// next one waits for something that can change that (a completion
	// frees a patient's next entry, Notify, the idle timer) rather than a
	// worker taking a batch.
	short := false
	var done []*job
	for {
		if len(done) > 0 {
			// Settle with a context of its own: a shutdown should still
			// complete what was written and release what was not.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			s.settleAll(sctx, done)
			cancel()
			done = nil
		}
		if ctx.Err() == nil && !short && len(work) <= cap(work)/2 {
			short = s.claimInto(ctx, owner, work)
			if short {
				resetTimer(idle, s.cfg.Idle)
			}
		}
		stopping := ctx.Done()
		if ctx.Err() != nil {
			stopping = nil
		}
		select {
		case jobs, ok := <-finished:
			if !ok {
				// Every worker has stopped: release what none took.
				for {
					select {
					case c := <-work:
						s.releaseAll(c.items, "shutting down")
					default:
						return
					}
				}
			}
			done = append(done, jobs...)
			// Gather what else finished meanwhile into the same
			// completion transaction.
			for more := true; more; {
				select {
				case jobs, ok := <-finished:
					if !ok {
						more = false
						break
					}
					done = append(done, jobs...)
				default:
					more = false
				}
			}
			short = false
		case <-taken:
		case <-s.wake:
			short = false
		case <-idle.C:
			short = false
		case <-stopping:
		}
	}
}

// claimInto claims up to as many batches as work has room for and queues
// them; it reports whether the claim found fewer entries than it asked
// for (or failed).
func (s *Syncer) claimInto(ctx context.Context, owner string, work chan claimed) (short bool) {
	room := cap(work) - len(work)
	if room <= 0 {
		return false
	}
	limit := room * s.cfg.ClaimLimit
	items, err := s.st.ClaimOutbox(ctx, owner, limit, s.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claiming outbox entries", "error", err.Error())
		}
		return true
	}
	deadline := time.Now().Add(s.cfg.Lease - s.cfg.LeaseMargin)
	for start := 0; start < len(items); start += s.cfg.ClaimLimit {
		// Only the dispatcher sends, and there was room for all.
		work <- claimed{items: items[start:min(start+s.cfg.ClaimLimit, len(items))], deadline: deadline}
	}
	return len(items) < limit
}

// resetTimer restarts t to fire after d.
func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
}
