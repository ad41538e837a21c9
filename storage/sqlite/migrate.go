package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

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
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// Migrate applies the migrations the database lacks, all in one immediate
// transaction: a second process migrating the same file at the same time
// waits for the write lock, then finds nothing left to do. A database newer
// than this binary is an error.
//
// Foreign keys are off while migrations run, on the writer connection and
// before the transaction (SQLite ignores the pragma inside one), so a
// migration that rebuilds a table (create, copy, drop, rename) does not
// cascade-delete its children; foreign_key_check then verifies the result
// before the commit.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", mapErr(err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", mapErr(err))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck // best effort; a failure closes nothing
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", mapErr(err))
	}
	if err := applyMigrations(ctx, tx, ms); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: commit: %w", mapErr(err))
	}
	return nil
}

func applyMigrations(ctx context.Context, tx *sql.Tx, ms []sqlutil.Migration) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return mapErr(err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return mapErr(err)
	}
	if latest := ms[len(ms)-1].Version; current > latest {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", current, latest)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply %s: %w", m.Name, mapErr(err))
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, toTime(time.Now())); err != nil {
			return fmt.Errorf("record %s: %w", m.Name, mapErr(err))
		}
	}
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("migrations left rows that break a foreign key")
	}
	return rows.Err()
}
