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
// (e.g. a backup) touching the file. The WAL is copied into the database
// file by a background checkpointer on a connection of its own, not by
// the commit of whichever write crosses the WAL size limit, so no write
// waits for a checkpoint (see checkpointer).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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
	db   sqlstore.SQLDB
	ckpt *checkpointer
}

var _ store.Store = (*Store)(nil)

// pragmas apply to every connection. temp_store(2) keeps temporary
// files in memory, statement journals among them: a multi-row upsert of
// a record's resources journals every page it changes, and past 64 KiB
// SQLite moved that journal to a temporary file, a write syscall per
// page, inside the single writer's transaction.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=analysis_limit(400)&_pragma=temp_store(2)"

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
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
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
	ckdb, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err == nil {
		ckdb.SetMaxOpenConns(1)
		err = ckdb.PingContext(ctx)
		if err != nil {
			_ = ckdb.Close()
		}
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: checkpointer: %w", path, err)
	}
	ckpt := startCheckpointer(ckdb)
	odb := &optimizingDB{SQLDB: db, readers: n, ckpt: ckpt}
	return &Store{Store: sqlstore.New(odb, dialect, o), db: db, ckpt: ckpt}, nil
}

// checkpointEvery is how many write transactions pass between two
// background checkpoints: a record write adds a few dozen WAL pages (a
// group commit a few times that), so this keeps the WAL within a few
// times SQLite's default autocheckpoint size (1000 pages).
const checkpointEvery = 16

// checkpointer copies the WAL into the database file on a connection of
// its own, off the write path. SQLite's automatic checkpoint would run
// inside the commit of whichever write crosses the WAL size limit, on
// the single writer connection, so every write queued behind it would
// wait for the copy and its fsync of the database file. A PASSIVE
// checkpoint never blocks the writer or the readers, and the writer
// restarts the WAL from its beginning once a checkpoint has copied it
// all. Durability does not depend on it: a commit is durable once its
// WAL frames are fsynced (synchronous=FULL).
type checkpointer struct {
	db       *sql.DB
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// request asks for a checkpoint soon; it never blocks.
func (c *checkpointer) request() {
	select {
	case c.kick <- struct{}{}:
	default: // one is already pending
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
			// Best effort: a failed checkpoint leaves the frames in
			// the WAL, where they are read and copied next time.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// close stops the checkpointer and closes its connection; closing twice
// (a Store closed twice) is harmless.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
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
	ckpt    *checkpointer
}

// Write runs fn and, every optimizeEvery writes, PRAGMA optimize.
func (d *optimizingDB) Write(ctx context.Context, fn func(sqlstore.Querier) error) error {
	if err := d.SQLDB.Write(ctx, fn); err != nil {
		return err
	}
	n := d.writes.Add(1)
	if n%checkpointEvery == 0 {
		d.ckpt.request()
	}
	if n%optimizeEvery == 0 {
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
	// The claim wants the oldest pending entries in seq order. seq is
	// the outbox's rowid, so SQLite prefers scanning the table in rowid
	// order, through every entry already done, over the partial index
	// of pending ones: a claim then cost as much as the outbox's
	// history (with statistics taken while all was pending, always).
	ClaimIndex: "INDEXED BY outbox_pending",
	JSONInList: true,
}

// Close lets SQLite refresh its query planner statistics (PRAGMA
// optimize, cheap and bounded) and closes the database.
func (s *Store) Close() error {
	// Best effort: a store that cannot optimise still closes cleanly.
	_, _ = s.db.Writer.Exec("PRAGMA optimize")
	return errors.Join(s.ckpt.close(), s.Store.Close())
}
