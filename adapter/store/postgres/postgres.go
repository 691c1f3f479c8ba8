// Package postgres is the scale-out store: PostgreSQL through a pgx pool,
// safe for several ivbridge instances on one database.
//
// Across instances: writers of one record serialise on a transaction-scoped
// advisory lock keyed by the schema and "kind/id", so the version check
// and the write are one step and 50 racing versions leave the newest;
// outbox claims select with FOR UPDATE SKIP LOCKED, so two instances never
// lease the same entry, and a lane's next entry is not claimable while an
// earlier one is pending (leased or not) or dead. Record sequence values
// and outbox entries are assigned at the end of a write under a short
// transaction-scoped lock, so they become visible in order and a reader
// paging by Seq never skips a record committed late. Schema migrations take an
// advisory lock, so instances starting together migrate once.
//
// Durability is the server's: a commit returns after its WAL is flushed
// (synchronous_commit=on, fsync=on, the defaults).
//
// The DSN is a libpq URL or keyword/value string; pgxpool settings such as
// pool_max_conns and runtime parameters such as search_path can be given
// in it.
package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	*sqlstore.Store
	db sqlstore.PgxDB
}

var _ store.Store = (*Store)(nil)

// writeRetries bounds the retries of a write that hit a serialisation
// failure or deadlock.
const writeRetries = 5

// Open connects to dsn and brings the schema (in the connection's
// search_path) up to date. Opening an existing, current database changes
// nothing.
func Open(ctx context.Context, dsn string, opts ...store.Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's error repeats the DSN, which may hold a password.
		return nil, fmt.Errorf("postgres: open: %w: unparsable DSN", store.ErrInvalid)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := sqlstore.PgxDB{Pool: pool, Retries: writeRetries}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	o := store.Apply(opts...)
	ms, err := sqlstore.LoadMigrations(migrations, "migrations")
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := sqlstore.Migrate(ctx, db, ms, migrationLock, o.Now()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{Store: sqlstore.New(db, dialect, o), db: db}, nil
}

// Locks are keyed by the schema too, so stores in different schemas of
// one database (tests, tenants) never wait on each other.
const migrationLock = `SELECT pg_advisory_xact_lock(hashtextextended(COALESCE(current_schema(), '') || '/ivbridge-schema-migrations', 0))`

var dialect = sqlstore.Dialect{
	LockRecord: `SELECT pg_advisory_xact_lock(hashtextextended(COALESCE(current_schema(), '') || '/record/' || $1::text, 0))`,
	NextSeq:    `nextval('record_seq')`,
	SeqLock:    `SELECT pg_advisory_xact_lock(hashtextextended(COALESCE(current_schema(), '') || '/ivbridge-record-seq', 0))`,
	ForUpdate:  `FOR UPDATE`,
	ClaimLock:  `FOR UPDATE OF o SKIP LOCKED`,
	// One group commits under SeqLock while the next prepares.
	GroupSlots: 2,
}
