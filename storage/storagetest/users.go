package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var userTests = []test{
	{"CreateGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := mkUser(t, s, "u1")
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, u)
		got, err = s.GetUserByEmail(ctx, u.Email)
		must(t, err)
		wantEqual(t, got, u)
	}},
	{"CreateEmptyFields", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := storage.User{ID: "bare", Email: "bare@example.com", CreatedAt: t0, UpdatedAt: t0}
		must(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, "bare")
		must(t, err)
		wantEqual(t, got, u)
	}},
	{"DuplicateID", func(t *testing.T, s storage.Store) {
		mkUser(t, s, "u1")
		u := newUser("u1")
		u.Email = "other@example.com"
		wantErr(t, s.CreateUser(ctxFor(t), u), storage.ErrAlreadyExists)
	}},
	{"DuplicateEmailAnyCase", func(t *testing.T, s storage.Store) {
		mkUser(t, s, "u1")
		u := newUser("u2")
		u.Email = "U1@Example.COM"
		wantErr(t, s.CreateUser(ctxFor(t), u), storage.ErrAlreadyExists)
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		_, err := s.GetUser(ctx, "nobody")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetUserByEmail(ctx, "nobody@example.com")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"GetByEmailCaseInsensitive", func(t *testing.T, s storage.Store) {
		u := mkUser(t, s, "alice")
		got, err := s.GetUserByEmail(ctxFor(t), "ALICE@Example.Com")
		must(t, err)
		wantEqual(t, got, u)
	}},
	{"Update", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := mkUser(t, s, "u1")
		want := u
		want.Email = "new@example.com"
		want.Name = "New Name"
		want.Roles = []string{storage.RoleUser, storage.RoleAdmin}
		want.Disabled = true
		want.EmailVerified = false
		want.PasswordHash = []byte("new-hash")
		want.UpdatedAt = at(time.Hour)
		want.Profile = storage.Profile{GivenName: "Ada", FamilyName: "Lovelace", PreferredUsername: "ada",
			Locale: "en-GB", Picture: "https://pics.example/ada.png"}
		must(t, s.UpdateUser(ctx, "u1", func(u *storage.User) error {
			wantEqual(t, *u, newUser("u1"))
			*u = want
			return nil
		}))
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, want)
		got, err = s.GetUserByEmail(ctx, "new@example.com")
		must(t, err)
		wantEqual(t, got, want)
		_, err = s.GetUserByEmail(ctx, u.Email)
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"UpdateNotFound", func(t *testing.T, s storage.Store) {
		called := false
		err := s.UpdateUser(ctxFor(t), "nobody", func(*storage.User) error { called = true; return nil })
		wantErr(t, err, storage.ErrNotFound)
		if called {
			t.Fatal("fn called for a missing user")
		}
	}},
	{"UpdateFnErrorWritesNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := mkUser(t, s, "u1")
		boom := errors.New("boom")
		err := s.UpdateUser(ctx, "u1", func(u *storage.User) error {
			u.Name = "changed"
			return boom
		})
		wantErr(t, err, boom)
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, u)
	}},
	{"UpdateCannotChangeID", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := mkUser(t, s, "u1")
		err := s.UpdateUser(ctx, "u1", func(u *storage.User) error { u.ID = "u2"; return nil })
		if err == nil {
			t.Fatal("UpdateUser let fn change the id")
		}
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, u)
		_, err = s.GetUser(ctx, "u2")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"UpdateEmailTaken", func(t *testing.T, s storage.Store) {
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		err := s.UpdateUser(ctxFor(t), "u2", func(u *storage.User) error { u.Email = "U1@example.com"; return nil })
		wantErr(t, err, storage.ErrAlreadyExists)
	}},
	{"UpdateConcurrentIsAtomic", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = retry(func() error {
					return s.UpdateUser(ctx, "u1", func(u *storage.User) error {
						u.Roles = append(u.Roles, fmt.Sprintf("r%d", i))
						return nil
					})
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		if len(got.Roles) != n+1 {
			t.Fatalf("lost updates: roles %v", got.Roles)
		}
		for i := range n {
			if !slices.Contains(got.Roles, fmt.Sprintf("r%d", i)) {
				t.Fatalf("lost update r%d: roles %v", i, got.Roles)
			}
		}
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		u2 := mkUser(t, s, "u2")
		must(t, s.DeleteUser(ctx, "u1"))
		_, err := s.GetUser(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteUser(ctx, "u1"), storage.ErrNotFound)
		got, err := s.GetUser(ctx, "u2")
		must(t, err)
		wantEqual(t, got, u2)
		// The email is free again.
		must(t, s.CreateUser(ctx, newUser("u1")))
	}},
	{"DeleteCascades", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		mkClient(t, s, "c1")
		for _, uid := range []string{"u1", "u2"} {
			must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs-"+uid, uid)))
			must(t, s.SaveConsent(ctx, newConsent(uid, "c1")))
			mkToken(t, s, storage.KindRefreshToken, "rt-"+uid, "req-"+uid, "c1", uid)
		}
		must(t, s.DeleteUser(ctx, "u1"))
		_, err0 := s.GetTokenSession(ctx, storage.KindRefreshToken, "rt-u1")
		wantErr(t, err0, storage.ErrNotFound)
		_, err0 = s.GetTokenSession(ctx, storage.KindRefreshToken, "rt-u2")
		must(t, err0)
		_, err := s.GetBrowserSession(ctx, "bs-u1", t0)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetConsent(ctx, "u1", "c1")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetBrowserSession(ctx, "bs-u2", t0)
		must(t, err)
		_, err = s.GetConsent(ctx, "u2", "c1")
		must(t, err)
	}},
	{"List", testListUsers},
	{"ListSearch", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for _, id := range []string{"alice", "bob", "a_b", "axb", "malice"} {
			mkUser(t, s, id)
		}
		cases := []struct {
			search string
			want   []string
		}{
			{"", []string{"a_b", "alice", "axb", "bob", "malice"}},
			{"ALICE", []string{"alice", "malice"}},
			{"a_b", []string{"a_b"}},
			{"%", nil},
			{"example.com", []string{"a_b", "alice", "axb", "bob", "malice"}},
			{"nomatch", nil},
		}
		for _, c := range cases {
			us, err := s.ListUsers(ctx, storage.ListOptions{Search: c.search})
			must(t, err)
			if got := userIDs(us); !slices.Equal(got, c.want) {
				t.Errorf("search %q: got %v, want %v", c.search, got, c.want)
			}
		}
	}},
}

