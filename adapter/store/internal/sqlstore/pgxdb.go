package sqlstore

import (
	"context"
	"errors"
	"fmt"

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

type pgxQuerier struct{ tx pgx.Tx }

func (q pgxQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxQuerier) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := q.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (q pgxQuerier) QueryRow(ctx context.Context, query string, args ...any) Row {
	return pgxRow{q.tx.QueryRow(ctx, query, args...)}
}

// ExecBatch sends the statements as one pgx batch: one round trip.
func (q pgxQuerier) ExecBatch(ctx context.Context, stmts []Stmt) error {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(st.Query, st.Args...)
	}
	br := q.tx.SendBatch(ctx, b)
	for range stmts {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
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

func (d PgxDB) run(ctx context.Context, opts pgx.TxOptions, fn func(Querier) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, d.Pool, opts, func(tx pgx.Tx) error { return fn(pgxQuerier{tx}) })
		if err == nil {
			return nil
		}
		if !transient(err) || attempt >= d.Retries || ctx.Err() != nil {
			return err
		}
	}
}

// WriteConcurrency is the pool's size: how many write transactions can
// run at once.
func (d PgxDB) WriteConcurrency() int { return int(d.Pool.Config().MaxConns) }

// Write runs fn in a read-write transaction.
func (d PgxDB) Write(ctx context.Context, fn func(Querier) error) error {
	return d.run(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}

// Read runs fn's statements straight on the pool, one round trip each
// instead of BEGIN/…/COMMIT.
func (d PgxDB) Read(ctx context.Context, fn func(Querier) error) error {
	return fn(pgxPoolQuerier{d.Pool})
}

// Snapshot runs fn in a read-only REPEATABLE READ transaction.
func (d PgxDB) Snapshot(ctx context.Context, fn func(Querier) error) error {
	return d.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
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
