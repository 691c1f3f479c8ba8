package httpapi

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// fakeGroups is a GroupWriter that answers each write by its version
// (odd: Created, even: ErrStale) and records the groups it was given.
type fakeGroups struct {
	slots int

	mu       sync.Mutex
	groups   [][]string
	inFlight int
	maxSeen  int
	gate     chan struct{} // when set, each group waits for a token
	panicOn  string        // a group holding this write panics
}

func (f *fakeGroups) GroupConcurrency() int { return f.slots }
func (f *fakeGroups) ReadsInWrite() bool    { return false }

func (f *fakeGroups) PutRecords(ctx context.Context, ws []store.Write) ([]store.PutResult, []error) {
	f.mu.Lock()
	f.inFlight++
	f.maxSeen = max(f.maxSeen, f.inFlight)
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.ID)
	}
	f.groups = append(f.groups, ids)
	f.mu.Unlock()
	if f.gate != nil {
		<-f.gate
	}
	for _, w := range ws {
		if w.ID == f.panicOn && w.ID != "" {
			f.mu.Lock()
			f.inFlight--
			f.mu.Unlock()
			panic("store exploded")
		}
	}
	rs := make([]store.PutResult, len(ws))
	errs := make([]error, len(ws))
	for i, w := range ws {
		if w.Version%2 == 1 {
			rs[i] = store.Created
		} else {
			errs[i] = fmt.Errorf("%s: %w", w.ID, store.ErrStale)
		}
	}
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	return rs, errs
}

// TestGroupCommitterAnswersEachWrite runs many concurrent writes through
// the committer: each caller gets its own write's outcome, every write is
// in exactly one group, no group exceeds maxGroup and no more groups run
// at once than the store allows.
func TestGroupCommitterAnswersEachWrite(t *testing.T) {
	for _, slots := range []int{1, 3} {
		t.Run(fmt.Sprintf("slots=%d", slots), func(t *testing.T) {
			f := &fakeGroups{slots: slots}
			g := newGroupCommitter(f)
			const n = 500
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("a%d", i)
					r, err := g.put(context.Background(), store.Write{Kind: clinic.KindAdministration, ID: id, Version: i%4 + 1})
					if i%2 == 0 {
						if err != nil || r != store.Created {
							t.Errorf("write %s: %v, %v; want created", id, r, err)
						}
					} else if !errors.Is(err, store.ErrStale) || err.Error() != id+": "+store.ErrStale.Error() {
						t.Errorf("write %s: %v, %v; want its own stale error", id, r, err)
					}
				}()
			}
			wg.Wait()
			seen := map[string]int{}
			for _, grp := range f.groups {
				if len(grp) == 0 || len(grp) > maxGroup {
					t.Errorf("group of %d writes", len(grp))
				}
				for _, id := range grp {
					seen[id]++
				}
			}
			if len(seen) != n {
				t.Errorf("%d distinct writes reached the store, want %d", len(seen), n)
			}
			for id, c := range seen {
				if c != 1 {
					t.Errorf("write %s was in %d groups", id, c)
				}
			}
			if f.maxSeen > slots {
				t.Errorf("%d groups ran at once, the store allows %d", f.maxSeen, slots)
			}
			if g.active != 0 || len(g.queue) != 0 {
				t.Errorf("after the writes: %d groups active, %d writes queued", g.active, len(g.queue))
			}
		})
	}
}

// TestGroupCommitterGathers holds the first group in the store while
// more writes arrive: they are committed together in the next group, not
// one by one.
func TestGroupCommitterGathers(t *testing.T) {
	f := &fakeGroups{slots: 1, gate: make(chan struct{})}
	g := newGroupCommitter(f)
	var wg sync.WaitGroup
	put := func(id string) {
		defer wg.Done()
		if _, err := g.put(context.Background(), store.Write{ID: id, Version: 1}); err != nil {
			t.Errorf("write %s: %v", id, err)
		}
	}
	wg.Add(1)
	go put("first")
	// Wait until the first group is inside the store.
	for {
		f.mu.Lock()
		started := len(f.groups) == 1
		f.mu.Unlock()
		if started {
			break
		}
		runtime.Gosched()
	}
	const later = 5
	for i := range later {
		wg.Add(1)
		go put(fmt.Sprintf("later%d", i))
	}
	// Wait until all of them queued behind the first group.
	for {
		g.mu.Lock()
		queued := len(g.queue)
		g.mu.Unlock()
		if queued == later {
			break
		}
		runtime.Gosched()
	}
	f.gate <- struct{}{} // the first group
	f.gate <- struct{}{} // the second, holding every later write
	wg.Wait()
	if len(f.groups) != 2 || len(f.groups[1]) != later {
		t.Fatalf("groups %v, want [first] and the %d later writes together", f.groups, later)
	}
}

// TestGroupCommitterPanic makes the store panic inside a group: the
// leader's caller sees the panic, the other writes of the group get an
// error instead of waiting forever, and later writes still commit.
func TestGroupCommitterPanic(t *testing.T) {
	f := &fakeGroups{slots: 1, gate: make(chan struct{}), panicOn: "boom"}
	g := newGroupCommitter(f)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := g.put(context.Background(), store.Write{ID: "first", Version: 1}); err != nil {
			t.Errorf("first: %v", err)
		}
	}()
	for {
		f.mu.Lock()
		started := len(f.groups) == 1
		f.mu.Unlock()
		if started {
			break
		}
		runtime.Gosched()
	}
	errs := make(chan error, 2)
	for _, id := range []string{"boom", "other"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs <- fmt.Errorf("%s: panic %v", id, r)
				}
			}()
			_, err := g.put(context.Background(), store.Write{ID: id, Version: 1})
			errs <- fmt.Errorf("%s: %w", id, err)
		}()
	}
	for {
		g.mu.Lock()
		queued := len(g.queue)
		g.mu.Unlock()
		if queued == 2 {
			break
		}
		runtime.Gosched()
	}
	f.gate <- struct{}{}
	f.gate <- struct{}{}
	wg.Wait()
	close(errs)
	var panicked, failed int
	for err := range errs {
		switch msg := err.Error(); {
		case strings.Contains(msg, "panic store exploded"):
			panicked++
		case strings.Contains(msg, "group commit: panic"):
			failed++
		default:
			t.Errorf("unexpected outcome %v", err)
		}
	}
	if panicked != 1 || failed != 1 {
		t.Errorf("%d callers saw the panic and %d got an error; want 1 and 1", panicked, failed)
	}
	f.gate = nil
	if r, err := g.put(context.Background(), store.Write{ID: "after", Version: 1}); err != nil || r != store.Created {
		t.Errorf("write after the panic: %v, %v", r, err)
	}
}
