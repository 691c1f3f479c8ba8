package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
)

// TestPipelinedWrite checks the write transaction whose BEGIN goes with
// its first statements and whose COMMIT goes with its last: what a
// transaction commits is all there, what fails leaves nothing, and the
// connection is fit for the next write either way.
func TestPipelinedWrite(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(withSearchPath(dsn, freshSchema(t, dsn)))
	if err != nil {
		t.Fatal(err)
	}
	// One connection: a write that left it inside a transaction would
	// make the next one fail or wait.
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := sqlstore.PgxDB{Pool: pool}
	mustWrite := func(fn func(q sqlstore.Querier) error) {
		t.Helper()
		if err := db.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		var n int
		if err := db.Read(ctx, func(q sqlstore.Querier) error {
			return q.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	atCommit := func(q sqlstore.Querier, stmts ...sqlstore.Stmt) {
		t.Helper()
		p, ok := q.(sqlstore.Pipeliner)
		if !ok {
			t.Fatalf("the write transaction (%T) does not pipeline", q)
		}
		p.AtCommit(stmts)
	}
	ins := func(v int) sqlstore.Stmt {
		return sqlstore.Stmt{Query: `INSERT INTO t (v) VALUES ($1)`, Args: []any{v}}
	}

	mustWrite(func(q sqlstore.Querier) error {
		_, err := q.Exec(ctx, `CREATE TABLE t (v integer PRIMARY KEY)`)
		return err
	})

	// Only statements for the commit: BEGIN, they and COMMIT go as one.
	mustWrite(func(q sqlstore.Querier) error {
		atCommit(q, ins(1), ins(2))
		return nil
	})
	if n := count(); n != 2 {
		t.Fatalf("after a commit-only write: %d rows, want 2", n)
	}

	// Statements before, a read after them in one round trip, and more
	// at the commit.
	mustWrite(func(q sqlstore.Querier) error {
		rows, err := q.(sqlstore.Pipeliner).QueryAfter(ctx, []sqlstore.Stmt{ins(3)}, `SELECT COUNT(*) FROM t`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var n int
		if !rows.Next() {
			return errors.New("no row")
		}
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n != 3 {
			t.Errorf("the read after an insert in the same round trip saw %d rows, want 3", n)
		}
		rows.Close()
		atCommit(q, ins(4))
		return rows.Err()
	})
	if n := count(); n != 4 {
		t.Fatalf("after a pipelined write: %d rows, want 4", n)
	}

	// A statement at the commit that fails: nothing of the transaction
	// stays, the earlier statements included.
	err = db.Write(ctx, func(q sqlstore.Querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO t (v) VALUES (10)`); err != nil {
			return err
		}
		atCommit(q, ins(11), ins(1)) // 1 is held: unique violation
		return nil
	})
	if err == nil {
		t.Fatal("a write whose commit-time statement failed returned nil")
	}
	if n := count(); n != 4 {
		t.Errorf("after a failed commit: %d rows, want the 4 before it", n)
	}

	// fn failing after statements were sent: rolled back.
	boom := errors.New("boom")
	err = db.Write(ctx, func(q sqlstore.Querier) error {
		if _, err := q.Exec(ctx, `INSERT INTO t (v) VALUES (20)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want fn's error", err)
	}
	// fn panicking after statements were sent: the caller gets the
	// panic, the transaction is gone.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the write's panic did not reach the caller")
			}
		}()
		_ = db.Write(ctx, func(q sqlstore.Querier) error {
			if _, err := q.Exec(ctx, `INSERT INTO t (v) VALUES (30)`); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if n := count(); n != 4 {
		t.Errorf("after failed writes: %d rows, want 4", n)
	}
	// And the one connection still writes.
	mustWrite(func(q sqlstore.Querier) error {
		atCommit(q, ins(5))
		return nil
	})
	if n := count(); n != 5 {
		t.Errorf("after the last write: %d rows, want 5", n)
	}
}
