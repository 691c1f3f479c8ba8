package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/postgres"
)

// postgresOpener returns the PostgreSQL opener when
// IVBRIDGE_TEST_POSTGRES_DSN is set (scripts/postgres.sh prints one); each
// test gets an empty schema of its own, dropped afterwards. In CI the
// variable is required.
func postgresOpener(t testing.TB) *opener {
	t.Helper()
	dsn := os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("IVBRIDGE_TEST_POSTGRES_DSN is empty in CI: start PostgreSQL with scripts/postgres.sh")
		}
		return nil
	}
	return &opener{"postgres", func(t testing.TB) store.Store {
		t.Helper()
		ctx := context.Background()
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		schema := "ivbh_" + hex.EncodeToString(b)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		conn.Close(ctx)
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		st, err := postgres.Open(ctx, dsn+sep+"search_path="+schema)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			st.Close()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Errorf("connect for cleanup: %v", err)
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		return st
	}}
}
