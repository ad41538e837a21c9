package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// openTest opens a store on a new file, closed when the test ends, and a
// context that ends after a minute.
func openTest(t *testing.T) (context.Context, *Store) {
	t.Helper()
	return openTestAt(t, filepath.Join(t.TempDir(), "gatehouse.db"))
}

// openTestAt is openTest on the file at path.
func openTestAt(t *testing.T, path string) (context.Context, *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ctx, s
}

// TestTxReusesStatements: inside one transaction a query runs on one
// statement however often it is called, whether the writer had it cached
// or not (Tx.StmtContext would otherwise keep a new one per call until the
// transaction ends).
func TestTxReusesStatements(t *testing.T) {
	ctx, s := openTest(t)
	now := time.Now()
	cachedQuery := `SELECT id FROM users WHERE id = ?`
	if s.writes.stmt(ctx, cachedQuery) == nil {
		t.Fatal("the writer did not cache the query")
	}
	if err := s.CreateUser(ctx, storage.User{ID: "u0", Email: "u0@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	txCtx, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Rollback(txCtx)
	stmts := s.txFrom(txCtx).stmts
	for _, q := range []string{
		cachedQuery,                  // cached on the writer
		`SELECT count(*) FROM users`, // not cached
	} {
		first := stmts.stmt(txCtx, q)
		if first == nil {
			t.Fatalf("no statement for %q", q)
		}
		for range 3 {
			if again := stmts.stmt(txCtx, q); again != first {
				t.Errorf("a new statement for %q on a later call", q)
			}
		}
	}
	// And they work: the transaction writes and reads through them.
	var id string
	if err := s.rq(txCtx).QueryRowContext(txCtx, cachedQuery, "u0").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(txCtx, storage.User{ID: "u1", Email: "u1@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.rq(txCtx).QueryRowContext(txCtx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count in the transaction: %d, %v", n, err)
	}
}

// TestTextColumnsNotNull: every TEXT column is NOT NULL, which the
// queriers' handling of text no store can hold relies on (a write of it
// becomes NULL and must fail; see sqlutil.NullInvalidText).
func TestTextColumnsNotNull(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.reader.QueryContext(ctx, `SELECT m.name, c.name FROM sqlite_schema AS m
		JOIN pragma_table_info(m.name) AS c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		AND upper(c.type) = 'TEXT' AND c."notnull" = 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s.%s is a TEXT column that allows NULL", table, column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestTxWarmsWriterCache: a query a transaction had to prepare for itself
// is prepared on the writer once the transaction ends, committed or
// rolled back, so later transactions reuse it instead of parsing it again.
func TestTxWarmsWriterCache(t *testing.T) {
	ctx, s := openTest(t)
	for _, end := range []struct {
		name  string
		query string
		end   func(context.Context) error
	}{
		{"commit", `SELECT count(*) FROM users WHERE disabled = 0`, s.Commit},
		{"rollback", `SELECT count(*) FROM users WHERE disabled = 1`, s.Rollback},
	} {
		if s.writes.cached(end.query) != nil {
			t.Fatalf("%s: cached before any use", end.name)
		}
		txCtx, err := s.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.rq(txCtx).QueryRowContext(txCtx, end.query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := end.end(txCtx); err != nil {
			t.Fatal(err)
		}
		if s.writes.cached(end.query) == nil {
			t.Errorf("%s: the writer did not cache the transaction's query", end.name)
		}
	}
}
