package oidc_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/providers/oidc"
	"github.com/gatehouse-id/gatehouse/providers/providertest"
)

const redirect = "https://gatehouse.example/login/corp/callback"

var alice = providertest.Person{Subject: "u-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice"}

func open(t *testing.T, cfg providers.Config) providers.Provider {
	t.Helper()
	p, err := oidc.New(cfg)
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	return p
}

func config(up *providertest.OIDC) providers.Config {
	return providers.Config{ID: "corp", Name: "Corp", Issuer: up.URL, ClientID: up.ClientID, ClientSecret: up.ClientSecret, RedirectURL: redirect}
}

// login runs one upstream login against p and returns the outcome.
func login(t *testing.T, p providers.Provider, f providers.Flow) (providers.Identity, error) {
	t.Helper()
	_, id, err := providertest.Login(t, p, f)
	return id, err
}

func TestLoginVerifiesIDToken(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	p := open(t, config(up))
	f := providertest.NewFlow()
	q, back := providertest.Start(t, p, f)
	for k, want := range map[string]string{
		"client_id": "gatehouse", "redirect_uri": redirect, "response_type": "code",
		"state": f.State, "nonce": f.Nonce, "code_challenge_method": "S256", "scope": "openid email profile",
	} {
		if q.Get(k) != want {
			t.Errorf("login URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if q.Get("code_challenge") == "" || q.Has("prompt") {
		t.Errorf("login URL: code_challenge %q, prompt %q", q.Get("code_challenge"), q.Get("prompt"))
	}
	id, err := p.Callback(context.Background(), back, f)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	want := providers.Identity{Subject: "u-1", Email: "alice@example.com", EmailVerified: true, Name: "Alice"}
	if id != want {
		t.Errorf("identity %+v, want %+v", id, want)
	}
}

func TestForceLoginSendsPromptLogin(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	f := providertest.NewFlow()
	f.ForceLogin = true
	q, _ := providertest.Start(t, open(t, config(up)), f)
	if got := q.Get("prompt"); got != "login" {
		t.Errorf("prompt = %q, want login", got)
	}
}

func TestBadIDTokensAreRefused(t *testing.T) {
	for name, edit := range map[string]func(map[string]any){
		"wrong nonce":    func(c map[string]any) { c["nonce"] = "another-nonce-entirely" },
		"no nonce":       func(c map[string]any) { delete(c, "nonce") },
		"wrong audience": func(c map[string]any) { c["aud"] = "someone-else" },
		"wrong issuer":   func(c map[string]any) { c["iss"] = "https://evil.example" },
		"expired": func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		},
		"no subject": func(c map[string]any) { delete(c, "sub") },
	} {
		t.Run(name, func(t *testing.T) {
			up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
			up.EditClaims(edit)
			_, err := login(t, open(t, config(up)), providertest.NewFlow())
			if !errors.Is(err, providers.ErrInvalidIdentity) {
				t.Fatalf("err = %v, want ErrInvalidIdentity", err)
			}
			if providers.Reason(err) != "invalid_identity" {
				t.Errorf("reason %q", providers.Reason(err))
			}
		})
	}
}

func TestEmailVerifiedAsString(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	up.EditClaims(func(c map[string]any) { c["email_verified"] = "true" })
	id, err := login(t, open(t, config(up)), providertest.NewFlow())
	if err != nil || !id.EmailVerified {
		t.Fatalf("email_verified \"true\": %+v, %v", id, err)
	}
	up.EditClaims(func(c map[string]any) { c["email_verified"] = "no" })
	id, err = login(t, open(t, config(up)), providertest.NewFlow())
	if err != nil || id.EmailVerified {
		t.Fatalf("email_verified \"no\": %+v, %v", id, err)
	}
}

func TestWrongVerifierIsAnExchangeError(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	p := open(t, config(up))
	f := providertest.NewFlow()
	_, cb := providertest.Start(t, p, f)
	f.CodeVerifier = oauth2.GenerateVerifier()
	if _, err := p.Callback(context.Background(), cb, f); !errors.Is(err, providers.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestWrongClientSecretIsAnExchangeError(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	cfg := config(up)
	cfg.ClientSecret = "wrong"
	if _, err := login(t, open(t, cfg), providertest.NewFlow()); !errors.Is(err, providers.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestAccessDenied(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	up.Deny()
	_, err := login(t, open(t, config(up)), providertest.NewFlow())
	if !errors.Is(err, providers.ErrAccessDenied) || providers.Reason(err) != "access_denied" {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
}

func TestCallbackErrors(t *testing.T) {
	for query, want := range map[string]error{
		"error=server_error&state=x":  providers.ErrUpstream,
		"state=x":                     providers.ErrUpstream,
		"error=access_denied&state=x": providers.ErrAccessDenied,
	} {
		r := httptest.NewRequest(http.MethodGet, redirect+"?"+query, nil)
		if _, err := providers.CallbackCode(r); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", query, err, want)
		}
	}
}

func TestHangingUpstreamTimesOut(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	cfg := config(up)
	// Short, but long enough for discovery on a busy machine: only the
	// token request hangs.
	cfg.Timeout = 3 * time.Second
	p := open(t, cfg)
	f := providertest.NewFlow()
	_, cb := providertest.Start(t, p, f)
	up.Hang()
	if _, err := p.Callback(context.Background(), cb, f); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// An upstream that is down when Gatehouse starts fails the logins until it
// is back; then discovery is retried and logins work.
func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	up.SetDown(true)
	p := open(t, config(up)) // reaches nothing yet
	if _, err := p.LoginURL(context.Background(), providertest.NewFlow()); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("upstream down: err = %v, want ErrUnavailable", err)
	}
	up.SetDown(false)
	if _, err := login(t, p, providertest.NewFlow()); err != nil {
		t.Fatalf("upstream back: %v", err)
	}
}

func TestIssuerMismatchIsRefused(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse", "s3cret-s3cret", alice)
	cfg := config(up)
	cfg.Issuer = strings.Replace(up.URL, "127.0.0.1", "localhost", 1)
	if _, err := open(t, cfg).LoginURL(context.Background(), providertest.NewFlow()); !errors.Is(err, providers.ErrUnavailable) || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("issuer mismatch: err = %v", err)
	}
}

func TestUnreachableUpstream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := open(t, providers.Config{ID: "corp", Issuer: "http://" + addr, ClientID: "x", RedirectURL: redirect, Timeout: time.Second})
	if _, err := p.LoginURL(context.Background(), providertest.NewFlow()); !errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []providers.Config{
		{ClientID: "x", RedirectURL: redirect},
		{Issuer: "https://a.example", RedirectURL: redirect},
		{Issuer: "https://a.example", ClientID: "x"},
	} {
		if _, err := oidc.New(cfg); err == nil {
			t.Errorf("oidc.New(%+v) accepted", cfg)
		}
	}
}

// While discovery hangs, each login waits only as long as its own context
// allows, not behind the logins queued before it; once the upstream
// answers, the one shared fetch serves the waiting logins.
func TestHangingDiscoveryDoesNotQueueLogins(t *testing.T) {
	release := make(chan struct{})
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + issuer + `","authorization_endpoint":"` + issuer + `/auth","token_endpoint":"` + issuer + `/token","jwks_uri":"` + issuer + `/jwks","id_token_signing_alg_values_supported":["RS256"]}`))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	issuer = srv.URL
	p := open(t, providers.Config{ID: "corp", Issuer: issuer, ClientID: "x", RedirectURL: redirect, Timeout: time.Minute})

	first := make(chan error, 1)
	go func() {
		_, err := p.LoginURL(context.Background(), providertest.NewFlow())
		first <- err
	}()
	// Later logins with short deadlines give up on their own while the
	// first one still waits (a serial implementation would block them
	// until the upstream answers, which only happens below).
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			_, err := p.LoginURL(ctx, providertest.NewFlow())
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, providers.ErrUnavailable) {
				t.Fatalf("waiting login: err = %v, want ErrUnavailable", err)
			}
		case <-time.After(30 * time.Second): // a hang guard, not a timing check
			t.Fatal("a login queued behind the hanging discovery")
		}
		cancel()
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first login after the upstream answered: %v", err)
	}
	if _, err := p.LoginURL(context.Background(), providertest.NewFlow()); err != nil {
		t.Fatalf("login after discovery: %v", err)
	}
}
