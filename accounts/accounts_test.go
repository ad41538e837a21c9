package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

func openStore(t testing.TB) storage.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"Ann@Example.COM":    "ann@example.com",
		"  bob@example.org ": "bob@example.org",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com": strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com",
		"Jos\u00e9@Example.com": "jos\u00e9@example.com",
	} {
		got, err := accounts.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ann", "Ann <ann@example.com>", "ann@", "@example.com", "a b@example.com",
		// Invisible characters: a look-alike of another person's address.
		"ceo\u200b@corp.example", "ceo@corp\u200d.example", "\u202eceo@corp.example", "ceo\u00ad@corp.example",
		"ceo\u00a0x@corp.example", "ceo\u034f@corp.example", "ceo\ufe0f@corp.example", "\u3164ceo@corp.example",
		"ceo\uffa0@corp.example", "ceo\u115f@corp.example", "ceo\u2800@corp.example", "ceo\u17b4@corp.example",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"} {
		if _, err := accounts.NormalizeEmail(bad); !errors.Is(err, accounts.ErrInvalidEmail) {
			t.Errorf("NormalizeEmail(%q) err = %v, want ErrInvalidEmail", bad, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	if err := accounts.ValidatePassword("short"); !errors.Is(err, accounts.ErrPasswordTooShort) {
		t.Errorf("short: %v", err)
	}
	if err := accounts.ValidatePassword(strings.Repeat("a", 73)); !errors.Is(err, accounts.ErrPasswordTooLong) {
		t.Errorf("73 bytes: %v", err)
	}
	if err := accounts.ValidatePassword(strings.Repeat("é", 37)); !errors.Is(err, accounts.ErrPasswordTooLong) {
		t.Errorf("74 bytes in 37 runes: %v", err)
	}
	if err := accounts.ValidatePassword(strings.Repeat("a", 72)); err != nil {
		t.Errorf("72 bytes: %v", err)
	}
}

func TestCreateAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc, err := accounts.New(store, 4)
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, accounts.NewUser{Email: "Ann@Example.com", Password: "correct horse", Name: " Ann "})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ann@example.com" || u.Name != "Ann" || len(u.Roles) != 1 || u.Roles[0] != storage.RoleUser {
		t.Fatalf("created %+v", u)
	}
	if string(u.PasswordHash) == "correct horse" || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte("correct horse")) != nil {
		t.Fatal("password not bcrypt-hashed")
	}
	if _, err := svc.CreateUser(ctx, accounts.NewUser{Email: "ANN@example.com", Password: "another one", Name: "X"}); !errors.Is(err, accounts.ErrEmailTaken) {
		t.Fatalf("duplicate email: %v", err)
	}

	got, err := svc.Authenticate(ctx, "ANN@example.com", "correct horse")
	if err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, c := range []struct{ email, password string }{
		{"ann@example.com", "wrong password"},
		{"nobody@example.com", "correct horse"},
		{"not an email", "correct horse"},
		{"ann@example.com", ""},
	} {
		if _, err := svc.Authenticate(ctx, c.email, c.password); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Errorf("Authenticate(%q, %q) err = %v", c.email, c.password, err)
		}
	}

	if err := store.UpdateUser(ctx, u.ID, func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, "ann@example.com", "correct horse"); !errors.Is(err, accounts.ErrInvalidCredentials) {
		t.Fatalf("disabled user authenticated: %v", err)
	}
}

// TestCostUpgrade: a hash made with a lower cost is replaced by one at the
// configured cost on the next successful login.
func TestCostUpgrade(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	low, _ := accounts.New(store, 4)
	u, err := low.CreateUser(ctx, accounts.NewUser{Email: "b@example.com", Password: "password one", Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	high, _ := accounts.New(store, 5)
	if _, err := high.Authenticate(ctx, "b@example.com", "wrong password"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if stored, _ := store.GetUser(ctx, u.ID); mustCost(t, stored.PasswordHash) != 4 {
		t.Fatal("hash upgraded after a failed login")
	}
	if _, err := high.Authenticate(ctx, "b@example.com", "password one"); err != nil {
		t.Fatal(err)
	}
	stored, _ := store.GetUser(ctx, u.ID)
	if c := mustCost(t, stored.PasswordHash); c != 5 {
		t.Fatalf("cost after login = %d, want 5", c)
	}
	if _, err := high.Authenticate(ctx, "b@example.com", "password one"); err != nil {
		t.Fatalf("login after upgrade: %v", err)
	}
}

func mustCost(t *testing.T, hash []byte) int {
	t.Helper()
	c, err := bcrypt.Cost(hash)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRejectsBadCost(t *testing.T) {
	if _, err := accounts.New(nil, 99); err == nil {
		t.Fatal("cost 99 accepted")
	}
}

// racingStore changes the user's password (as a concurrent password reset
// would) just before the first UpdateUser it is asked for runs.
type racingStore struct {
	storage.Users
	newHash []byte
	raced   bool
}

func (r *racingStore) UpdateUser(ctx context.Context, id string, fn func(*storage.User) error) error {
	if !r.raced {
		r.raced = true
		if err := r.Users.UpdateUser(ctx, id, func(u *storage.User) error {
			u.PasswordHash = r.newHash
			return nil
		}); err != nil {
			return err
		}
	}
	return r.Users.UpdateUser(ctx, id, fn)
}

// TestCostUpgradeDoesNotUndoPasswordChange: a password changed between the
// verification and the rehash stays changed; the upgrade is a
// compare-and-swap on the verified hash.
func TestCostUpgradeDoesNotUndoPasswordChange(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	low, _ := accounts.New(store, 4)
	u, err := low.CreateUser(ctx, accounts.NewUser{Email: "c@example.com", Password: "old password", Name: "C"})
	if err != nil {
		t.Fatal(err)
	}
	changed, err := bcrypt.GenerateFromPassword([]byte("new password"), 4)
	if err != nil {
		t.Fatal(err)
	}
	racing := &racingStore{Users: store, newHash: changed}
	high, _ := accounts.New(racing, 5)
	if _, err := high.Authenticate(ctx, "c@example.com", "old password"); err != nil {
		t.Fatal(err)
	}
	if !racing.raced {
		t.Fatal("no rehash attempted")
	}
	stored, _ := store.GetUser(ctx, u.ID)
	if bcrypt.CompareHashAndPassword(stored.PasswordHash, []byte("new password")) != nil {
		t.Fatal("the rehash overwrote the concurrently changed password")
	}
	if bcrypt.CompareHashAndPassword(stored.PasswordHash, []byte("old password")) == nil {
		t.Fatal("the old password works again after the change")
	}
}
