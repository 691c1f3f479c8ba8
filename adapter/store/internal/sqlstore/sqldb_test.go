package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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
