// Package storagetest is the conformance suite every storage.Store backend
// must pass. A backend's test calls Run with a function that opens a fresh,
// empty, migrated store and closes it when the test ends.
//
// The suite uses the storage API only and assumes no particular database.
// Its times are UTC with whole microseconds, the precision storage promises.
// Nothing in it depends on timing: deadlines only turn a hang into a failure.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Run runs the whole suite, one named subtest per behaviour; each subtest
// opens its own store with open.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Store", storeTests},
		{"Users", userTests},
		{"Clients", clientTests},
		{"BrowserSessions", browserSessionTests},
		{"Consents", consentTests},
		{"ConsentUpdates", consentUpdateTests},
		{"Keys", keyTests},
		{"KeysUpdate", keyUpdateTests},
		{"TokenSessions", tokenTests},
		{"Revoke", revokeTests},
		{"JTIs", jtiTests},
		{"DeviceCodes", deviceTests},
		{"Identities", identityTests},
		{"Passkeys", passkeyTests},
		{"SecondFactors", secondFactorTests},
		{"OneTimeTokens", oneTimeTests},
		{"Registration", registrationTests},
		{"AuditEvents", auditTests},
		{"RateCounters", counterTests},
		{"Tx", txTests},
		{"GarbageCollect", gcTests},
		{"Text", textTests},
		{"Logouts", logoutTests},
		{"Overview", overviewTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, open(t))
				})
			}
		})
	}
}

// test is one named behaviour, run against a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

var storeTests = []test{
	{"Ping", func(t *testing.T, s storage.Store) {
		must(t, s.Ping(ctxFor(t)))
	}},
	{"MigrateAgain", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.Migrate(ctx))
		must(t, s.Migrate(ctx))
		if _, err := s.GetUser(ctx, "u1"); err != nil {
			t.Fatalf("user lost by Migrate: %v", err)
		}
	}},
}

// hangTimeout bounds every test's context: a deadlock fails instead of
// hanging. It is generous on purpose; nothing measures speed.
const hangTimeout = 2 * time.Minute

// ctxFor returns a context that ends with the test or after hangTimeout.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), hangTimeout)
	t.Cleanup(cancel)
	return ctx
}

// t0 is the suite's reference time.
var t0 = time.Date(2030, time.March, 4, 5, 6, 7, 890123000, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// wantEqual compares after normalising: times to UTC microseconds, empty
// slices to nil.
func wantEqual[T any](t *testing.T, got, want T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("mismatch\n got: %+v\nwant: %+v", g, w)
	}
}

func norm[T any](v T) T {
	normalize(reflect.ValueOf(&v).Elem())
	return v
}

var timeType = reflect.TypeFor[time.Time]()

func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			tm := v.Interface().(time.Time)
			if tm.IsZero() {
				tm = time.Time{}
			} else {
				tm = time.UnixMicro(tm.UnixMicro()).UTC()
			}
			v.Set(reflect.ValueOf(tm))
			return
		}
		for i := range v.NumField() {
			normalize(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := range v.Len() {
			normalize(v.Index(i))
		}
	}
}

// retry calls fn again, a bounded number of times, while it returns
// storage.ErrConflict, which asks the caller to retry.
func retry(fn func() error) error {
	var err error
	for range 100 {
		if err = fn(); !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return err
}

// Fixtures.

func newUser(id string) storage.User {
	return storage.User{
		ID:            id,
		Email:         id + "@example.com",
		EmailVerified: true,
		Name:          "User " + id,
		PasswordHash:  []byte("$2a$10$hash-of-" + id),
		Roles:         []string{storage.RoleUser},
		CreatedAt:     t0,
		UpdatedAt:     at(time.Second),
	}
}

func mkUser(t *testing.T, s storage.Store, id string) storage.User {
	t.Helper()
	u := newUser(id)
	must(t, s.CreateUser(ctxFor(t), u))
	return u
}

func newClient(id string) storage.Client {
	return storage.Client{
		ID:                     id,
		Name:                   "Client " + id,
		SecretHash:             []byte("hmac-of-" + id),
		RedirectURIs:           []string{"https://" + id + ".example/cb", "http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"https://" + id + ".example/bye"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		ResponseTypes:          []string{"code"},
		Scopes:                 []string{"openid", "offline_access", "email"},
		Audience:               []string{"https://api.example"},
		CreatedAt:              t0,
		UpdatedAt:              at(time.Second),
	}
}

func mkClient(t *testing.T, s storage.Store, id string) storage.Client {
	t.Helper()
	c := newClient(id)
	must(t, s.CreateClient(ctxFor(t), c))
	return c
}

func newToken(kind storage.TokenKind, sig, requestID, clientID, subject string) storage.TokenSession {
	return storage.TokenSession{
		Kind:        kind,
		Signature:   sig,
		RequestID:   requestID,
		ClientID:    clientID,
		Subject:     subject,
		Active:      true,
		RequestedAt: t0,
		ExpiresAt:   at(time.Hour),
		Data:        fmt.Appendf(nil, `{"kind":%q,"sig":%q}`, kind, sig),
	}
}

func mkToken(t *testing.T, s storage.Store, kind storage.TokenKind, sig, requestID, clientID, subject string) storage.TokenSession {
	t.Helper()
	ts := newToken(kind, sig, requestID, clientID, subject)
	must(t, s.CreateTokenSession(ctxFor(t), ts))
	return ts
}

// tokenExists reports whether the session is stored, failing on other errors.
func tokenExists(t *testing.T, s storage.Store, kind storage.TokenKind, sig string) bool {
	t.Helper()
	_, err := s.GetTokenSession(ctxFor(t), kind, sig)
	if errors.Is(err, storage.ErrNotFound) {
		return false
	}
	must(t, err)
	return true
}
