package admin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

func TestUsersCRUD(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)

	r := f.ok(t, admin, http.MethodPost, "/admin/users", map[string]any{
		"email": "Carol@Example.com", "password": "carol password 1", "name": "Carol", "roles": []string{"auditor:read"},
	}, http.StatusCreated)
	id, _ := r.JSON["id"].(string)
	if r.Header.Get("Location") != "/admin/users/"+id || r.JSON["email"] != "carol@example.com" || r.JSON["email_verified"] != true ||
		!sameStrings(r.JSON["roles"], "auditor:read", "user") {
		t.Errorf("created user: %s (Location %q)", r.Body, r.Header.Get("Location"))
	}
	noSecrets(t, r.Body, "carol password 1")

	for name, body := range map[string]any{
		"bad email":      map[string]any{"email": "carol", "name": "C"},
		"no name":        map[string]any{"email": "c2@example.com", "name": " "},
		"short password": map[string]any{"email": "c2@example.com", "name": "C", "password": "short"},
		"bad role":       map[string]any{"email": "c2@example.com", "name": "C", "roles": []string{"Admin"}},
		"unknown field":  map[string]any{"email": "c2@example.com", "name": "C", "password_hash": "x"},
		"wrong type":     map[string]any{"email": "c2@example.com", "name": "C", "roles": "admin"},
		"not JSON":       "email=c2@example.com",
		"two objects":    `{"email":"c2@example.com","name":"C"} {}`,
		"empty":          "",
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, f.call(t, admin, http.MethodPost, "/admin/users", body), http.StatusBadRequest, "invalid_request")
		})
	}
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/users", map[string]any{"email": "CAROL@example.com", "name": "C"}),
		http.StatusConflict, "conflict")

	got := f.ok(t, admin, http.MethodGet, "/admin/users/"+id, nil, http.StatusOK)
	if got.JSON["id"] != id || got.JSON["name"] != "Carol" {
		t.Errorf("get: %s", got.Body)
	}
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/users/no-such-user", nil), http.StatusNotFound, "not_found")

	// Listing: search by email, paging.
	list := f.ok(t, admin, http.MethodGet, "/admin/users?search=CAROL", nil, http.StatusOK)
	if users := list.JSON["users"].([]any); len(users) != 1 || users[0].(map[string]any)["id"] != id {
		t.Errorf("search: %s", list.Body)
	}
	var seen []string
	for off := 0; off < 4; off++ {
		p := f.ok(t, admin, http.MethodGet, "/admin/users?limit=1&offset="+string(rune('0'+off)), nil, http.StatusOK)
		for _, u := range p.JSON["users"].([]any) {
			seen = append(seen, u.(map[string]any)["email"].(string))
		}
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"bob@example.com", "carol@example.com", "root@example.com"}) {
		t.Errorf("pages hold %v", seen)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "offset=-1"} {
		wantError(t, f.call(t, admin, http.MethodGet, "/admin/users?"+q, nil), http.StatusBadRequest, "invalid_request")
	}

	// PATCH: name and roles; nothing or unknown ids refused.
	p := f.ok(t, admin, http.MethodPatch, "/admin/users/"+id, map[string]any{"name": "Carol C", "roles": []string{"admin"}}, http.StatusOK)
	if p.JSON["name"] != "Carol C" || !sameStrings(p.JSON["roles"], "admin", "user") {
		t.Errorf("patched: %s", p.Body)
	}
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/users/"+id, map[string]any{}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/users/"+id, map[string]any{"roles": []string{strings.Repeat("r", 65)}}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/users/no-such-user", map[string]any{"disabled": true}), http.StatusNotFound, "not_found")

	// An admin cannot lock themselves out.
	for _, body := range []map[string]any{{"disabled": true}, {"roles": []string{"user"}}} {
		wantError(t, f.call(t, admin, http.MethodPatch, "/admin/users/"+f.admin.ID, body), http.StatusConflict, "conflict")
	}
	wantError(t, f.call(t, admin, http.MethodDelete, "/admin/users/"+f.admin.ID, nil), http.StatusConflict, "conflict")

	f.ok(t, admin, http.MethodDelete, "/admin/users/"+id, nil, http.StatusNoContent)
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/users/"+id, nil), http.StatusNotFound, "not_found")
	wantError(t, f.call(t, admin, http.MethodDelete, "/admin/users/"+id, nil), http.StatusNotFound, "not_found")

	// Every change is in the audit log with the acting admin.
	for _, typ := range []string{audit.UserCreated, audit.ProfileUpdated, audit.RolesChanged, audit.UserDeleted} {
		ev := f.events(t, typ)
		if len(ev) != 1 || ev[0].UserID != id || ev[0].Details["actor"] != f.admin.ID || ev[0].IP == "" {
			t.Errorf("%s events: %+v", typ, ev)
		}
	}
	if ev := f.events(t, audit.RolesChanged); len(ev) == 1 && (ev[0].Details["old_roles"] != "auditor:read user" || ev[0].Details["roles"] != "admin user") {
		t.Errorf("roles event details %v", ev[0].Details)
	}
}

