// Package sqlstore is the one implementation of store.Store over SQL that
// the SQLite and PostgreSQL stores share: the statements are written in the
// common subset of both dialects ($n placeholders, ON CONFLICT, RETURNING,
// times as int64 microseconds since the Unix epoch in UTC) and the few
// differences (locking, sequences, driver errors) come in through Dialect
// and DB.
package sqlstore

import (
	"context"
	"errors"
)

// ErrNoRows is what Row.Scan returns when a query matched nothing; the
// drivers' own sentinels are mapped to it by the DB adapters.
var ErrNoRows = errors.New("sqlstore: no rows")

// queryAll runs a query and scans every row it returns with scan.
func queryAll[T any](ctx context.Context, q Querier, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}

// scanAll scans every row of rows with scan and closes them.
func scanAll[T any](rows Rows, scan func(Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Querier runs statements inside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Stmt is one statement of a batch.
type Stmt struct {
	Query string
	Args  []any
}

// Batcher is implemented by Queriers that can send several statements
// in one round trip (PostgreSQL pipelining). The statements run in
// order; the first error stops the batch and is returned.
type Batcher interface {
	ExecBatch(ctx context.Context, stmts []Stmt) error
}

// Pipeliner is implemented by write transactions that can send
// statements along with others (PostgreSQL pipelining), saving the round
// trips between them.
type Pipeliner interface {
	// QueryAfter runs pre, then the query, in one round trip.
	QueryAfter(ctx context.Context, pre []Stmt, query string, args ...any) (Rows, error)
	// AtCommit queues statements to be sent with the COMMIT; an error
	// of one fails the transaction.
	AtCommit(stmts []Stmt)
}

// execAtCommit runs the last statements of a write transaction: sent
// with its COMMIT when q can, else now. Nothing may follow them in the
// transaction.
func execAtCommit(ctx context.Context, q Querier, stmts []Stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	if p, ok := q.(Pipeliner); ok {
		p.AtCommit(stmts)
		return nil
	}
	return execAll(ctx, q, stmts)
}

// QueryBatcher is implemented by Queriers that can send several queries
// in one round trip (PostgreSQL pipelining).
type QueryBatcher interface {
	// QueryBatch runs the queries in order and hands each one's rows to
	// each, which reads them before the next.
	QueryBatch(ctx context.Context, stmts []Stmt, each func(i int, rows Rows) error) error
}

// queryEach runs queries in order, handing each one's rows to each: as
// one batch when q can, else one by one. Rows are closed after each.
func queryEach(ctx context.Context, q Querier, stmts []Stmt, each func(i int, rows Rows) error) error {
	if len(stmts) == 0 {
		return nil
	}
	if b, ok := q.(QueryBatcher); ok {
		return b.QueryBatch(ctx, stmts, each)
	}
	for i, st := range stmts {
		rows, err := q.Query(ctx, st.Query, st.Args...)
		if err != nil {
			return err
		}
		err = each(i, rows)
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// execAll runs statements that need no answers in order: as one batch
// when q can, else one by one.
func execAll(ctx context.Context, q Querier, stmts []Stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	if b, ok := q.(Batcher); ok {
		return b.ExecBatch(ctx, stmts)
	}
	for _, st := range stmts {
		if _, err := q.Exec(ctx, st.Query, st.Args...); err != nil {
			return err
		}
	}
	return nil
}

// Rows iterates a query's result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result; Scan returns ErrNoRows when there is none.
type Row interface {
	Scan(dest ...any) error
}

// DB runs transactions. Write transactions of one DB must be serialisable
// with respect to each other for the rows they lock (SQLite: one writer;
// PostgreSQL: row and advisory locks); Write may retry fn on a transient
// serialisation failure, so fn must not have effects outside the
// transaction.
type DB interface {
	Write(ctx context.Context, fn func(q Querier) error) error
	// Read runs reads that need no common snapshot (each statement may
	// see its own).
	Read(ctx context.Context, fn func(q Querier) error) error
	// Snapshot runs reads that must agree with each other (a count and
	// its page) in one read-only snapshot.
	Snapshot(ctx context.Context, fn func(q Querier) error) error
	Ping(ctx context.Context) error
	Close() error
}

// Dialect holds the statements that differ between the databases.
type Dialect struct {
	// LockRecord, when set, is run with the argument "kind/id" at the
	// start of a write of that record so concurrent writers (several
	// instances) of one record serialise; SQLite needs none (one writer).
	LockRecord string
	// NextSeq is an expression giving the next store-wide record change
	// sequence value.
	NextSeq string
	// SeqLock, when set, is taken just before a write assigns its final
	// record sequence value and queues its outbox entry, and held until
	// commit, so sequence values become visible in the order they were
	// handed out: a reader paging by Seq (ListRecords' cursor) never
	// sees a later value before an earlier one and so never skips a
	// record. SQLite needs none (its single writer already commits in
	// order).
	SeqLock string
	// ForUpdate is appended to the reads of current resource rows inside
	// a write (PostgreSQL: FOR UPDATE), so two writes touching one
	// resource take turns instead of both deriving the same next version.
	ForUpdate string
	// ClaimLock is appended to the claim's candidate SELECT (PostgreSQL:
	// FOR UPDATE SKIP LOCKED) so instances never claim the same entry.
	ClaimLock string
	// GroupSlots, when set, caps GroupConcurrency: the sequence lock
	// (SeqLock) lets one write commit at a time, so more groups at once
	// than one committing and one preparing only queue for it, each
	// smaller, with a commit of its own.
	GroupSlots int
	// JSONInList makes long IN lists one JSON array parameter read with
	// json_each (SQLite): its driver looks every parameter up by name in
	// a list as long as the statement's, so binding n parameters costs
	// n², and the statement's text no longer depends on the list's
	// length, so one prepared statement serves every length.
	JSONInList bool
	// ClaimIndex follows the outbox table in the claim's candidate
	// SELECT (SQLite: INDEXED BY outbox_pending), where the planner
	// cannot be trusted to start from the pending entries.
	ClaimIndex string
}
