package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SQLDB adapts database/sql to DB: writes go through writer, reads
// through reader (they may be the same pool).
type SQLDB struct {
	Writer *sql.DB
	Reader *sql.DB
}

var _ DB = SQLDB{}

type sqlQuerier struct{ tx *sql.Tx }

func (q sqlQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

func (q sqlQuerier) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := q.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q sqlQuerier) QueryRow(ctx context.Context, query string, args ...any) Row {
	return sqlRow{q.tx.QueryRowContext(ctx, query, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

func runTx(ctx context.Context, db *sql.DB, fn func(Querier) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(sqlQuerier{tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Write runs fn in a transaction on the writer.
func (d SQLDB) Write(ctx context.Context, fn func(Querier) error) error {
	return runTx(ctx, d.Writer, fn)
}

// Read runs fn in a transaction on the reader (in-process, a transaction
// costs next to nothing, so Read and Snapshot are the same).
func (d SQLDB) Read(ctx context.Context, fn func(Querier) error) error {
	return runTx(ctx, d.Reader, fn)
}

// Snapshot runs fn in a transaction on the reader: WAL gives it one
// snapshot.
func (d SQLDB) Snapshot(ctx context.Context, fn func(Querier) error) error {
	return runTx(ctx, d.Reader, fn)
}

// Ping checks both pools.
func (d SQLDB) Ping(ctx context.Context) error {
	if err := d.Writer.PingContext(ctx); err != nil {
		return err
	}
	return d.Reader.PingContext(ctx)
}

// Close closes both pools.
func (d SQLDB) Close() error {
	err := d.Reader.Close()
	if d.Writer != d.Reader {
		err = errors.Join(err, d.Writer.Close())
	}
	return err
}
