package httpapi

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// maxGroup caps the writes of one group commit: a group holds a writer
// for its whole transaction, so an unbounded group would make the writes
// behind it wait longer than the commit it saves them.
const maxGroup = 64

// groupCommitter gathers the record writes of concurrent requests into
// shared transactions (store.GroupWriter): while a group commits, the
// writes that arrive queue up and go together in the next, so a busy
// server pays one commit (one fsync) per group instead of per write, and
// an idle one commits a lone write at once (no timer, no added latency).
// Every write is still checked and versioned on its own, gets its own
// result, and its caller is answered only after the commit that holds it.
//
// Up to slots groups commit at once (the store's GroupConcurrency: one
// for SQLite's single writer, the pool's size for PostgreSQL, where
// groups on several connections overlap their round trips).
//
// There is no background goroutine: a writer that finds a free slot
// leads, commits what is queued and hands the lead, with the next group,
// to the first write of that group, so nothing has to be stopped. Every
// queued write is taken into exactly one group, under the lock.
type groupCommitter struct {
	st    store.GroupWriter
	slots int

	mu     sync.Mutex
	queue  []*groupWrite
	active int // groups being committed or handed on
}

// groupWrite is one queued write and, once done, its outcome.
type groupWrite struct {
	w      store.Write
	result store.PutResult
	err    error
	done   bool // set by the leader of its group, read by its own caller
	// wake receives exactly one message: nil when the outcome is set, or
	// the group this write is to lead (holding it first).
	wake chan []*groupWrite
}

func newGroupCommitter(st store.GroupWriter) *groupCommitter {
	return &groupCommitter{st: st, slots: max(st.GroupConcurrency(), 1)}
}

// takeLocked removes the next group from the queue; g.mu is held.
func (g *groupCommitter) takeLocked() []*groupWrite {
	n := min(len(g.queue), maxGroup)
	group := slices.Clone(g.queue[:n])
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return group
}

// put stores w in the next group commit and returns its outcome once
// that group is committed.
func (g *groupCommitter) put(ctx context.Context, w store.Write) (store.PutResult, error) {
	me := &groupWrite{w: w, wake: make(chan []*groupWrite, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, me)
	var group []*groupWrite
	if g.active < g.slots {
		g.active++
		group = g.takeLocked()
	}
	g.mu.Unlock()
	for {
		if group == nil {
			// The group is committed whatever this request's context
			// does meanwhile, so wait for the outcome rather than
			// answer before knowing whether the write is stored.
			if group = <-me.wake; group == nil {
				return me.result, me.err
			}
		}
		group = g.commit(ctx, group, me)
		if group == nil && me.done {
			return me.result, me.err
		}
	}
}

// commit runs one group led by me's caller, answers its other writes and
// hands the lead on. It returns the next group when me is in it (me's
// caller leads it too), else nil.
func (g *groupCommitter) commit(ctx context.Context, group []*groupWrite, me *groupWrite) []*groupWrite {
	ws := make([]store.Write, len(group))
	for i, gw := range group {
		ws[i] = gw.w
	}
	answered := false
	defer func() {
		// A panic in the store must not leave the group's other
		// callers waiting forever: they get an error, the lead moves
		// on, and the panic goes on to the leader's own recovery.
		if answered {
			return
		}
		if r := recover(); r != nil {
			for _, gw := range group {
				gw.result, gw.err, gw.done = 0, fmt.Errorf("httpapi: group commit: panic: %v", r), true
				if gw != me {
					gw.wake <- nil
				}
			}
			if next := g.handOff(); next != nil {
				next[0].wake <- next
			}
			panic(r)
		}
	}()
	// The group serves other requests too: one client going away must
	// not roll back the writes of the others.
	results, errs := g.st.PutRecords(context.WithoutCancel(ctx), ws)
	for i, gw := range group {
		gw.result, gw.err, gw.done = results[i], errs[i], true
		if gw != me {
			gw.wake <- nil
		}
	}
	answered = true

	next := g.handOff()
	if next == nil {
		return nil
	}
	if slices.Contains(next, me) {
		return next
	}
	next[0].wake <- next
	return nil
}

// handOff takes the next group off the queue for the slot that just
// committed, or frees the slot when nothing is queued.
func (g *groupCommitter) handOff() []*groupWrite {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) > 0 {
		return g.takeLocked()
	}
	g.active--
	return nil
}
