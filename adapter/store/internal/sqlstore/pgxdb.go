package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PgxDB adapts a pgx pool to DB. Writes run at READ COMMITTED with the
// dialect's explicit locks; a write that loses a serialisation race or a
// deadlock is retried from the start. Snapshots run in a read-only
// REPEATABLE READ transaction so a count and its page agree.
type PgxDB struct {
	Pool *pgxpool.Pool
	// Retries is how often a write is retried after a serialisation
	// failure or deadlock (SQLSTATE 40001, 40P01).
	Retries int
}

var _ DB = PgxDB{}

// pgxTx is a transaction on one pooled connection that costs no round
// trip of its own: its BEGIN goes out with its first statements and its
// COMMIT with the statements queued for it (AtCommit), so a write of
// lock-read-write takes two round trips, not four. On a busy machine
// each round trip is two context switches on either side, and the last
// one is inside the sequence lock's hold.
type pgxTx struct {
	conn *pgx.Conn
	// begin is the BEGIN still to send with the first statement; ""
	// once sent.
	begin    string
	atCommit []Stmt
}

// batch sends stmts, after the pending BEGIN, as one batch; the caller
// reads its results and closes it.
func (t *pgxTx) batch(ctx context.Context, stmts []Stmt) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	begun := t.begin != ""
	if begun {
		b.Queue(t.begin)
		t.begin = ""
	}
	for _, st := range stmts {
		b.Queue(st.Query, st.Args...)
	}
	br := t.conn.SendBatch(ctx, b)
	if begun {
		if err := execResults(br, 1); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
	}
	return br, nil
}