// TestRoleChangeSeenAfterRefresh: roles are in ID and access tokens, and a
// role change made through the API is in the tokens of the next refresh.
func TestRoleChangeSeenAfterRefresh(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	tok := f.mustPassword(t, userEmail, userPassword, "openid", "offline_access")
	if roles := claimRoles(t, f, tok.AccessToken); !slices.Equal(roles, []string{"user"}) {
		t.Errorf("access token roles %v", roles)
	}
	if roles := claimRoles(t, f, tok.Extra("id_token").(string)); !slices.Equal(roles, []string{"user"}) {
		t.Errorf("ID token roles %v", roles)
	}
	f.ok(t, admin, http.MethodPatch, "/admin/users/"+f.user.ID, map[string]any{"roles": []string{"billing", "user"}}, http.StatusOK)
	next, err := f.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if roles := claimRoles(t, f, next.AccessToken); !slices.Equal(roles, []string{"billing", "user"}) {
		t.Errorf("refreshed access token roles %v", roles)
	}
	if roles := claimRoles(t, f, next.Extra("id_token").(string)); !slices.Equal(roles, []string{"billing", "user"}) {
		t.Errorf("refreshed ID token roles %v", roles)
	}
}

// TestDemotedAdmin: the role is checked on the user as they are now, and
// a refresh after the demotion drops gatehouse:admin from the grant.
func TestDemotedAdmin(t *testing.T) {
	f := newFixture(t)
	second := f.env.CreateUser(t, "second@example.com", "second password", "Second", "admin")
	tok := f.mustPassword(t, "second@example.com", "second password", "openid", "offline_access", scopeAdmin)
	f.ok(t, tok.AccessToken, http.MethodGet, "/admin/users", nil, http.StatusOK)
	f.ok(t, f.adminToken(t), http.MethodPatch, "/admin/users/"+second.ID, map[string]any{"roles": []string{"user"}}, http.StatusOK)

	r := f.call(t, tok.AccessToken, http.MethodGet, "/admin/users", nil)
	wantError(t, r, http.StatusForbidden, "access_denied")
	if ev := f.events(t, audit.PermissionDenied); len(ev) != 1 || ev[0].UserID != second.ID || ev[0].Details["reason"] != "not_admin" {
		t.Errorf("permission-denied events %+v", ev)
	}
	next, err := f.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if s, _ := next.Extra("scope").(string); strings.Contains(s, scopeAdmin) || !strings.Contains(s, "openid") {
		t.Errorf("refreshed scope %q, want openid without %s", s, scopeAdmin)
	}
}

// TestDisableAndDeleteRevoke: disabling or deleting a user signs them out
// of every browser and their refresh tokens fail with invalid_grant.
func TestDisableAndDeleteRevoke(t *testing.T) {
	for _, action := range []string{"disable", "delete"} {
		t.Run(action, func(t *testing.T) {
			f := newFixture(t)
			admin := f.adminToken(t)
			tok := f.mustPassword(t, userEmail, userPassword, "openid", "offline_access")
			cfg := f.config("openid")
			b := f.env.NewBrowser(t)
			b.AuthCodeFlow(t, cfg, userEmail, userPassword)
			if s, _ := f.env.Store.ListBrowserSessions(t.Context(), f.user.ID, timeNow()); len(s) != 1 {
				t.Fatalf("%d browser sessions before, want 1", len(s))
			}

			if action == "disable" {
				r := f.ok(t, admin, http.MethodPatch, "/admin/users/"+f.user.ID, map[string]any{"disabled": true}, http.StatusOK)
				if r.JSON["disabled"] != true {
					t.Errorf("patched: %s", r.Body)
				}
			} else {
				f.ok(t, admin, http.MethodDelete, "/admin/users/"+f.user.ID, nil, http.StatusNoContent)
			}

			if _, err := f.refresh(t, tok.RefreshToken); !isRetrieveError(err, http.StatusBadRequest, "invalid_grant") {
				t.Errorf("refresh after %s: %v, want invalid_grant", action, err)
			}
			if s, _ := f.env.Store.ListBrowserSessions(t.Context(), f.user.ID, timeNow()); len(s) != 0 {
				t.Errorf("%d browser sessions after %s", len(s), action)
			}
			// The browser is asked to sign in again.
			resp := b.Authorize(t, cfg.AuthCodeURL(servertest.RandomString(t), pkceOption()))
			if !servertest.OnPage(resp, "/login") {
				t.Errorf("after %s the browser got %d at %s, want the login page", action, resp.StatusCode, resp.Request.URL)
			}
			typ := map[string]string{"disable": audit.UserDisabled, "delete": audit.UserDeleted}[action]
			if ev := f.events(t, typ); len(ev) != 1 || ev[0].UserID != f.user.ID || ev[0].Details["actor"] != f.admin.ID {
				t.Errorf("%s events %+v", typ, ev)
			}
			if action == "disable" {
				r := f.ok(t, admin, http.MethodPatch, "/admin/users/"+f.user.ID, map[string]any{"disabled": false}, http.StatusOK)
				if r.JSON["disabled"] != false || len(f.events(t, audit.UserEnabled)) != 1 {
					t.Errorf("enable: %s", r.Body)
				}
				f.mustPassword(t, userEmail, userPassword, "openid")
			}
		})
	}
}

// claimRoles reads the roles claim of a JWT the server signed (the
// signature is checked elsewhere; here only the claim matters).
func claimRoles(t *testing.T, f *fixture, raw string) []string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	var c struct {
		Roles []string `json:"roles"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c.Roles
}
