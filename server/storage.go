package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// OpenStore opens the database a DSN names: "postgres://…" (or
// "postgresql://…") for PostgreSQL, with a connection pool sized by pool;
// "sqlite:///abs/path.db" or a plain file path for SQLite, where pool does
// not apply. The schema is migrated on open.
func OpenStore(ctx context.Context, dsn string, pool PoolConfig) (storage.Store, error) {
	switch {
	case IsPostgres(dsn):
		s, err := postgres.Open(ctx, dsn, postgres.Options{
			MaxConns:         pool.MaxConns,
			MinConns:         pool.MinConns,
			ConnectTimeout:   pool.ConnectTimeout.D(),
			MaxConnLifetime:  pool.MaxConnLife.D(),
			StatementTimeout: pool.StatementTimeout.D(),
			LockTimeout:      pool.LockTimeout.D(),
		})
		if err != nil {
			// Not the DSN: a password may sit in its query too. pgx's
			// errors name the host, user and database.
			return nil, fmt.Errorf("database: %w", err)
		}
		return s, nil
	case strings.Contains(dsn, "://") && !strings.HasPrefix(dsn, "sqlite://"):
		return nil, fmt.Errorf("database: unsupported scheme in %q (use sqlite:///path or a file path)", RedactDSN(dsn))
	}
	path := SQLitePath(dsn)
	if err := requireDir(path); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path)
}

// requireDir refuses a SQLite path whose directory does not exist: a
// mistyped path is an error, not a new directory tree.
func requireDir(path string) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("database: directory %s does not exist (check the database setting, or create it)", dir)
	}
	return nil
}

// RequireDatabase refuses a SQLite database file that does not exist yet
// (a server database is checked on connecting). Commands other than serve
// and migrate call it, so that a mistyped path fails instead of quietly
// answering from a new, empty database.
func RequireDatabase(dsn string) error {
	if dsn == "" || IsPostgres(dsn) || strings.Contains(dsn, "://") && !strings.HasPrefix(dsn, "sqlite://") {
		return nil
	}
	path := SQLitePath(dsn)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s does not exist (check the database setting, or create it with gatehouse migrate)", path)
	} else if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath returns the file path of a SQLite DSN.
func SQLitePath(dsn string) string {
	return strings.TrimPrefix(dsn, "sqlite://")
}

// RedactDSN hides any password in a DSN before it reaches an error message.
func RedactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "…@" + rest[at+1:]
	}
	return scheme + "://" + rest
}

// EnsureDevSecret gives a dev-mode configuration without a secret one that
// survives restarts: generated once and kept beside the SQLite database
// (<database>.secret, mode 0600), so tokens and keys stay valid.
func EnsureDevSecret(cfg *Config) (path string, err error) {
	if !cfg.Dev || cfg.Secret != "" {
		return "", nil
	}
	if strings.Contains(cfg.Database, "://") && !strings.HasPrefix(cfg.Database, "sqlite://") {
		// Never turn a server DSN (with its password) into a local path.
		return "", errors.New("secret: required (set GATEHOUSE_SECRET); dev mode generates one only beside a SQLite database")
	}
	path = SQLitePath(cfg.Database) + ".secret"
	raw, err := os.ReadFile(path)
	if err == nil {
		cfg.Secret = strings.TrimSpace(string(raw))
		if len(cfg.Secret) < MinSecretLength {
			return path, fmt.Errorf("dev secret %s is shorter than %d bytes; delete it to generate a new one", path, MinSecretLength)
		}
		return path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return path, fmt.Errorf("dev secret: %w", err)
	}
	if err := requireDir(path); err != nil {
		return path, err
	}
	cfg.Secret = secret.Token(32)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		other := Config{Dev: true, Database: cfg.Database}
		path, err = EnsureDevSecret(&other)
		cfg.Secret = other.Secret
		return path, err
	}
	if err != nil {
		return path, fmt.Errorf("dev secret: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(cfg.Secret + "\n"); err != nil {
		return path, fmt.Errorf("dev secret: %w", err)
	}
	return path, nil
}
