package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
	"github.com/ivbridge/ivbridge/adapter/store/storetest"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func openDir(t testing.TB, dir string, opts ...store.Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, opts...)
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

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openDir(t, t.TempDir(), opts...)
	})
}

// Several stores on one file behave as several processes sharing it.
func TestMultiInstance(t *testing.T) {
	storetest.RunMultiInstance(t, func(t *testing.T, n int, opts ...store.Option) []store.Store {
		dir := t.TempDir()
		out := make([]store.Store, n)
		for i := range out {
			out[i] = openDir(t, dir, opts...)
		}
		return out
	})
}

func TestOpenIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	w := store.Write{Kind: clinic.KindPatient, ID: "p", Version: 1, PatientID: "p", Body: []byte(`{}`), Origin: store.OriginClinic}
	if _, err := s.PutRecord(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s := openDir(t, dir)
		if rec, err := s.GetRecord(ctx, clinic.KindPatient, "p"); err != nil || rec.Version != 1 {
			t.Fatalf("after reopen: %+v, %v", rec, err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d, one per migration", n, err, len(ms))
	}
	// A database from a newer build is refused, not used.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_us) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, dir); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with an unknown schema version")
	}
}

func TestOpenInvalid(t *testing.T) {
	for _, dir := range []string{"", "a?b"} {
		if _, err := Open(context.Background(), dir); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Open(%q) err = %v, want ErrInvalid", dir, err)
		}
	}
}

// TestSurvivesSIGKILL: a child process writes records and reports each
// one after PutRecord returned; it is killed with SIGKILL mid-stream, and
// every record it reported must be in the store afterwards.
func TestSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv("IVBRIDGE_STORE_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), "IVBRIDGE_STORE_KILL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "acked "); ok {
			acked = append(acked, id)
			if len(acked) == 200 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d writes", len(acked))
	}
	s := openDir(t, dir)
	for _, id := range acked {
		if _, err := s.GetRecord(context.Background(), clinic.KindPatient, id); err != nil {
			t.Fatalf("acknowledged record %s lost after SIGKILL: %v", id, err)
		}
	}
}

func killChild(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	deadline := time.Now().Add(time.Minute) // the parent kills us long before
	for i := 0; time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("p%d", i)
		w := store.Write{Kind: clinic.KindPatient, ID: id, Version: 1, PatientID: id,
			Body: []byte(`{"kind":"patient"}`), Origin: store.OriginClinic, Enqueue: true,
			Resources: []store.Resource{{Type: "Patient", ID: id, Body: []byte(`{"resourceType":"Patient"}`)}}}
		if _, err := s.PutRecord(ctx, w); err != nil {
			fmt.Println("put:", err)
			os.Exit(1)
		}
		fmt.Println("acked", id)
	}
	os.Exit(0)
}

func BenchmarkPutRecord(b *testing.B) {
	storetest.BenchPutRecord(b, func(b *testing.B) store.Store { return openDir(b, b.TempDir()) })
}

func TestInsertRaw(t *testing.T) { storetest.CheckInsertRaw(t, openDir(t, t.TempDir())) }

// BenchmarkGroupCommit: a group of three projected administrations
// against three bare record writes (storetest.BenchGroupCommit).
func BenchmarkGroupCommit(b *testing.B) {
	storetest.BenchGroupCommit(b, func(b *testing.B) store.Store { return openDir(b, b.TempDir()) })
}

func BenchmarkInsertRaw(b *testing.B) {
	storetest.BenchInsertRaw(b, func(b *testing.B) storetest.RawInserter { return openDir(b, b.TempDir()) })
}

func BenchmarkReads(b *testing.B) {
	storetest.BenchReads(b, func(b *testing.B) store.Store { return openDir(b, b.TempDir()) })
}

// TestTempStoreInMemory: every connection keeps temporary files (and so
// statement journals) in memory.
func TestTempStoreInMemory(t *testing.T) {
	s := openDir(t, t.TempDir())
	for name, db := range map[string]*sql.DB{"writer": s.db.Writer, "reader": s.db.Reader} {
		var v int
		if err := db.QueryRow(`PRAGMA temp_store`).Scan(&v); err != nil || v != 2 {
			t.Errorf("%s: temp_store = %d, %v; want 2 (memory)", name, v, err)
		}
	}
}

// TestClaimStartsFromPending: once most of the outbox is done, and with
// statistics taken while all of it was pending, the claim still reads
// the partial index of pending entries rather than every entry since the
// first (which made each claim cost as much as the outbox's history).
func TestClaimStartsFromPending(t *testing.T) {
	s := openDir(t, t.TempDir())
	ctx := context.Background()
	for i := range 300 {
		id := fmt.Sprintf("p%03d", i)
		w := store.Write{Kind: clinic.KindPatient, ID: id, Version: 1, PatientID: id, Body: []byte(`{}`), Origin: store.OriginClinic, Enqueue: true}
		if _, err := s.PutRecord(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Writer.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	items, err := s.ClaimOutbox(ctx, "w", 290, time.Minute)
	if err != nil || len(items) != 290 {
		t.Fatalf("claim = %d, %v", len(items), err)
	}
	for _, it := range items {
		if err := s.CompleteOutbox(ctx, it.Seq, nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.db.Writer.Query(`EXPLAIN QUERY PLAN `+sqlstore.ClaimQuery(dialect), int64(1)<<62, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) == 0 || !strings.Contains(plan[0], "USING INDEX outbox_pending") {
		t.Errorf("claim plan %q does not start from outbox_pending", plan)
	}
}
