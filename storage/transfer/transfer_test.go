package transfer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
	"github.com/gatehouse-id/gatehouse/storage/transfer"
)

var t0 = time.Date(2030, 5, 6, 7, 8, 9, 123456000, time.UTC)

// targets open an empty store of each backend.
var targets = map[string]func(t *testing.T) storage.Store{
	"sqlite": func(t *testing.T) storage.Store { return openSQLite(t) },
	"postgres": func(t *testing.T) storage.Store {
		s, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

func openSQLite(t *testing.T) storage.Store {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seed fills s with n users (each with a consent and an identity), two
// clients, two keys, and short-lived rows that must not be copied.
func seed(t *testing.T, s storage.Store, n int) {
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"app", "cli"} {
		must(s.CreateClient(ctx, storage.Client{ID: id, Name: "Client " + id, SecretHash: []byte("hmac-" + id),
			RedirectURIs: []string{"https://" + id + ".example/cb"}, GrantTypes: []string{"authorization_code"},
			Scopes: []string{"openid"}, CreatedAt: t0, UpdatedAt: t0}))
	}
	for i := range n {
		id := fmt.Sprintf("u%04d", i)
		must(s.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com", EmailVerified: i%2 == 0,
			Name: "User " + id, PasswordHash: []byte("$2a$04$" + id), Roles: []string{"user"},
			Disabled: i%3 == 0, CreatedAt: t0.Add(time.Duration(i) * time.Second), UpdatedAt: t0}))
		must(s.SaveConsent(ctx, storage.Consent{UserID: id, ClientID: "app", Scopes: []string{"openid"}, GrantedAt: t0}))
		must(s.CreateIdentity(ctx, storage.Identity{Provider: "github", Subject: "gh-" + id, UserID: id,
			Email: id + "@github.example", CreatedAt: t0, LastLoginAt: t0}))
		must(s.CreatePasskey(ctx, storage.Passkey{CredentialID: []byte("cred-" + id), UserID: id, Name: "Key",
			Credential: []byte(`{}`), SignCount: 3, CreatedAt: t0, LastUsedAt: t0}))
		if i%10 == 0 {
			must(s.CreateTOTP(ctx, storage.TOTP{UserID: id, Secret: []byte("sealed-" + id), Confirmed: true,
				LastStep: int64(1000 + i), CreatedAt: t0, LastUsedAt: t0.Add(time.Minute)}))
		}
		if i%20 == 0 {
			must(s.ReplaceRecoveryCodes(ctx, id, []string{"h1-" + id, "h2-" + id}, t0))
		}
	}
	for i, id := range []string{"k-old", "k-new"} {
		k := storage.Key{ID: id, Algorithm: "RS256", PrivateKey: []byte("sealed-" + id), PublicJWK: []byte(`{"kid":"` + id + `"}`),
			CreatedAt: t0, SignFrom: t0.Add(time.Duration(i) * time.Hour)}
		if i == 0 {
			k.RetireAt = t0.Add(48 * time.Hour)
		}
		must(s.CreateKey(ctx, k))
	}
	// Short-lived state: not copied.
	must(s.CreateTokenSession(ctx, storage.TokenSession{Kind: storage.KindRefreshToken, Signature: "rt", RequestID: "r",
		ClientID: "app", Subject: "u0000", Active: true, RequestedAt: t0}))
	must(s.CreateBrowserSession(ctx, storage.BrowserSession{ID: "bs", UserID: "u0000", AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(s.CreateOneTimeToken(ctx, storage.OneTimeToken{Hash: "h", Purpose: storage.PurposePasswordReset, UserID: "u0000",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	if _, _, err := s.IncrementCounter(ctx, "login:x", time.Hour, t0); err != nil {
		t.Fatal(err)
	}
}

func TestCopy(t *testing.T) {
	// More users than one listing page, so paging is exercised.
	const n = 1003
	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			from := openSQLite(t)
			seed(t, from, n)
			to := open(t)
			st, err := transfer.Copy(ctx, from, to, transfer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			factors := (n+9)/10 + (n+19)/20
			want := transfer.Stats{Users: n, Clients: 2, Consents: n, Identities: n, SecondFactors: factors, Passkeys: n, Keys: 2}
			if st != want {
				t.Fatalf("stats %+v, want %+v", st, want)
			}
			sameData(t, from, to)
			for _, id := range []string{"u0000", "u0010", "u0020", "u0001"} {
				ft, ferr := from.GetTOTP(ctx, id)
				tt, terr := to.GetTOTP(ctx, id)
				if errors.Is(terr, storage.ErrNotFound) != errors.Is(ferr, storage.ErrNotFound) || !reflect.DeepEqual(ft, tt) {
					t.Errorf("totp of %s: copied %+v (%v), source %+v (%v)", id, tt, terr, ft, ferr)
				}
				fc, _ := from.ListRecoveryCodes(ctx, id)
				tc, _ := to.ListRecoveryCodes(ctx, id)
				if len(fc) != len(tc) || (len(fc) > 0 && !reflect.DeepEqual(fc, tc)) {
					t.Errorf("recovery codes of %s: copied %+v, source %+v", id, tc, fc)
				}
			}

			if _, err := to.GetTokenSession(ctx, storage.KindRefreshToken, "rt"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("a token session was copied: %v", err)
			}
			if _, err := to.GetBrowserSession(ctx, "bs", t0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("a browser session was copied: %v", err)
			}
			if _, err := to.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h", t0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("a one-time token was copied: %v", err)
			}
			if c, _, err := to.GetCounter(ctx, "login:x", t0); err != nil || c != 0 {
				t.Errorf("a rate counter was copied: %d, %v", c, err)
			}

			// A second copy is refused: the target is not empty.
			if _, err := transfer.Copy(ctx, from, to, transfer.Options{}); !errors.Is(err, transfer.ErrTargetNotEmpty) {
				t.Fatalf("copy into a non-empty target: %v, want ErrTargetNotEmpty", err)
			}
			// Asked to, it copies nothing twice and overwrites nothing.
			if err := to.UpdateUser(ctx, "u0001", func(u *storage.User) error { u.Name = "changed in target"; return nil }); err != nil {
				t.Fatal(err)
			}
			st, err = transfer.Copy(ctx, from, to, transfer.Options{IntoNonEmpty: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := (transfer.Stats{Skipped: n + 2 + n + n + factors + n + 2}); st != want {
				t.Fatalf("second copy stats %+v, want %+v", st, want)
			}
			if u, err := to.GetUser(ctx, "u0001"); err != nil || u.Name != "changed in target" {
				t.Errorf("the second copy overwrote a target row: %+v, %v", u, err)
			}
		})
	}
}

// TestCopyRollsBack: a copy that fails at its last step (the keys) leaves
// the target as it was: no user or client of the earlier steps remains.
func TestCopyRollsBack(t *testing.T) {
	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			from := openSQLite(t)
			seed(t, from, 3)
			to := failingKeys{open(t)}
			if _, err := transfer.Copy(ctx, from, to, transfer.Options{}); !errors.Is(err, errKeyWrite) {
				t.Fatalf("copy: %v, want the key write failure", err)
			}
			us, err1 := to.ListUsers(ctx, storage.ListOptions{})
			cs, err2 := to.ListClients(ctx, storage.ListOptions{})
			if err1 != nil || err2 != nil || len(us)+len(cs) != 0 {
				t.Fatalf("a failed copy left %d users and %d clients (%v, %v)", len(us), len(cs), err1, err2)
			}
		})
	}
}

var errKeyWrite = errors.New("key write refused")

// failingKeys is a real store whose CreateKey fails.
type failingKeys struct{ storage.Store }

func (failingKeys) CreateKey(context.Context, storage.Key) error { return errKeyWrite }

// sameData fails unless a and b hold the same users, clients, consents,
// identities and keys.
func sameData(t *testing.T, a, b storage.Store) {
	t.Helper()
	ctx := t.Context()
	for offset := 0; ; offset += 500 {
		ua, err1 := a.ListUsers(ctx, storage.ListOptions{Limit: 500, Offset: offset})
		ub, err2 := b.ListUsers(ctx, storage.ListOptions{Limit: 500, Offset: offset})
		equal(t, "users", ua, ub, err1, err2)
		for _, u := range ua {
			ca, err1 := a.ListConsents(ctx, u.ID)
			cb, err2 := b.ListConsents(ctx, u.ID)
			equal(t, "consents of "+u.ID, ca, cb, err1, err2)
			ia, err1 := a.ListIdentities(ctx, u.ID)
			ib, err2 := b.ListIdentities(ctx, u.ID)
			equal(t, "identities of "+u.ID, ia, ib, err1, err2)
			pa, err1 := a.ListPasskeys(ctx, u.ID)
			pb, err2 := b.ListPasskeys(ctx, u.ID)
			equal(t, "passkeys of "+u.ID, pa, pb, err1, err2)
		}
		if len(ua) < 500 {
			break
		}
	}
	ca, err1 := a.ListClients(ctx, storage.ListOptions{})
	cb, err2 := b.ListClients(ctx, storage.ListOptions{})
	equal(t, "clients", ca, cb, err1, err2)
	ka, err1 := a.ListKeys(ctx)
	kb, err2 := b.ListKeys(ctx)
	equal(t, "keys", ka, kb, err1, err2)
}

func equal[T any](t *testing.T, what string, a, b T, err1, err2 error) {
	t.Helper()
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v, %v", what, err1, err2)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s differ:\nsource %+v\ntarget %+v", what, a, b)
	}
}
