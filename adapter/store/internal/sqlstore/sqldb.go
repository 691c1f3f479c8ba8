package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// SQLDB adapts database/sql to DB: writes go through writer, reads
// through reader (they may be the same pool). Built with NewSQLDB, it
// reuses prepared statements (see stmtCache); a literal SQLDB prepares
// every statement anew, which is fine for one-off work like migrations.
type SQLDB struct {
	Writer *sql.DB
	Reader *sql.DB

	writeStmts, readStmts *stmtCache
}

// NewSQLDB returns an SQLDB over writer and reader that keeps the
// statements of writes and reads prepared across transactions.
func NewSQLDB(writer, reader *sql.DB) SQLDB {
	return SQLDB{Writer: writer, Reader: reader,
		writeStmts: newStmtCache(writer), readStmts: newStmtCache(reader)}
}

var _ DB = SQLDB{}

// maxCachedStmts bounds a stmtCache: the store's fixed statements fit many
// times over, and queries built per call (searches) cannot grow it
// without limit.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query text of one pool.
// Parsing and planning a statement costs modernc.org/sqlite more than
// running the small writes of a record, and every write runs the same
// twenty-odd statements.
//
// A statement is prepared only between transactions: on the SQLite
// writer pool (one connection) DB.Prepare would wait for the connection
// the running transaction holds. So a miss inside a transaction runs the
// query unprepared and notes it; the transaction's end prepares what was
// noted, and later transactions bind the prepared statement to their
// connection with Tx.StmtContext (database/sql re-prepares it on a new
// connection by itself).
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement of query, or nil after noting it
// for prepareNoted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts)+len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
	return nil
}

// prepareNoted prepares the statements noted since the last call. Best
// effort: a statement that fails to prepare is run unprepared, as before.
func (c *stmtCache) prepareNoted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, dup := c.stmts[q]; dup || len(c.stmts) >= maxCachedStmts {
			_ = st.Close()
		} else {
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
}

// close closes every prepared statement.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.stmts {
		err = errors.Join(err, st.Close())
		delete(c.stmts, q)
	}
	return err
}

// sqlConn is what a sqlQuerier runs unprepared statements on: a
// transaction, or a pool.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlQuerier runs statements in a transaction (tx set) or straight on a
// pool, prepared when the cache has them.
type sqlQuerier struct {
	tx    *sql.Tx
	pool  *sql.DB
	stmts *stmtCache
}

// conn is where unprepared statements run.
func (q sqlQuerier) conn() sqlConn {
	if q.tx != nil {
		return q.tx
	}
	return q.pool
}

// stmt returns the handle on the prepared statement of query (bound to
// the transaction, if any), or nil when it is not prepared (yet).
func (q sqlQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := q.stmts.lookup(query)
	switch {
	case st == nil:
		return nil
	case q.tx != nil:
		return q.tx.StmtContext(ctx, st)
	default:
		return st
	}
}

func (q sqlQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := q.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.conn().ExecContext(ctx, query, args...)
	}
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
	var rows *sql.Rows
	var err error
	if st := q.stmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.conn().QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q sqlQuerier) QueryRow(ctx context.Context, query string, args ...any) Row {
	if st := q.stmt(ctx, query); st != nil {
		return sqlRow{st.QueryRowContext(ctx, args...)}
	}
	return sqlRow{q.conn().QueryRowContext(ctx, query, args...)}
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

func runTx(ctx context.Context, db *sql.DB, stmts *stmtCache, fn func(Querier) error) error {
	// After the transaction, when its connection is free again.
	defer stmts.prepareNoted(ctx)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Roll back on every way out but a commit, a panic in fn included: a
	// transaction left open on the single SQLite writer would block every
	// later write.
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(sqlQuerier{tx: tx, stmts: stmts}); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// WriteConcurrency is how many write transactions the writer pool runs
// at once (SQLite: one writer connection).
func (d SQLDB) WriteConcurrency() int {
	if n := d.Writer.Stats().MaxOpenConnections; n > 0 {
		return n
	}
	return 1
}

// Write runs fn in a transaction on the writer.
func (d SQLDB) Write(ctx context.Context, fn func(Querier) error) error {
	return runTx(ctx, d.Writer, d.writeStmts, fn)
}

// Read runs fn's statements straight on the reader pool, each in its own
// implicit transaction (in WAL mode, its own snapshot): most reads are
// one statement, which BEGIN and COMMIT would cost as much again.
func (d SQLDB) Read(ctx context.Context, fn func(Querier) error) error {
	// After fn, when its rows are closed and the connections free.
	defer d.readStmts.prepareNoted(ctx)
	return fn(sqlQuerier{pool: d.Reader, stmts: d.readStmts})
}

// Snapshot runs fn in a transaction on the reader: WAL gives it one
// snapshot. Its queries are built per search, so they are not cached.
func (d SQLDB) Snapshot(ctx context.Context, fn func(Querier) error) error {
	return runTx(ctx, d.Reader, nil, fn)
}

// Ping checks both pools.
func (d SQLDB) Ping(ctx context.Context) error {
	if err := d.Writer.PingContext(ctx); err != nil {
		return err
	}
	return d.Reader.PingContext(ctx)
}

// Close closes the prepared statements and both pools.
func (d SQLDB) Close() error {
	err := errors.Join(d.writeStmts.close(), d.readStmts.close(), d.Reader.Close())
	if d.Writer != d.Reader {
		err = errors.Join(err, d.Writer.Close())
	}
	return err
}
