package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

// migrationFiles holds the schema as numbered files, NNNN_name.sql, applied
// in order. A file, once released, never changes: add a new one instead.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded migrations, ordered by version.
func loadMigrations() ([]sqlutil.Migration, error) {
	ms, err := sqlutil.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// migrateLock is the first key of the advisory lock that serialises
// migrations; the second is a hash of the schema, so databases holding
// several Gatehouse schemas migrate each independently.
const migrateLock = 0x67617465 // "gate"

// Migrate applies the migrations the schema lacks, all in one transaction
// that first takes a transaction-scoped advisory lock: when several nodes
// start at once, one migrates and the others wait for its commit, then find
// nothing left to do. PostgreSQL's DDL is transactional, so a failed
// migration leaves the schema as it was. A schema newer than this binary is
// an error.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return applyMigrations(ctx, tx, ms) })
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	return nil
}

func applyMigrations(ctx context.Context, tx pgx.Tx, ms []sqlutil.Migration) error {
	// Another node may hold the lock for as long as its migration takes.
	for _, set := range []string{`SET LOCAL statement_timeout = 0`, `SET LOCAL lock_timeout = 0`} {
		if _, err := tx.Exec(ctx, set); err != nil {
			return fmt.Errorf("timeouts: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`,
		int32(migrateLock)); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if latest := ms[len(ms)-1].Version; current > latest {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", current, latest)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, toTime(time.Now())); err != nil {
			return fmt.Errorf("record %s: %w", m.Name, err)
		}
	}
	return nil
}
