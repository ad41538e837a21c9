package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
	"github.com/gatehouse-id/gatehouse/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

// open opens path for the test and closes it after; a hang fails.
func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTwoStoresOneFile is the server and the CLI on one database: both open
// (and migrate) it at once, each writes while the other reads, and every
// write is seen by the other.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	stores := make([]*sqlite.Store, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	server, cli := stores[0], stores[1]

	const n = 30
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(s *sqlite.Store, prefix string) error {
		for i := range n {
			id := fmt.Sprintf("%s%02d", prefix, i)
			u := storage.User{ID: id, Email: id + "@example.com", CreatedAt: created, UpdatedAt: created}
			if err := retry(func() error { return s.CreateUser(ctx, u) }); err != nil {
				return err
			}
		}
		return nil
	}
	// readUntil polls s until it lists every user the other store wrote.
	readUntil := func(s *sqlite.Store, prefix string) error {
		for {
			us, err := s.ListUsers(ctx, storage.ListOptions{Search: prefix})
			if err != nil {
				return err
			}
			if len(us) == n {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			runtime.Gosched()
		}
	}
	errs := make(chan error, 4)
	go func() { errs <- write(server, "srv") }()
	go func() { errs <- write(cli, "cli") }()
	go func() { errs <- readUntil(cli, "srv") }()
	go func() { errs <- readUntil(server, "cli") }()
	hang := time.After(2 * time.Minute)
	for range 4 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-hang:
			t.Fatal("two stores on one file hung")
		}
	}

	// A transaction in one store holds the write lock; the other store's
	// reads go on and its writes wait for it, then succeed.
	txCtx, err := server.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.UpdateUser(txCtx, "cli00", func(u *storage.User) error { u.Name = "by server"; return nil }); err != nil {
		t.Fatal(err)
	}
	if u, err := cli.GetUser(ctx, "cli00"); err != nil || u.Name != "" {
		t.Fatalf("cli read during the server's tx: %+v, %v", u, err)
	}
	done := make(chan error, 1)
	go func() {
		done <- retry(func() error {
			return cli.UpdateUser(ctx, "srv00", func(u *storage.User) error { u.Name = "by cli"; return nil })
		})
	}()
	if err := server.Commit(txCtx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for s, want := range map[*sqlite.Store]map[string]string{
		server: {"srv00": "by cli"},
		cli:    {"cli00": "by server"},
	} {
		for id, name := range want {
			if u, err := s.GetUser(ctx, id); err != nil || u.Name != name {
				t.Errorf("%s: %+v, %v; want name %q", id, u, err, name)
			}
		}
	}
}

// TestMigrateIdempotent checks that migrating a migrated file changes
// nothing: one row per migration in schema_migrations, data intact.
func TestMigrateIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s := open(t, path)
	u := storage.User{ID: "u1", Email: "u1@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	again := open(t, path) // Open migrates too
	if _, err := again.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	var rows, distinct int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(files) || distinct != len(files) {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", rows, distinct, len(files))
	}
}

func TestOpenFails(t *testing.T) {
	_, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "missing", "dir", "gatehouse.db"))
	if err == nil {
		t.Fatal("Open succeeded in a missing directory")
	}
}

// retry repeats fn, a bounded number of times, while the other store held
// the write lock past the busy timeout.
func retry(fn func() error) error {
	var err error
	for range 20 {
		if err = fn(); !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return err
}

// TestFileOwnerOnly: a new database file is readable by its owner only:
// it holds password hashes and token sessions.
func TestFileOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perm.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", filepath.Base(p), perm)
		}
	}
}
