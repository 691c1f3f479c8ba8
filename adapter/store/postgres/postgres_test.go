package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
	"github.com/ivbridge/ivbridge/adapter/store/storetest"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// testDSN returns the server the tests run against: scripts/postgres.sh
// starts one and prints its DSN. Without it the tests skip, except in CI.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("IVBRIDGE_TEST_POSTGRES_DSN is empty in CI: start PostgreSQL with scripts/postgres.sh")
		}
		t.Skip("IVBRIDGE_TEST_POSTGRES_DSN is empty; run: export IVBRIDGE_TEST_POSTGRES_DSN=$(scripts/postgres.sh)")
	}
	return dsn
}

// withSearchPath returns dsn connecting with search_path set to schema.
func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}

// freshSchema creates an empty schema for one test and drops it after.
func freshSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "ivbt_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
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
	return schema
}

func openDSN(t testing.TB, dsn string, opts ...store.Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openTest(t *testing.T, opts ...store.Option) store.Store {
	t.Helper()
	dsn := testDSN(t)
	return openDSN(t, withSearchPath(dsn, freshSchema(t, dsn)), opts...)
}

func TestStore(t *testing.T) {
	testDSN(t)
	storetest.Run(t, openTest)
}

// Several pools on one schema behave as several ivbridge instances.
func TestMultiInstance(t *testing.T) {
	testDSN(t)
	storetest.RunMultiInstance(t, func(t *testing.T, n int, opts ...store.Option) []store.Store {
		dsn := testDSN(t)
		dsn = withSearchPath(dsn, freshSchema(t, dsn))
		out := make([]store.Store, n)
		for i := range out {
			out[i] = openDSN(t, dsn, opts...)
		}
		return out
	})
}

func TestOpenIdempotent(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	dsn = withSearchPath(dsn, freshSchema(t, dsn))
	// Instances starting together migrate once.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := openDSN(t, dsn)
	w := store.Write{Kind: clinic.KindPatient, ID: "p", Version: 1, PatientID: "p", Body: []byte(`{}`), Origin: store.OriginClinic}
	if _, err := s.PutRecord(ctx, w); err != nil {
		t.Fatal(err)
	}
	s2 := openDSN(t, dsn)
	if rec, err := s2.GetRecord(ctx, clinic.KindPatient, "p"); err != nil || rec.Version != 1 {
		t.Fatalf("after reopen: %+v, %v", rec, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d", n, err, len(ms))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_us) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, dsn); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with an unknown schema version")
	}
}

func TestOpenInvalid(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:secret@[bad")
	if !errors.Is(err, store.ErrInvalid) || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open(bad DSN) err = %v, want ErrInvalid without the password", err)
	}
}

func BenchmarkPutRecord(b *testing.B) {
	dsn := os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("IVBRIDGE_TEST_POSTGRES_DSN is empty")
	}
	storetest.BenchPutRecord(b, func(b *testing.B) store.Store {
		return openDSN(b, withSearchPath(dsn, freshSchema(b, dsn)))
	})
}

func TestInsertRaw(t *testing.T) { storetest.CheckInsertRaw(t, openTest(t)) }

func BenchmarkInsertRaw(b *testing.B) {
	dsn := os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("IVBRIDGE_TEST_POSTGRES_DSN is empty")
	}
	storetest.BenchInsertRaw(b, func(b *testing.B) storetest.RawInserter {
		return openDSN(b, withSearchPath(dsn, freshSchema(b, dsn)))
	})
}

func BenchmarkReads(b *testing.B) {
	dsn := os.Getenv("IVBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("IVBRIDGE_TEST_POSTGRES_DSN is empty")
	}
	storetest.BenchReads(b, func(b *testing.B) store.Store {
		return openDSN(b, withSearchPath(dsn, freshSchema(b, dsn)))
	})
}

// TestGroupConcurrency: group commits on PostgreSQL take turns at the
// sequence lock, so two at once are worth it (one committing, one
// preparing), never more, and never more than the pool holds.
func TestGroupConcurrency(t *testing.T) {
	dsn := testDSN(t)
	dsn = withSearchPath(dsn, freshSchema(t, dsn))
	for pool, want := range map[int]int{1: 1, 4: 2, 16: 2} {
		s := openDSN(t, fmt.Sprintf("%s&pool_max_conns=%d", dsn, pool))
		if got := s.GroupConcurrency(); got != want {
			t.Errorf("pool of %d: GroupConcurrency %d, want %d", pool, got, want)
		}
	}
}

// TestBodiesCompressWithLZ4 checks migration 5: on a server built with
// lz4, every body column compresses with it rather than pglz.
func TestBodiesCompressWithLZ4(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	s := openDSN(t, withSearchPath(dsn, schema))
	defer s.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lz4 bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_settings
		WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	if !lz4 {
		t.Skip("this PostgreSQL has no lz4; the migration keeps pglz")
	}
	for _, table := range []string{"records", "resources", "resource_versions"} {
		var method string
		if err := conn.QueryRow(ctx, `SELECT a.attcompression::text FROM pg_attribute a
			JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = 'body'`, schema, table).Scan(&method); err != nil {
			t.Fatalf("%s.body: %v", table, err)
		}
		if method != "l" {
			t.Errorf("%s.body compresses with %q, want lz4 (l)", table, method)
		}
	}
}
