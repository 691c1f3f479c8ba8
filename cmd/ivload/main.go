// Command ivload measures ivbridge's write throughput beside a bare
// baseline (see package adapter/loadgen), on SQLite or PostgreSQL:
//
//	go run ./cmd/ivload -store sqlite -n 2000 -c 8
//	go run ./cmd/ivload -store postgres -dsn "$(scripts/postgres.sh)" -n 2000 -c 8
//	go run ./cmd/ivload -url http://127.0.0.1:8080 -token "$IVBRIDGE_TOKEN" -n 500
//
// The last form loads a running ivbridge (no baseline). All traffic goes to
// loopback servers this command starts, or to the -url given.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/ivbridge/ivbridge/adapter/config"
	"github.com/ivbridge/ivbridge/adapter/loadgen"
	"github.com/ivbridge/ivbridge/adapter/serve"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/postgres"
	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
)

func main() {
	kind := flag.String("store", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN"), "PostgreSQL DSN for -store postgres (each run uses fresh schemas, dropped after)")
	n := flag.Int("n", 2000, "administrations to PUT")
	c := flag.Int("c", 8, "concurrent clients")
	safety := flag.Bool("safety", true, "run ivbridge's safety checks (as serve does by default)")
	url := flag.String("url", "", "load this running ivbridge instead (no baseline)")
	token := flag.String("token", os.Getenv("IVBRIDGE_TOKEN"), "bearer token for -url")
	rounds := flag.Int("rounds", 3, "repeat the comparison this many times (fresh stores each) and report the median ratio")
	parts := flag.Int("parts", 10, "send each round's writes in this many parts, alternating baseline and ivbridge")
	pgPool := flag.Int("pg-pool", 0, "pgx pool size for -store postgres (0: the driver's default), the same for baseline and ivbridge")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ivload:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "ivload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	gin.SetMode(gin.ReleaseMode)
	// The collector's target is process-wide: serve's setting applies to
	// the baseline and ivbridge alike, as both run in this process.
	serve.TuneGC(config.Default(), os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kind, *dsn, *n, *c, *parts, *safety, *url, *token, *pgPool, max(*rounds, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "ivload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, kind, dsn string, n, c, parts int, safety bool, url, token string, pgPool, rounds int) error {
	if url != "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg := loadgen.Config{BaseURL: strings.TrimRight(url, "/"), Token: token, N: n, Concurrency: c, Prefix: "load-" + hex.EncodeToString(b)}
		if err := loadgen.Seed(ctx, cfg); err != nil {
			return err
		}
		res, err := loadgen.Run(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Printf("ivbridge at %s: %s\n", url, res)
		if res.Failed > 0 {
			return fmt.Errorf("%d writes refused; first: %s", res.Failed, res.FirstError)
		}
		return nil
	}
	var open loadgen.OpenStore
	switch kind {
	case "sqlite":
		open = func(ctx context.Context, name string) (store.Store, func() error, error) {
			dir, err := os.MkdirTemp("", "ivload-"+name+"-")
			if err != nil {
				return nil, nil, err
			}
			st, err := sqlite.Open(ctx, dir)
			if err != nil {
				os.RemoveAll(dir)
				return nil, nil, err
			}
			return st, func() error { st.Close(); return os.RemoveAll(dir) }, nil
		}
	case "postgres":
		if dsn == "" {
			return fmt.Errorf("-store postgres needs -dsn or IVBRIDGE_TEST_POSTGRES_DSN (scripts/postgres.sh prints one)")
		}
		open = func(ctx context.Context, name string) (store.Store, func() error, error) {
			return freshSchemaStore(ctx, dsn, name, pgPool)
		}
	default:
		return fmt.Errorf("unknown -store %q (sqlite, postgres)", kind)
	}
	fmt.Printf("store=%s n=%d c=%d parts=%d safety=%v rounds=%d gc=%d%%\n", kind, n, c, parts, safety, rounds, gcPercent())
	var ratios []float64
	for r := 1; r <= rounds; r++ {
		cmp, err := loadgen.Compare(ctx, loadgen.CompareConfig{Open: open, N: n, Concurrency: c, Parts: parts, Safety: safety})
		if err != nil {
			return err
		}
		fmt.Printf("round %d\n  baseline (bare gin + PutRecord): %s\n", r, cmp.Baseline)
		fmt.Printf("  ivbridge (full pipeline):        %s\n", cmp.IVBridge)
		fmt.Printf("  ratio: %.2f× baseline throughput\n", cmp.Ratio())
		ratios = append(ratios, cmp.Ratio())
	}
	sort.Float64s(ratios)
	fmt.Printf("median ratio over %d rounds: %.2f× (target ≥ 0.70)\n", rounds, ratios[len(ratios)/2])
	return nil
}

// freshSchemaStore opens the store in a new schema of the DSN's database.
func freshSchemaStore(ctx context.Context, dsn, name string, pool int) (store.Store, func() error, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	schema := "ivload_" + name + "_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, nil, fmt.Errorf("create schema: %w", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	storeDSN := dsn + sep + "search_path=" + schema
	if pool > 0 {
		storeDSN += fmt.Sprintf("&pool_max_conns=%d", pool)
	}
	st, err := postgres.Open(ctx, storeDSN)
	if err != nil {
		return nil, nil, err
	}
	return st, func() error {
		st.Close()
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		return err
	}, nil
}

// gcPercent is the collector's current target (-1: off).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}