// execResults reads the results of br's next n statements; on the first
// error it closes br.
func execResults(br pgx.BatchResults, n int) error {
	for range n {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	return nil
}

func (t *pgxTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if t.begin == "" {
		tag, err := t.conn.Exec(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		return tag.RowsAffected(), nil
	}
	br, err := t.batch(ctx, []Stmt{{query, args}})
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *pgxTx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return t.QueryAfter(ctx, nil, query, args...)
}

func (t *pgxTx) QueryRow(ctx context.Context, query string, args ...any) Row {
	rows, err := t.Query(ctx, query, args...)
	return &rowOf{rows: rows, err: err}
}

// ExecBatch sends the statements as one batch: one round trip.
func (t *pgxTx) ExecBatch(ctx context.Context, stmts []Stmt) error {
	br, err := t.batch(ctx, stmts)
	if err != nil {
		return err
	}
	if err := execResults(br, len(stmts)); err != nil {
		return err
	}
	return br.Close()
}

// QueryAfter runs pre, then the query, in one round trip.
func (t *pgxTx) QueryAfter(ctx context.Context, pre []Stmt, query string, args ...any) (Rows, error) {
	if t.begin == "" && len(pre) == 0 {
		rows, err := t.conn.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
	br, err := t.batch(ctx, append(slices.Clip(pre), Stmt{query, args}))
	if err != nil {
		return nil, err
	}
	if err := execResults(br, len(pre)); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryBatch runs the queries, after the pending BEGIN, in one round
// trip (QueryBatcher).
func (t *pgxTx) QueryBatch(ctx context.Context, stmts []Stmt, each func(i int, rows Rows) error) error {
	if len(stmts) == 0 {
		return nil
	}
	br, err := t.batch(ctx, stmts)
	if err != nil {
		return err
	}
	return queryResults(br, len(stmts), each)
}

// AtCommit queues statements to go with the COMMIT.
func (t *pgxTx) AtCommit(stmts []Stmt) { t.atCommit = append(t.atCommit, stmts...) }

// commit sends the statements queued for it and COMMIT as one batch. A
// transaction that sent nothing has nothing to commit.
func (t *pgxTx) commit(ctx context.Context) error {
	if t.begin != "" && len(t.atCommit) == 0 {
		return nil
	}
	stmts := append(t.atCommit, Stmt{Query: "COMMIT"})
	t.atCommit = nil
	br, err := t.batch(ctx, stmts)
	if err != nil {
		return err
	}
	if err := execResults(br, len(stmts)-1); err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// COMMIT of a transaction the server had already failed answers
	// ROLLBACK, not an error.
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit: the server rolled the transaction back (%s)", tag)
	}
	return nil
}

// batchRows closes its batch with the rows: the query is the batch's last.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// rowOf is the first row of a query, as QueryRow returns it.
type rowOf struct {
	rows Rows
	err  error
}

func (r *rowOf) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type pgxRow struct{ pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

func transient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// run runs fn in a transaction begun with begin, retrying transient
// failures.
func (d PgxDB) run(ctx context.Context, begin string, fn func(Querier) error) error {
	for attempt := 0; ; attempt++ {
		err := d.once(ctx, begin, fn)
		if err == nil {
			return nil
		}
		if !transient(err) || attempt >= d.Retries || ctx.Err() != nil {
			return err
		}
	}
}

func (d PgxDB) once(ctx context.Context, begin string, fn func(Querier) error) error {
	c, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// A connection left inside a transaction (a failed rollback, a
	// cancelled round trip) is destroyed by Release, not reused.
	defer c.Release()
	tx := &pgxTx{conn: c.Conn(), begin: begin}
	if err := fn(tx); err != nil {
		tx.rollback(ctx)
		return err
	}
	if err := tx.commit(ctx); err != nil {
		tx.rollback(ctx)
		return err
	}
	return nil
}

// rollback ends a transaction that failed, when the server still has it
// open.
func (t *pgxTx) rollback(ctx context.Context) {
	if t.conn.IsClosed() || t.conn.PgConn().TxStatus() == 'I' {
		return
	}
	_, _ = t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
}

// RemoteReads reports that every read is a round trip to the server.
func (d PgxDB) RemoteReads() bool { return true }

// WriteConcurrency is the pool's size: how many write transactions can
// run at once.
func (d PgxDB) WriteConcurrency() int { return int(d.Pool.Config().MaxConns) }

// Write runs fn in a read-write transaction.
func (d PgxDB) Write(ctx context.Context, fn func(Querier) error) error {
	return d.run(ctx, "BEGIN ISOLATION LEVEL READ COMMITTED", fn)
}

// Read runs fn's statements straight on the pool, one round trip each
// instead of BEGIN/…/COMMIT.
func (d PgxDB) Read(ctx context.Context, fn func(Querier) error) error {
	return fn(pgxPoolQuerier{d.Pool})
}

// Snapshot runs fn in a read-only REPEATABLE READ transaction.
func (d PgxDB) Snapshot(ctx context.Context, fn func(Querier) error) error {
	return d.run(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn)
}

type pgxPoolQuerier struct{ pool *pgxpool.Pool }

func (q pgxPoolQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.pool.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxPoolQuerier) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := q.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (q pgxPoolQuerier) QueryRow(ctx context.Context, query string, args ...any) Row {
	return pgxRow{q.pool.QueryRow(ctx, query, args...)}
}

// QueryBatch sends the queries as one batch on one connection: one round
// trip. Outside a transaction each still reads its own snapshot.
func (q pgxPoolQuerier) QueryBatch(ctx context.Context, stmts []Stmt, each func(i int, rows Rows) error) error {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(st.Query, st.Args...)
	}
	return queryResults(q.pool.SendBatch(ctx, b), len(stmts), each)
}

// queryResults hands the rows of br's n queries to each, in order, and
// closes br.
func queryResults(br pgx.BatchResults, n int, each func(i int, rows Rows) error) error {
	for i := range n {
		rows, err := br.Query()
		if err != nil {
			_ = br.Close()
			return err
		}
		err = each(i, rows)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
}

// Ping checks the server answers.
func (d PgxDB) Ping(ctx context.Context) error {
	if err := d.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes the pool.
func (d PgxDB) Close() error {
	d.Pool.Close()
	return nil
}
