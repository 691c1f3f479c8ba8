// Package sqlite is the embedded store: one SQLite file, DIR/ivbridge.db,
// through the pure-Go modernc.org/sqlite driver.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// transaction is fsynced to the WAL before PutRecord returns. A write that
// was answered 2xx survives a SIGKILL of the process (that alone WAL with
// synchronous=NORMAL would give: the WAL append is in the OS page cache
// when the commit returns) and also a power loss or kernel crash, which
// NORMAL does not promise. The cost is one fsync per commit; see
// BenchmarkPutRecord.
//
// Concurrency: one writer connection (transactions start with BEGIN
// IMMEDIATE, so writers queue in Go instead of failing on SQLITE_BUSY)
// and a pool of read-only connections that WAL lets read while the writer
// writes. Foreign keys are enforced; busy_timeout covers other processes
// (e.g. a backup) touching the file.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "ivbridge.db"

// Store is the SQLite implementation of store.Store.
type Store struct {
	*sqlstore.Store
	db sqlstore.SQLDB
}

var _ store.Store = (*Store)(nil)

const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=analysis_limit(400)"

// Open opens (creating if needed) the store in dir and brings its schema
// up to date. Opening an existing, current store changes nothing.
func Open(ctx context.Context, dir string, opts ...store.Option) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("sqlite: open: %w: empty data directory", store.ErrInvalid)
	}
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("sqlite: open: %w: data directory %q contains ? or #", store.ErrInvalid, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	path := filepath.Join(dir, FileName)
	o := store.Apply(opts...)

	writer, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	var mode string
	if err := writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: read journal mode: %w", path, err)
	}
	if mode != "wal" {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal mode %q, want wal", path, mode)
	}
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := sqlstore.Migrate(ctx, sqlstore.SQLDB{Writer: writer, Reader: writer}, ms, "", o.Now()); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	// As SQLite advises for long-lived connections: analyse the tables
	// whose statistics are missing or stale, so searches pick indexes.
	if _, err := writer.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: optimize: %w", path, err)
	}

	reader, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	// Backstop for readers that were busy when statistics changed.
	reader.SetConnMaxLifetime(time.Hour)
	db := sqlstore.NewSQLDB(writer, reader)
	if err := reader.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{Store: sqlstore.New(&optimizingDB{SQLDB: db, readers: n}, dialect, o), db: db}, nil
}

// optimizeEvery is how many write transactions pass between two PRAGMA
// optimize runs. SQLite only re-analyses a table whose size changed by
// an order of magnitude (and then at most analysis_limit rows per index),
// so most runs cost microseconds.
const optimizeEvery = 1000

// optimizingDB keeps the query planner's statistics current in a
// long-running process, as SQLite advises: without them the planner
// guesses, and a facade search can walk a whole type instead of using the
// patient or identifier index.
type optimizingDB struct {
	sqlstore.SQLDB
	readers int // the reader pool's size
	writes  atomic.Int64
}

// Write runs fn and, every optimizeEvery writes, PRAGMA optimize.
func (d *optimizingDB) Write(ctx context.Context, fn func(sqlstore.Querier) error) error {
	if err := d.SQLDB.Write(ctx, fn); err != nil {
		return err
	}
	if d.writes.Add(1)%optimizeEvery == 0 {
		// Best effort: stale statistics make reads slower, not wrong.
		if _, err := d.Writer.ExecContext(ctx, "PRAGMA optimize=0x10002"); err == nil {
			// A connection reads the statistics when it loads the
			// schema, which ANALYZE does not make it do again: drop
			// the idle readers so the next reads start fresh ones.
			d.Reader.SetMaxIdleConns(0)
			d.Reader.SetMaxIdleConns(d.readers)
		}
	}
	return nil
}

// dialect: one writer connection serialises every write, so no record
// locks are needed, and the record sequence is the table's maximum + 1
// (records are never deleted and every write moves a record to the top).
var dialect = sqlstore.Dialect{
	NextSeq: "(SELECT COALESCE(MAX(seq), 0) + 1 FROM records)",
}

// Close lets SQLite refresh its query planner statistics (PRAGMA
// optimize, cheap and bounded) and closes the database.
func (s *Store) Close() error {
	// Best effort: a store that cannot optimise still closes cleanly.
	_, _ = s.db.Writer.Exec("PRAGMA optimize")
	return s.Store.Close()
}
