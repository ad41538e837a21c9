package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var txTests = []test{
	{"InTransactionMarks", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		if storage.InTransaction(ctx) {
			t.Fatal("a plain context reads as in a transaction")
		}
		for _, commit := range []bool{true, false} {
			txCtx, err := s.BeginTx(ctx)
			must(t, err)
			nested, err := s.BeginTx(txCtx)
			must(t, err)
			if !storage.InTransaction(txCtx) || !storage.InTransaction(nested) {
				t.Fatal("a transaction's context does not read as in a transaction")
			}
			must(t, s.Commit(nested)) // a nested end ends nothing
			if !storage.InTransaction(txCtx) {
				t.Fatal("the nested commit ended the outer transaction's mark")
			}
			if commit {
				must(t, s.Commit(txCtx))
			} else {
				must(t, s.Rollback(txCtx))
			}
			if storage.InTransaction(txCtx) || storage.InTransaction(nested) {
				t.Fatalf("still in a transaction after it ended (commit %v)", commit)
			}
		}
	}},
	{"InTxPanicRollsBack", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("InTx swallowed the panic")
				}
			}()
			_ = storage.InTx(ctx, s, func(ctx context.Context) error {
				must(t, s.UpdateUser(ctx, "u1", func(u *storage.User) error { u.Name = "half done"; return nil }))
				panic("a bug in the middle of a transaction")
			})
		}()
		// Rolled back at once, not when ctx ends: the change is gone and
		// the row (on SQLite, the one writer) is free for the next caller.
		// The deadline turns a wait for ever into a failure.
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		must(t, s.UpdateUser(wctx, "u1", func(u *storage.User) error {
			if u.Name == "half done" {
				t.Error("the panicked transaction's change was kept")
			}
			return nil
		}))
	}},
	{"CommitVisible", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		txCtx, err := s.BeginTx(ctx)
		must(t, err)
		must(t, s.CreateUser(txCtx, newUser("u1")))
		must(t, s.Commit(txCtx))
		_, err = s.GetUser(ctx, "u1")
		must(t, err)
	}},
	{"RollbackInvisible", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		txCtx, err := s.BeginTx(ctx)
		must(t, err)
		must(t, s.CreateUser(txCtx, newUser("u1")))
		must(t, s.CreateTokenSession(txCtx, newToken(kAccess, "at1", "req1", "c1", "u1")))
		must(t, s.DeleteClient(txCtx, "c1"))
		must(t, s.Rollback(txCtx))
		_, err = s.GetUser(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		if tokenExists(t, s, kAccess, "at1") {
			t.Error("rolled-back token session visible")
		}
		_, err = s.GetClient(ctx, "c1")
		must(t, err)
	}},
	{"UncommittedInvisibleOutside", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		txCtx, err := s.BeginTx(ctx)
		must(t, err)
		defer s.Rollback(txCtx)
		must(t, s.CreateUser(txCtx, newUser("u1")))
		_, err = s.GetUser(ctx, "u1") // a read outside must not wait for the tx
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.Commit(txCtx))
		_, err = s.GetUser(ctx, "u1")
		must(t, err)
	}},
	{"ReadsSeeOwnWrites", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u0")
		txCtx, err := s.BeginTx(ctx)
		must(t, err)
		defer s.Rollback(txCtx)
		must(t, s.CreateUser(txCtx, newUser("u1")))
		must(t, s.UpdateUser(txCtx, "u0", func(u *storage.User) error { u.Name = "in tx"; return nil }))
		must(t, s.CreateClient(txCtx, newClient("c1")))
		must(t, s.CreateTokenSession(txCtx, newToken(kRefresh, "rt1", "req1", "c1", "u1")))
		must(t, s.CreateKey(txCtx, newKey("k1", t0)))
		must(t, s.CreateBrowserSession(txCtx, newBrowserSession("bs1", "u1")))
		must(t, s.SaveConsent(txCtx, newConsent("u1", "c1")))

		if _, err := s.GetUserByEmail(txCtx, "U1@example.com"); err != nil {
			t.Errorf("GetUserByEmail: %v", err)
		}
		if u, err := s.GetUser(txCtx, "u0"); err != nil || u.Name != "in tx" {
			t.Errorf("GetUser after UpdateUser: %+v, %v", u, err)
		}
		if us, err := s.ListUsers(txCtx, storage.ListOptions{}); err != nil || len(us) != 2 {
			t.Errorf("ListUsers: %d users, %v", len(us), err)
		}
		if _, err := s.GetClient(txCtx, "c1"); err != nil {
			t.Errorf("GetClient: %v", err)
		}
		if _, err := s.GetTokenSession(txCtx, kRefresh, "rt1"); err != nil {
			t.Errorf("GetTokenSession: %v", err)
		}
		if ks, err := s.ListKeys(txCtx); err != nil || len(ks) != 1 {
			t.Errorf("ListKeys: %v, %v", ks, err)
		}
		if _, err := s.GetBrowserSession(txCtx, "bs1", t0); err != nil {
			t.Errorf("GetBrowserSession: %v", err)
		}
		if cs, err := s.ListConsents(txCtx, "u1"); err != nil || len(cs) != 1 {
			t.Errorf("ListConsents: %v, %v", cs, err)
		}
		must(t, s.RotateRefreshToken(txCtx, "req1", "rt1", t0, 0))
		if rt, err := s.GetTokenSession(txCtx, kRefresh, "rt1"); err != nil || rt.Active {
			t.Errorf("rotated token in tx: %+v, %v", rt, err)
		}
	}},
	{"NestedJoins", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		outer, err := s.BeginTx(ctx)
		must(t, err)
		inner, err := s.BeginTx(outer)
		must(t, err)
		must(t, s.CreateUser(inner, newUser("u1")))
		must(t, s.Commit(inner)) // nested: does nothing
		_, err = s.GetUser(outer, "u1")
		must(t, err)
		must(t, s.Rollback(outer))
		_, err = s.GetUser(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"NestedRollbackLeavesOuter", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		boom := errors.New("boom")
		err := storage.InTx(ctx, s, func(ctx context.Context) error {
			if err := s.CreateUser(ctx, newUser("u1")); err != nil {
				return err
			}
			err := storage.InTx(ctx, s, func(ctx context.Context) error {
				if err := s.CreateUser(ctx, newUser("u2")); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return fmt.Errorf("inner InTx: got %v, want boom", err)
			}
			return nil // the outermost caller decides: commit
		})
		must(t, err)
		for _, id := range []string{"u1", "u2"} {
			_, err := s.GetUser(ctx, id)
			must(t, err)
		}
	}},
	{"MethodsJoinOuterTx", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		mkToken(t, s, kRefresh, "rt1", "req1", "c1", "u1")
		mkToken(t, s, kAccess, "at1", "req1", "c1", "u1")
		must(t, s.CreateKey(ctx, newKey("k1", t0)))
		txCtx, err := s.BeginTx(ctx)
		must(t, err)
		must(t, s.UpdateUser(txCtx, "u1", func(u *storage.User) error { u.Name = "x"; return nil }))
		must(t, s.UpdateClient(txCtx, "c1", func(c *storage.Client) error { c.Name = "x"; return nil }))
		must(t, s.UpdateKey(txCtx, "k1", func(k *storage.Key) error { k.RetireAt = t0; return nil }))
		must(t, s.RotateRefreshToken(txCtx, "req1", "rt1", t0, 0))
		must(t, s.RevokeSubjectTokens(txCtx, "u1", ""))
		must(t, s.Rollback(txCtx))
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, u)
		if c, _ := s.GetClient(ctx, "c1"); c.Name == "x" {
			t.Error("UpdateClient survived rollback")
		}
		if ks, _ := s.ListKeys(ctx); len(ks) != 1 || !ks[0].RetireAt.IsZero() {
			t.Errorf("UpdateKey survived rollback: %+v", ks)
		}
		if rt, _ := s.GetTokenSession(ctx, kRefresh, "rt1"); !rt.Active {
			t.Error("RotateRefreshToken survived rollback")
		}
		if !tokenExists(t, s, kAccess, "at1") {
			t.Error("access token deletion survived rollback")
		}
	}},
	{"EndWithoutTx", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		if err := s.Commit(ctx); err == nil {
			t.Error("Commit without a transaction succeeded")
		}
		if err := s.Rollback(ctx); err == nil {
			t.Error("Rollback without a transaction succeeded")
		}
	}},
	{"ConcurrentRotateOneWins", testConcurrentRotate},
}

