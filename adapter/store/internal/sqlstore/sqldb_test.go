package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestSQLDBRollsBackAfterPanic checks that a panic inside a write does not
// leave its transaction open: with one writer connection, the next write
// would otherwise wait for that connection forever.
func TestSQLDBRollsBackAfterPanic(t *testing.T) {
	w, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	db := SQLDB{Writer: w, Reader: w}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if err := db.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `CREATE TABLE t (v INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the write's panic did not reach the caller")
			}
		}()
		_ = db.Write(ctx, func(q Querier) error {
			if _, err := q.Exec(ctx, `INSERT INTO t (v) VALUES (1)`); err != nil {
				return err
			}
			panic("boom")
		})
	}()

	// A leaked transaction keeps the only writer connection in use.
	if inUse := w.Stats().InUse; inUse != 0 {
		t.Fatalf("%d connections still in use after the panicking write", inUse)
	}
	var n int
	err = db.Read(ctx, func(q Querier) error { return q.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n) })
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the panicking write left %d rows, want them rolled back", n)
	}
	if err := db.Write(ctx, func(q Querier) error { return errors.New("fail") }); err == nil {
		t.Error("Write returned nil for a failing fn")
	}
}

// TestSQLDBReusesPreparedStatements checks the statement cache: a
// statement first run inside a write is prepared after that write (not
// during it: the one writer connection is busy) and reused by later
// writes with the right results; Snapshot queries are not cached, and
// the cache stops growing at its bound.
func TestSQLDBReusesPreparedStatements(t *testing.T) {
	dir := t.TempDir()
	w, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "t.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := NewSQLDB(w, r)
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if err := db.Write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `CREATE TABLE t (v INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO t (v) VALUES ($1)`
	for i := 1; i <= 3; i++ {
		if err := db.Write(ctx, func(q Querier) error {
			_, err := q.Exec(ctx, insert, i)
			return err
		}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		db.writeStmts.mu.Lock()
		_, cached := db.writeStmts.stmts[insert]
		db.writeStmts.mu.Unlock()
		if !cached {
			t.Fatalf("after write %d the insert is not prepared", i)
		}
	}
	var sum int
	if err := db.Read(ctx, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT SUM(v) FROM t`).Scan(&sum)
	}); err != nil {
		t.Fatal(err)
	}
	if sum != 6 {
		t.Errorf("sum of the rows written through the prepared insert = %d, want 6", sum)
	}
	if err := db.Snapshot(ctx, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&sum)
	}); err != nil {
		t.Fatal(err)
	}
	db.readStmts.mu.Lock()
	_, cached := db.readStmts.stmts[`SELECT COUNT(*) FROM t`]
	db.readStmts.mu.Unlock()
	if cached {
		t.Error("a Snapshot query was cached")
	}
	for i := range maxCachedStmts + 20 {
		if err := db.Read(ctx, func(q Querier) error {
			var v int
			return q.QueryRow(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.readStmts.mu.Lock()
	n := len(db.readStmts.stmts) + len(db.readStmts.pending)
	db.readStmts.mu.Unlock()
	if n > maxCachedStmts {
		t.Errorf("the cache holds %d statements, bound %d", n, maxCachedStmts)
	}
}
