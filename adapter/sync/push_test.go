package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// records writes n patients, each with one plan, and returns the patient
// and plan ids.
func records(t testing.TB, st store.Store, prefix string, n int) (patients, plans []string) {
	t.Helper()
	for i := range n {
		pid := fmt.Sprintf("%s-pat-%05d", prefix, i)
		plid := fmt.Sprintf("%s-plan-%05d", prefix, i)
		put(t, st, patientWrite(pid, 1), planWrite(plid, pid, 1))
		patients = append(patients, pid)
		plans = append(plans, plid)
	}
	return patients, plans
}

func TestPushReachesUpstreamOnce(t *testing.T) {
	for _, mode := range []string{sync.ModeTransaction, sync.ModeBatch, sync.ModeSingle} {
		t.Run(mode, func(t *testing.T) {
			base := upstreamtest.Start(t)
			st := openStore(t, t.TempDir())
			pats, plans := records(t, st, "m", 120)
			s := newSyncer(t, st, newClient(t, base, upstream.Config{}), sync.Config{Mode: mode, Workers: 3})
			runSyncer(t, s)
			stats := waitDrained(t, st, 60*time.Second)
			if stats.DeadLetters != 0 {
				dls, _ := st.ListDeadLetters(context.Background())
				t.Fatalf("dead letters: %+v", dls)
			}
			counts, _ := upstreamIdentifiers(t, base, "Patient")
			assertEachOnce(t, counts, pats)
			counts, _ = upstreamIdentifiers(t, base, "MedicationRequest")
			assertEachOnce(t, counts, plans)
			rs, err := s.RecordSync(context.Background(), "plan", plans[0])
			if err != nil {
				t.Fatal(err)
			}
			if rs.State != "synced" || len(rs.Resources) != 1 || rs.Resources[0].UpstreamVersion == "" {
				t.Fatalf("record state: %+v", rs)
			}
		})
	}
}
