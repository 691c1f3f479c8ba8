package loadgen_test

import (
	"context"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/loadgen"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// TestCompareSmoke runs the whole comparison tiny, so the load command
// keeps working; it asserts correctness (every write accepted), never
// speed: the real measurement is `go run ./cmd/ivload`.
func TestCompareSmoke(t *testing.T) {
	open := func(ctx context.Context, name string) (store.Store, func() error, error) {
		st, err := sqlite.Open(ctx, t.TempDir())
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	cmp, err := loadgen.Compare(context.Background(), loadgen.CompareConfig{Open: open, N: 20, Concurrency: 4, Safety: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]loadgen.Result{"baseline": cmp.Baseline, "ivbridge": cmp.IVBridge} {
		if r.Accepted != 20 || r.Failed != 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	if cmp.Ratio() <= 0 {
		t.Fatalf("ratio %v", cmp.Ratio())
	}
}