// testConcurrentRotate races n refreshes of one refresh token, each in its
// own transaction as fosite runs them: exactly one may win.
func testConcurrentRotate(t *testing.T, s storage.Store) {
	ctx := ctxFor(t)
	mkClient(t, s, "c1")
	mkToken(t, s, kRefresh, "rt0", "req1", "c1", "u1")
	mkToken(t, s, kAccess, "at0", "req1", "c1", "u1")

	const n = 8
	start := make(chan struct{})
	results := make(chan error, n)
	for i := range n {
		go func() {
			<-start
			results <- storage.InTx(ctx, s, func(ctx context.Context) error {
				if err := s.RotateRefreshToken(ctx, "req1", "rt0", t0, 0); err != nil {
					return err
				}
				if err := s.CreateTokenSession(ctx, newToken(kAccess, fmt.Sprintf("at%d", i+1), "req1", "c1", "u1")); err != nil {
					return err
				}
				return s.CreateTokenSession(ctx, newToken(kRefresh, fmt.Sprintf("rt%d", i+1), "req1", "c1", "u1"))
			})
		}()
	}
	close(start)

	wins := 0
	hang := time.After(hangTimeout)
	for range n {
		select {
		case err := <-results:
			switch {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		case <-hang:
			t.Fatal("concurrent rotations hung")
		}
	}
	if wins != 1 {
		t.Fatalf("%d rotations won, want exactly 1", wins)
	}
	issued := 0
	for i := 1; i <= n; i++ {
		rt := tokenExists(t, s, kRefresh, fmt.Sprintf("rt%d", i))
		at := tokenExists(t, s, kAccess, fmt.Sprintf("at%d", i))
		if rt != at {
			t.Errorf("attempt %d left half its writes: refresh %v, access %v", i, rt, at)
		}
		if rt {
			issued++
		}
	}
	if issued != 1 {
		t.Errorf("%d new token pairs stored, want 1", issued)
	}
	if tokenExists(t, s, kAccess, "at0") {
		t.Error("the old access token survived the rotation")
	}
	if rt, err := s.GetTokenSession(ctx, kRefresh, "rt0"); err != nil || rt.Active {
		t.Errorf("old refresh token: %+v, %v; want inactive", rt, err)
	}
}
