package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/storage"
)

// failingLinks fails every CreateIdentity, as a full disk would.
type failingLinks struct{ IdentityStore }

func (failingLinks) CreateIdentity(context.Context, storage.Identity) error {
	return errors.New("disk full")
}

// A failure to link the identity leaves no user behind: user and link are
// one transaction.
func TestCreateLinkedLeavesNoHalfCreatedUser(t *testing.T) {
	e := newEnv(t)
	acc, err := accounts.New(e.store, 4)
	if err != nil {
		t.Fatal(err)
	}
	f := newFederation(FederationOptions{Store: failingLinks{e.store}, Registration: true}, acc, []byte("0123456789abcdef0123456789abcdef"), false)
	r := httptest.NewRequest(http.MethodGet, "/login/corp/callback", nil)
	_, err = f.resolve(r, "corp", providers.Identity{Subject: "s-1", Email: "new@example.com", EmailVerified: true, Name: "New"})
	if err == nil {
		t.Fatal("resolve succeeded although the identity could not be stored")
	}
	if u, err := e.store.GetUserByEmail(context.Background(), "new@example.com"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a half-created user remains: %+v, %v", u, err)
	}
}

func TestPendingLoginCookie(t *testing.T) {
	c := newPendingCodec([]byte("0123456789abcdef0123456789abcdef"), true)
	now := time.Now()
	pl := pendingLogin{Provider: "corp", State: "st", Nonce: "no", Verifier: "ve", Flow: "client_id=app", Expires: now.Add(upstreamLoginTTL).Unix()}
	rec := httptest.NewRecorder()
	if err := c.set(rec, pl); err != nil {
		t.Fatal(err)
	}
	ck := rec.Result().Cookies()[0]
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/login/corp" {
		t.Errorf("cookie attributes %+v", ck)
	}
	take := func(value, provider string, at time.Time) (pendingLogin, error) {
		r := httptest.NewRequest(http.MethodGet, "/login/"+provider+"/callback", nil)
		r.AddCookie(&http.Cookie{Name: UpstreamCookieName, Value: value})
		w := httptest.NewRecorder()
		got, err := c.take(w, r, provider, at)
		if cleared := w.Result().Cookies(); len(cleared) != 1 || cleared[0].MaxAge >= 0 {
			t.Errorf("the cookie was not cleared: %+v", cleared)
		}
		return got, err
	}
	if got, err := take(ck.Value, "corp", now); err != nil || got != pl {
		t.Fatalf("take = %+v, %v; want %+v", got, err, pl)
	}
	tampered := []byte(ck.Value)
	tampered[len(tampered)/2] ^= 1
	for name, try := range map[string]func() (pendingLogin, error){
		"other provider": func() (pendingLogin, error) { return take(ck.Value, "github", now) },
		"expired":        func() (pendingLogin, error) { return take(ck.Value, "corp", now.Add(upstreamLoginTTL+time.Second)) },
		"tampered":       func() (pendingLogin, error) { return take(string(tampered), "corp", now) },
		"garbage":        func() (pendingLogin, error) { return take("!!", "corp", now) },
	} {
		if _, err := try(); !errors.Is(err, errNoPendingLogin) {
			t.Errorf("%s: err = %v, want errNoPendingLogin", name, err)
		}
	}
	// Another key (another deployment) cannot open it.
	other := newPendingCodec([]byte("another secret, also 32 bytes long!"), true)
	r := httptest.NewRequest(http.MethodGet, "/login/corp/callback", nil)
	r.AddCookie(ck)
	if _, err := other.take(httptest.NewRecorder(), r, "corp", now); !errors.Is(err, errNoPendingLogin) {
		t.Errorf("other key: err = %v", err)
	}
}

func TestPendingLoginTooBigForACookie(t *testing.T) {
	c := newPendingCodec([]byte("0123456789abcdef0123456789abcdef"), false)
	big := make([]byte, 4000)
	for i := range big {
		big[i] = 'a'
	}
	if err := c.set(httptest.NewRecorder(), pendingLogin{Provider: "corp", Flow: string(big)}); err == nil {
		t.Error("a 4000-byte flow fit in the cookie")
	}
}

// TestDisplayNameIsOneLineOfText: an upstream's name obeys the rules of a
// typed one (nameProblem), or falls back to the email's local part.
func TestDisplayNameIsOneLineOfText(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Carol", "Carol"},
		{"Carol\r\nClick here", "Carol  Click here"},
		{"Car\x00ol\xff", "Car\uFFFDol\uFFFD"},
		{" \t\n", "carol"},
		{strings.Repeat("é", 300), strings.Repeat("é", accounts.MaxNameRunes)},
	} {
		got := displayName(tc.name, "carol@example.com")
		if got != tc.want || nameProblem(got) != "" {
			t.Errorf("displayName(%q) = %q (%s), want %q", tc.name, got, nameProblem(got), tc.want)
		}
	}
}

// Upstream logins use the pages' clock, audit log and store unless the
// federation options name their own.
func TestFederationDefaultsFromOptions(t *testing.T) {
	e := newEnv(t)
	when := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := audit.New(e.store, nil)
	f := federationDefaults(Options{Now: func() time.Time { return when }, Audit: rec, Store: e.store})
	if f.Now == nil || !f.Now().Equal(when) || f.Audit != rec || f.Store == nil {
		t.Fatalf("federation options: now set %v, audit %p, store %v", f.Now != nil, f.Audit, f.Store)
	}
}