// testListUsers checks order (created_at, then id), the default and maximum
// page size, and offsets.
func testListUsers(t *testing.T, s storage.Store) {
	ctx := ctxFor(t)
	const total = 1001
	must(t, storage.InTx(ctx, s, func(ctx context.Context) error {
		// Inserted newest first; users 0 and 1 share a created_at.
		for i := total - 1; i >= 0; i-- {
			u := newUser(fmt.Sprintf("u%04d", i))
			u.CreatedAt = at(time.Duration(max(i, 1)) * time.Second)
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	}))
	wantIDs := func(opts storage.ListOptions, from, n int) {
		t.Helper()
		us, err := s.ListUsers(ctx, opts)
		must(t, err)
		if len(us) != n {
			t.Fatalf("%+v: got %d users, want %d", opts, len(us), n)
		}
		for i, u := range us {
			if want := fmt.Sprintf("u%04d", from+i); u.ID != want {
				t.Fatalf("%+v: user %d is %s, want %s", opts, i, u.ID, want)
			}
		}
	}
	wantIDs(storage.ListOptions{}, 0, 100)
	wantIDs(storage.ListOptions{Limit: 5000}, 0, 1000)
	wantIDs(storage.ListOptions{Limit: 3}, 0, 3)
	wantIDs(storage.ListOptions{Limit: 3, Offset: 1}, 1, 3)
	wantIDs(storage.ListOptions{Limit: 10, Offset: 995}, 995, 6)
	wantIDs(storage.ListOptions{Offset: total}, 0, 0)
}

func userIDs(us []storage.User) []string {
	var ids []string
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}
