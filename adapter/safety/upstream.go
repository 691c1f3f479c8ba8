package safety

import (
	"context"
	"sync"
	"time"
)

// CachedUpstreamAllergies remembers what f answered for a patient for ttl,
// so a burst of plans and sessions for one patient costs one upstream read.
// Failures are not cached: the next check tries again. The cache forgets
// everything when it holds more than maxPatients, which bounds its memory.
func CachedUpstreamAllergies(f UpstreamAllergies, ttl time.Duration, now func() time.Time) UpstreamAllergies {
	const maxPatients = 10000
	type entry struct {
		bodies [][]byte
		until  time.Time
	}
	var mu sync.Mutex
	cache := map[string]entry{}
	return func(ctx context.Context, patientFHIRID string) ([][]byte, error) {
		mu.Lock()
		if e, ok := cache[patientFHIRID]; ok && now().Before(e.until) {
			mu.Unlock()
			return e.bodies, nil
		}
		mu.Unlock()
		bodies, err := f(ctx, patientFHIRID)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		if len(cache) >= maxPatients {
			cache = map[string]entry{}
		}
		cache[patientFHIRID] = entry{bodies: bodies, until: now().Add(ttl)}
		mu.Unlock()
		return bodies, nil
	}
}
