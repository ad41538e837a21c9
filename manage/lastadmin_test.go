package manage_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestAdminsDemotingEachOtherKeepOne: two admins demoted at the same
// moment, each by the other, never leave the server without an admin, on
// either backend: one change wins and the other is refused or retried.
func TestAdminsDemotingEachOtherKeepOne(t *testing.T) {
	backends := map[string]func(t *testing.T) storage.Store{
		"sqlite": func(t *testing.T) storage.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) storage.Store {
			dsn := pgtest.DSN(t)
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			acc, err := accounts.New(store, 4)
			if err != nil {
				t.Fatal(err)
			}
			svc := &manage.Service{Store: store, Accounts: acc}
			ctx := context.Background()
			for round := range 10 {
				var ids [2]string
				for i := range ids {
					u, err := acc.CreateUser(ctx, accounts.NewUser{
						Email: string(rune('a'+round)) + string(rune('0'+i)) + "@example.com", Name: "Admin", Password: "admin password", Roles: []string{storage.RoleAdmin},
					})
					if err != nil {
						t.Fatal(err)
					}
					ids[i] = u.ID
				}
				userOnly := []string{storage.RoleUser}
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range ids {
					wg.Go(func() {
						// Each admin demotes the other.
						_, errs[i] = svc.UpdateUser(ctx, manage.Actor{ID: ids[i]}, ids[1-i], manage.UserChange{Roles: &userOnly})
					})
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil && !errors.Is(err, manage.ErrLastAdmin) && !errors.Is(err, storage.ErrConflict) {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				admins := 0
				for _, id := range ids {
					u, err := store.GetUser(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if slices.Contains(u.Roles, storage.RoleAdmin) {
						admins++
					}
				}
				if admins == 0 {
					t.Fatalf("round %d: both admins demoted (errors %v)", round, errs)
				}
				// The next round starts without admins: delete both
				// through the store (manage would refuse the last one).
				for _, id := range ids {
					if err := store.DeleteUser(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
