package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestCodeAfterRevocation: an authorization code obtained before "revoke
// everything" (a password reset, an admin disabling the user) cannot be
// exchanged; one obtained before a disable that revoked nothing (the user
// check) cannot either; one obtained before a demotion carries the
// current roles and no longer the admin scope.
func TestCodeAfterRevocation(t *testing.T) {
	t.Parallel()
	refused := []struct {
		name   string
		change func(t *testing.T, f *fixture)
	}{
		{"password reset", func(t *testing.T, f *fixture) { f.resetPassword(t, "a brand new passphrase") }},
		{"admin disables", func(t *testing.T, f *fixture) {
			f.makeSecondAdmin(t)
			f.manageUser(t, manage.UserChange{Disabled: ptr(true)})
		}},
		{"disabled, nothing revoked", func(t *testing.T, f *fixture) {
			f.updateUser(t, func(u *storage.User) { u.Disabled = true })
		}},
		{"deleted", func(t *testing.T, f *fixture) {
			if err := f.env.Store.DeleteUser(t.Context(), f.user.ID); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			cfg := f.config("openid", "offline_access")
			a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
			tc.change(t, f)
			_, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
			wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		})
	}

	t.Run("demoted", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		spec := appLikeSpec("adminapp")
		spec.Scopes = append(spec.Scopes, oauth.ScopeAdmin)
		id, sec := f.env.CreateClient(t, spec)
		cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid", "offline_access", oauth.ScopeAdmin)
		a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
		f.makeSecondAdmin(t)
		f.manageUser(t, manage.UserChange{Roles: &[]string{"user"}})
		tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
		if err != nil {
			t.Fatalf("exchange after a demotion: %v", err)
		}
		at, _ := verifyAccessToken(t, f.env, tok.AccessToken, id)
		if !slices.Equal(at.Roles, []string{"user"}) || slices.Contains(strings.Fields(at.Scope), oauth.ScopeAdmin) {
			t.Errorf("access token after a demotion: roles %v scope %q", at.Roles, at.Scope)
		}
		if _, idc := verifyIDToken(t, f.env, id, idToken(tok)); !slices.Equal(idc.Roles, []string{"user"}) {
			t.Errorf("id token after a demotion: roles %v", idc.Roles)
		}
		if scope, _ := tok.Extra("scope").(string); slices.Contains(strings.Fields(scope), oauth.ScopeAdmin) {
			t.Errorf("token response grants %q after a demotion", scope)
		}
	})
}

// TestRefreshDisabledUser: a disabled user's refresh token stops working,
// even when disabling revoked nothing.
func TestRefreshDisabledUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")
	f.updateUser(t, func(u *storage.User) { u.Disabled = true })
	_, err := f.refresh(t, tok.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	// And the password grant refuses the user too.
	_, err = f.config("openid").PasswordCredentialsToken(t.Context(), aliceEmail, alicePassword)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

// resetPassword resets Alice's password through the forgot-password page
// and the mailed link.
func (f *fixture) resetPassword(t *testing.T, password string) {
	t.Helper()
	b := f.env.NewBrowser(t)
	submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {aliceEmail}})
	link := mailLink(t, f.env, outbox(t, f.env, aliceEmail, 1)[0], "/reset-password")
	page := servertest.ReadBody(t, b.Get(t, link))
	form, _ := servertest.HiddenFields(page, "/reset-password")
	form.Set("password", password)
	wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusOK, web.MsgResetDone)
}

// manageUser changes Alice as the admin API and the CLI do.
func (f *fixture) manageUser(t *testing.T, ch manage.UserChange) {
	t.Helper()
	svc := &manage.Service{Store: f.env.Store, Accounts: f.env.Server.Accounts}
	if _, err := svc.UpdateUser(t.Context(), manage.CLI, f.user.ID, ch); err != nil {
		t.Fatal(err)
	}
}

// makeSecondAdmin creates another admin, so Alice may lose the role.
func (f *fixture) makeSecondAdmin(t *testing.T) {
	t.Helper()
	f.env.CreateUser(t, "bob@example.com", "another good passphrase", "Bob", "admin", "user")
}

// updateUser changes Alice's row directly, revoking nothing.
func (f *fixture) updateUser(t *testing.T, fn func(u *storage.User)) {
	t.Helper()
	err := f.env.Store.UpdateUser(t.Context(), f.user.ID, func(u *storage.User) error { fn(u); return nil })
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestRevokeRacesIssuance: "revoke everything" (as a password reset does)
// runs at the same time as a refresh or a code exchange, many times, on two
// nodes sharing PostgreSQL: whichever goes first, no token the exchange
// gets outlives the revocation.
func TestRevokeRacesIssuance(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Minute)
	browser := c.a.env.NewBrowser(t)
	for round := range 30 {
		var form url.Values
		if round%2 == 0 {
			tok := c.a.passwordTokens(t, "openid", "offline_access")
			form = refreshForm(tok.RefreshToken)
		} else {
			a := browser.AuthCodeFlow(t, c.a.config("openid", "offline_access"), aliceEmail, alicePassword)
			form = url.Values{"grant_type": {"authorization_code"}, "code": {a.Code},
				"redirect_uri": {redirectURI}, "code_verifier": {a.Verifier}}
		}
		var got apiResponse
		var revokeErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			got = postNoFatal(c.b.env.URL+"/oauth2/token", form, c.b.clientID, c.b.secret)
		})
		wg.Go(func() {
			<-start
			revokeErr = c.a.env.Store.RevokeSubjectTokens(t.Context(), c.a.user.ID, "")
		})
		close(start)
		wg.Wait()
		if revokeErr != nil {
			t.Fatal(revokeErr)
		}
		if got.Status != http.StatusOK {
			if got.Status != http.StatusBadRequest || got.JSON["error"] != "invalid_grant" {
				t.Fatalf("round %d: refused with %d %s, want 400 invalid_grant", round, got.Status, got.Body)
			}
			continue
		}
		wantFamilyRevoked(t, "revocation", round, got, c.a)
	}
}
