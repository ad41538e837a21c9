package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
	"github.com/gatehouse-id/gatehouse/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, pgtest.DSN(t))
	})
}

// open opens dsn for the test and closes it after; a hang fails.
func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 10, ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestNodesMigrateAtOnce opens several stores (nodes) on one empty schema
// at the same moment: the advisory lock lets one migrate while the others
// wait, so every open succeeds and each migration is recorded once.
func TestNodesMigrateAtOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 4
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), dsn, postgres.Options{MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	if err := conn.QueryRow(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || rows < 2 {
		t.Fatalf("schema_migrations: %d rows, %d versions", rows, distinct)
	}
}

// TestNodesRotateOneWins races the same refresh-token rotation on two
// stores with their own pools, as two nodes would: exactly one wins, and
// every loser sees ErrNotFound (the token is used), never a conflict that
// would ask the client to retry.
func TestNodesRotateOneWins(t *testing.T) {
	dsn := pgtest.DSN(t)
	nodes := []*postgres.Store{open(t, dsn), open(t, dsn)}
	ctx := t.Context()
	now := time.Now()
	if err := nodes[0].CreateClient(ctx, storage.Client{ID: "c1", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		req, sig := fmt.Sprintf("req%d", round), fmt.Sprintf("rt%d", round)
		for _, kind := range []storage.TokenKind{storage.KindRefreshToken, storage.KindAccessToken} {
			if err := nodes[0].CreateTokenSession(ctx, storage.TokenSession{Kind: kind, Signature: sig,
				RequestID: req, ClientID: "c1", Subject: "u1", Active: true, RequestedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		const n = 6
		results := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			s := nodes[i%2]
			go func() {
				<-start
				results <- storage.InTx(ctx, s, func(ctx context.Context) error {
					if err := s.RotateRefreshToken(ctx, req, sig, now, 0); err != nil {
						return err
					}
					return s.CreateTokenSession(ctx, storage.TokenSession{Kind: storage.KindRefreshToken,
						Signature: fmt.Sprintf("%s-next%d", sig, i), RequestID: req, ClientID: "c1",
						Subject: "u1", Active: true, RequestedAt: now})
				})
			}()
		}
		close(start)
		wins := 0
		for range n {
			switch err := <-results; {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrNotFound):
			default:
				t.Errorf("round %d: loser got %v, want ErrNotFound", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d rotations won, want 1", round, wins)
		}
	}
}

// TestNodesCreateFirstKeyOnce runs the first-key check-then-create of two
// starting nodes at once: UpdateKeys locks the key set, so
// the second sees the first's key and creates none.
func TestNodesCreateFirstKeyOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	nodes := []*postgres.Store{open(t, dsn), open(t, dsn)}
	ctx := t.Context()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(nodes))
	for i, s := range nodes {
		wg.Go(func() {
			<-start
			errs[i] = s.UpdateKeys(ctx, func(ks []storage.Key) ([]storage.Key, error) {
				if len(ks) > 0 {
					return ks, nil
				}
				now := time.Now()
				return []storage.Key{{ID: fmt.Sprintf("k%d", i), Algorithm: "RS256", CreatedAt: now, SignFrom: now}}, nil
			})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ks, err := nodes[0].ListKeys(ctx)
	if err != nil || len(ks) != 1 {
		t.Fatalf("keys after two first-key races: %+v, %v; want exactly one", ks, err)
	}
}

// TestAbortedTxCannotCommit: after a failed statement PostgreSQL refuses
// the rest of the transaction; Commit must report it, not pretend.
func TestAbortedTxCannotCommit(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	now := time.Now()
	u := storage.User{ID: "u1", Email: "u1@example.com", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	txCtx, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u2 := storage.User{ID: "u2", Email: "u2@example.com", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(txCtx, u2); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(txCtx, u); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("duplicate in tx: %v", err)
	}
	if err := s.Commit(txCtx); err == nil {
		t.Fatal("an aborted transaction committed")
	}
	if _, err := s.GetUser(ctx, "u2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("u2 after the failed commit: %v", err)
	}
}

func TestOpenFailsWithoutLeakingPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for _, dsn := range []string{
		"postgres://gatehouse:hunter2-secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=5",
		"postgres://gatehouse:hunter2-secret@127.0.0.1:1/none?sslmode=bogus",
	} {
		_, err := postgres.Open(ctx, dsn, postgres.Options{ConnectTimeout: 5 * time.Second})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

// TestDeadlockIsConflict makes two transactions lock two users in opposite
// orders: PostgreSQL aborts one of them (SQLSTATE 40P01), which must come
// back as storage.ErrConflict, the retryable error, while the other commits.
func TestDeadlockIsConflict(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	now := time.Now()
	for _, id := range []string{"u1", "u2"} {
		if err := s.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	rename := func(ctx context.Context, id string) error {
		return s.UpdateUser(ctx, id, func(u *storage.User) error { u.Name = "x"; return nil })
	}
	var (
		wg       sync.WaitGroup
		firstSet sync.WaitGroup // both hold their first lock
		errs     [2]error
	)
	firstSet.Add(2)
	for i, order := range [][2]string{{"u1", "u2"}, {"u2", "u1"}} {
		wg.Go(func() {
			errs[i] = storage.InTx(ctx, s, func(ctx context.Context) error {
				err := rename(ctx, order[0])
				firstSet.Done()
				if err != nil {
					return err
				}
				firstSet.Wait()
				return rename(ctx, order[1])
			})
		})
	}
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, storage.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if conflicts != 1 {
		t.Fatalf("errors %v: want exactly one ErrConflict", errs)
	}
}

// TestEmailCaseFoldingIsASCII: emails compare case-insensitively for ASCII
// letters only, as on SQLite, whatever the database's locale, and the
// lookup agrees with the unique index.
func TestEmailCaseFoldingIsASCII(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	now := time.Now()
	if err := s.CreateUser(ctx, storage.User{ID: "u1", Email: "Ärger@Example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUserByEmail(ctx, "Ärger@EXAMPLE.COM"); err != nil {
		t.Errorf("ASCII case differs: %v", err)
	}
	if _, err := s.GetUserByEmail(ctx, "ärger@example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("non-ASCII case folded: %v", err)
	}
	err := s.CreateUser(ctx, storage.User{ID: "u2", Email: "ärger@example.com", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Errorf("an address differing in a non-ASCII letter's case was refused: %v", err)
	}
	err = s.CreateUser(ctx, storage.User{ID: "u3", Email: "ÄRGER@example.com", CreatedAt: now, UpdatedAt: now})
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("an address differing in ASCII case only: %v, want ErrAlreadyExists", err)
	}
}

// TestTextColumnsNotNull: every text and text[] column is NOT NULL, which
// the handling of text PostgreSQL cannot hold relies on (a write of it is
// sent as NULL and must fail; see sqlutil.NullInvalidText).
func TestTextColumnsNotNull(t *testing.T) {
	dsn := pgtest.DSN(t)
	open(t, dsn) // migrates
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	rows, err := conn.Query(t.Context(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'ARRAY') AND is_nullable = 'YES'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s.%s is a text column that allows NULL", table, column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
