package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// The fosite storage adapter (Store) against every fosite storage
// interface it implements, on a real SQLite file, in fosite's table style:
// each case names the interface method, what it is given and what fosite
// must get back (the requester and the error both, where fosite reads
// both, as for used codes and rotated refresh tokens).

const adapterPassword = "correct horse battery staple"

type adapter struct {
	*oauth.Store
	db   storage.Store
	user storage.User
}

func newAdapter(t *testing.T) *adapter {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	acc, err := accounts.New(db, 4)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []storage.Client{
		{ID: "app", SecretHash: []byte("hmac"), GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "offline_access"}, CreatedAt: now, UpdatedAt: now},
		{ID: "other", SecretHash: []byte("hmac"), GrantTypes: []string{"client_credentials"}, CreatedAt: now, UpdatedAt: now},
	} {
		if err := db.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	u, err := acc.CreateUser(ctx, accounts.NewUser{Email: "alice@example.com", Password: adapterPassword, Name: "Alice", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return &adapter{Store: oauth.NewStore(db, acc, 10*time.Minute), db: db, user: u}
}

// request is a fosite request of client "app" for the adapter's user,
// whose form holds secrets that must never be stored.
func (a *adapter) request(id string) *fosite.Request {
	sess := oauth.NewSession()
	sess.Subject = a.user.ID
	sess.Claims.Subject = a.user.ID
	sess.ClientID = "app"
	sess.User = true
	sess.Roles = []string{"user"}
	sess.SetExpiresAt(fosite.AccessToken, time.Now().Add(time.Hour).UTC().Truncate(time.Second))
	sess.SetExpiresAt(fosite.RefreshToken, time.Now().Add(24*time.Hour).UTC().Truncate(time.Second))
	r := fosite.NewRequest()
	r.ID = id
	r.RequestedAt = time.Now().UTC().Truncate(time.Second)
	r.Client = &fosite.DefaultClient{ID: "app"}
	r.RequestedScope = fosite.Arguments{"openid", "offline_access"}
	r.GrantedScope = fosite.Arguments{"openid", "offline_access"}
	r.GrantedAudience = fosite.Arguments{"app"}
	r.Form = url.Values{
		"scope": {"openid offline_access"}, "redirect_uri": {"https://app.example/cb"},
		"password": {adapterPassword}, "client_secret": {"s3cret"}, "code_verifier": {"verifier"},
		"refresh_token": {"rt"}, "code": {"the-code"},
	}
	r.Session = sess
	return r
}

// wantRequest checks that got is req as stored: id, client, scopes,
// audience, the session's subject and expiry, and a form without secrets.
func wantRequest(t *testing.T, got fosite.Requester, req *fosite.Request, sess fosite.Session) {
	t.Helper()
	if got == nil {
		t.Fatal("no requester returned")
	}
	if got.GetID() != req.ID || got.GetClient().GetID() != "app" {
		t.Errorf("id %q client %q, want %q app", got.GetID(), got.GetClient().GetID(), req.ID)
	}
	if !slices.Equal(got.GetGrantedScopes(), req.GrantedScope) || !slices.Equal(got.GetGrantedAudience(), req.GrantedAudience) {
		t.Errorf("scopes %v audience %v", got.GetGrantedScopes(), got.GetGrantedAudience())
	}
	if !got.GetRequestedAt().Equal(req.RequestedAt) {
		t.Errorf("requested at %v, want %v", got.GetRequestedAt(), req.RequestedAt)
	}
	for _, secretParam := range []string{"password", "client_secret", "code_verifier", "refresh_token", "code"} {
		if got.GetRequestForm().Has(secretParam) {
			t.Errorf("stored form kept %q", secretParam)
		}
	}
	if got.GetRequestForm().Get("redirect_uri") != "https://app.example/cb" {
		t.Errorf("stored form lost redirect_uri: %v", got.GetRequestForm())
	}
	if sess == nil {
		return
	}
	if got.GetSession() != sess {
		t.Error("the session was not read into the caller's session object")
	}
	s := sess.(*oauth.Session)
	if s.Subject != req.Session.GetSubject() || !s.GetExpiresAt(fosite.AccessToken).Equal(req.Session.GetExpiresAt(fosite.AccessToken)) {
		t.Errorf("session subject %q expiry %v", s.Subject, s.GetExpiresAt(fosite.AccessToken))
	}
}

// TestStoreClientManager covers fosite.ClientManager.
func TestStoreClientManager(t *testing.T) {
	a := newAdapter(t)
	ctx := t.Context()
	c, err := a.GetClient(ctx, "app")
	if err != nil || c.GetID() != "app" || c.IsPublic() || !slices.Contains(c.GetAudience(), "app") {
		t.Fatalf("GetClient(app) = %+v, %v", c, err)
	}
	if _, err := a.GetClient(ctx, "nobody"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("GetClient(nobody) error %v, want fosite.ErrNotFound", err)
	}
	exp := time.Now().Add(time.Hour)
	if err := a.SetClientAssertionJWT(ctx, "jti-1", exp); err != nil {
		t.Fatalf("first jti: %v", err)
	}
	if err := a.SetClientAssertionJWT(ctx, "jti-1", exp); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Errorf("replayed jti: %v, want fosite.ErrJTIKnown", err)
	}
}

// sessionKind is one fosite session kind as the adapter stores it.
type sessionKind struct {
	name     string
	create   func(a *adapter, ctx context.Context, key string, req fosite.Requester) error
	get      func(a *adapter, ctx context.Context, key string, sess fosite.Session) (fosite.Requester, error)
	remove   func(a *adapter, ctx context.Context, key string) error
	inactive error // what a used or revoked row reads as (nil: deleted, not deactivated)
	// deactivate uses the row as fosite does (nil: the kind is only deleted).
	deactivate func(a *adapter, ctx context.Context, key, requestID string) error
}

var sessionKinds = []sessionKind{
	{
		name: "authorize code",
		create: func(a *adapter, ctx context.Context, k string, r fosite.Requester) error {
			return a.CreateAuthorizeCodeSession(ctx, k, r)
		},
		get: func(a *adapter, ctx context.Context, k string, s fosite.Session) (fosite.Requester, error) {
			return a.GetAuthorizeCodeSession(ctx, k, s)
		},
		inactive: fosite.ErrInvalidatedAuthorizeCode,
		deactivate: func(a *adapter, ctx context.Context, k, _ string) error {
			return a.InvalidateAuthorizeCodeSession(ctx, k)
		},
	},
	{
		name: "access token",
		create: func(a *adapter, ctx context.Context, k string, r fosite.Requester) error {
			return a.CreateAccessTokenSession(ctx, k, r)
		},
		get: func(a *adapter, ctx context.Context, k string, s fosite.Session) (fosite.Requester, error) {
			return a.GetAccessTokenSession(ctx, k, s)
		},
		remove: func(a *adapter, ctx context.Context, k string) error { return a.DeleteAccessTokenSession(ctx, k) },
	},
	{
		name: "refresh token",
		create: func(a *adapter, ctx context.Context, k string, r fosite.Requester) error {
			return a.CreateRefreshTokenSession(ctx, k, "at-"+k, r)
		},
		get: func(a *adapter, ctx context.Context, k string, s fosite.Session) (fosite.Requester, error) {
			return a.GetRefreshTokenSession(ctx, k, s)
		},
		remove:     func(a *adapter, ctx context.Context, k string) error { return a.DeleteRefreshTokenSession(ctx, k) },
		inactive:   fosite.ErrInactiveToken,
		deactivate: func(a *adapter, ctx context.Context, k, id string) error { return a.RotateRefreshToken(ctx, id, k) },
	},
	{
		name: "pkce",
		create: func(a *adapter, ctx context.Context, k string, r fosite.Requester) error {
			return a.CreatePKCERequestSession(ctx, k, r)
		},
		get: func(a *adapter, ctx context.Context, k string, s fosite.Session) (fosite.Requester, error) {
			return a.GetPKCERequestSession(ctx, k, s)
		},
		// Removed with its code: TestPKCESessionGoesWithItsCode.
	},
	{
		name: "openid connect",
		create: func(a *adapter, ctx context.Context, k string, r fosite.Requester) error {
			return a.CreateOpenIDConnectSession(ctx, k, r)
		},
		get: func(a *adapter, ctx context.Context, k string, s fosite.Session) (fosite.Requester, error) {
			req := fosite.NewRequest()
			req.Session = s
			return a.GetOpenIDConnectSession(ctx, k, req)
		},
		remove: func(a *adapter, ctx context.Context, k string) error { return a.DeleteOpenIDConnectSession(ctx, k) },
	},
}

// TestStoreSessions runs every session kind through create, read (into the
// caller's session, and with a nil session as revocation reads), a miss,
// use or deletion, and a read afterwards.
func TestStoreSessions(t *testing.T) {
	for _, kind := range sessionKinds {
		t.Run(kind.name, func(t *testing.T) {
			a := newAdapter(t)
			ctx := t.Context()
			req := a.request("req-" + kind.name)
			if err := kind.create(a, ctx, "key-1", req); err != nil {
				t.Fatalf("create: %v", err)
			}
			if err := kind.create(a, ctx, "key-1", req); err == nil {
				t.Error("creating the same signature twice succeeded")
			}

			sess := oauth.NewSession()
			got, err := kind.get(a, ctx, "key-1", sess)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			wantRequest(t, got, req, sess)

			// Revocation reads with a nil session: the request (and its
			// client) still comes back.
			if kind.name != "openid connect" {
				got, err = kind.get(a, ctx, "key-1", nil)
				if err != nil || got == nil || got.GetClient().GetID() != "app" {
					t.Errorf("get with nil session: %v, %v", got, err)
				}
			}

			if _, err := kind.get(a, ctx, "unknown", oauth.NewSession()); !errors.Is(err, fosite.ErrNotFound) {
				t.Errorf("unknown key: %v, want fosite.ErrNotFound", err)
			}
			if kind.name == "openid connect" {
				if _, err := kind.get(a, ctx, "unknown", oauth.NewSession()); !errors.Is(err, openid.ErrNoSessionFound) {
					t.Errorf("unknown OIDC session: %v, want openid.ErrNoSessionFound", err)
				}
			}

			if kind.deactivate != nil {
				if err := kind.deactivate(a, ctx, "key-1", req.ID); err != nil {
					t.Fatalf("first use: %v", err)
				}
				// A used code or rotated refresh token comes back WITH its
				// request: fosite needs the request ID to revoke the family.
				sess := oauth.NewSession()
				got, err := kind.get(a, ctx, "key-1", sess)
				if !errors.Is(err, kind.inactive) {
					t.Fatalf("after use: error %v, want %v", err, kind.inactive)
				}
				wantRequest(t, got, req, sess)
				if err := kind.deactivate(a, ctx, "key-1", req.ID); err == nil {
					t.Error("a second use succeeded: two concurrent exchanges could both win")
				}
			}
			if kind.remove != nil {
				if err := kind.remove(a, ctx, "key-1"); err != nil {
					t.Fatalf("delete: %v", err)
				}
				if kind.inactive == nil {
					if _, err := kind.get(a, ctx, "key-1", oauth.NewSession()); !errors.Is(err, fosite.ErrNotFound) {
						t.Errorf("after delete: %v, want fosite.ErrNotFound", err)
					}
				}
				if err := kind.remove(a, ctx, "key-1"); err != nil {
					t.Errorf("deleting twice: %v", err)
				}
			}
		})
	}
}

// TestStoreRevocation covers oauth2.TokenRevocationStorage: revoking a
// request makes its refresh tokens inactive (still readable, for reuse
// detection) and deletes its access tokens, and touches no other request.
func TestStoreRevocation(t *testing.T) {
	a := newAdapter(t)
	ctx := t.Context()
	for _, id := range []string{"family", "bystander"} {
		req := a.request(id)
		if err := a.CreateAccessTokenSession(ctx, "at-"+id, req); err != nil {
			t.Fatal(err)
		}
		if err := a.CreateRefreshTokenSession(ctx, "rt-"+id, "at-"+id, req); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RevokeRefreshToken(ctx, "family"); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeAccessToken(ctx, "family"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.GetRefreshTokenSession(ctx, "rt-family", oauth.NewSession()); !errors.Is(err, fosite.ErrInactiveToken) || got == nil {
		t.Errorf("revoked refresh token: %v, %v; want its request and fosite.ErrInactiveToken", got, err)
	}
	if _, err := a.GetAccessTokenSession(ctx, "at-family", oauth.NewSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("revoked access token: %v, want fosite.ErrNotFound", err)
	}
	if _, err := a.GetRefreshTokenSession(ctx, "rt-bystander", oauth.NewSession()); err != nil {
		t.Errorf("another request's refresh token: %v", err)
	}
	if _, err := a.GetAccessTokenSession(ctx, "at-bystander", oauth.NewSession()); err != nil {
		t.Errorf("another request's access token: %v", err)
	}
	// Revoking an unknown request is not an error (RFC 7009: nothing to do).
	if err := errors.Join(a.RevokeRefreshToken(ctx, "nothing"), a.RevokeAccessToken(ctx, "nothing")); err != nil {
		t.Errorf("revoking an unknown request: %v", err)
	}
	// Rotating a refresh token deletes the access tokens of its request.
	req := a.request("rotating")
	if err := errors.Join(a.CreateAccessTokenSession(ctx, "at-rot", req), a.CreateRefreshTokenSession(ctx, "rt-rot", "at-rot", req)); err != nil {
		t.Fatal(err)
	}
	if err := a.RotateRefreshToken(ctx, "rotating", "rt-rot"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetAccessTokenSession(ctx, "at-rot", oauth.NewSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("access token after its refresh token rotated: %v, want fosite.ErrNotFound", err)
	}
}

// TestStoreTransactions covers fosite's storage.Transactional: the
// adapter's writes join the transaction carried by the context, a
// rollback undoes them, a commit keeps them, and the reuse paths
// (invalidate, rotate) run inside one.
func TestStoreTransactions(t *testing.T) {
	for _, commit := range []bool{false, true} {
		name := map[bool]string{false: "rollback", true: "commit"}[commit]
		t.Run(name, func(t *testing.T) {
			a := newAdapter(t)
			ctx := t.Context()
			code := a.request("code-req")
			if err := a.CreateAuthorizeCodeSession(ctx, "code", code); err != nil {
				t.Fatal(err)
			}
			tx, err := a.BeginTX(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The code exchange: invalidate the code, issue the pair.
			if err := a.InvalidateAuthorizeCodeSession(tx, "code"); err != nil {
				t.Fatal(err)
			}
			issued := a.request("code-req")
			if err := errors.Join(a.CreateAccessTokenSession(tx, "at", issued), a.CreateRefreshTokenSession(tx, "rt", "at", issued)); err != nil {
				t.Fatal(err)
			}
			// Inside the transaction its own writes are visible.
			if _, err := a.GetRefreshTokenSession(tx, "rt", oauth.NewSession()); err != nil {
				t.Fatalf("inside the transaction: %v", err)
			}
			if commit {
				err = a.Commit(tx)
			} else {
				err = a.Rollback(tx)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, rtErr := a.GetRefreshTokenSession(ctx, "rt", oauth.NewSession())
			_, codeErr := a.GetAuthorizeCodeSession(ctx, "code", oauth.NewSession())
			if commit {
				if rtErr != nil || !errors.Is(codeErr, fosite.ErrInvalidatedAuthorizeCode) {
					t.Errorf("after commit: refresh %v, code %v; want the pair kept and the code used", rtErr, codeErr)
				}
				return
			}
			if !errors.Is(rtErr, fosite.ErrNotFound) || codeErr != nil {
				t.Errorf("after rollback: refresh %v, code %v; want no pair and the code unused", rtErr, codeErr)
			}
		})
	}
}

// TestStoreAuthenticate covers the password grant's storage: good
// credentials give the subject; bad ones wrap fosite.ErrNotFound (which
// fosite answers with invalid_grant), never another error.
func TestStoreAuthenticate(t *testing.T) {
	a := newAdapter(t)
	for _, tc := range []struct {
		name, email, password string
		ok                    bool
	}{
		{"right password", "alice@example.com", adapterPassword, true},
		{"email in another case", "Alice@Example.com", adapterPassword, true},
		{"wrong password", "alice@example.com", "wrong password!", false},
		{"unknown email", "bob@example.com", adapterPassword, false},
		{"empty password", "alice@example.com", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := a.Authenticate(t.Context(), tc.email, tc.password)
			if tc.ok {
				if err != nil || sub != a.user.ID {
					t.Errorf("Authenticate = %q, %v; want %q", sub, err, a.user.ID)
				}
				return
			}
			if !errors.Is(err, fosite.ErrNotFound) || sub != "" {
				t.Errorf("Authenticate = %q, %v; want fosite.ErrNotFound", sub, err)
			}
		})
	}
}

// TestPKCESessionGoesWithItsCode: fosite's delete of a PKCE session, made
// before the verifier is compared, keeps it (a failed verifier must not
// leave the code redeemable without one); redeeming the code removes it.
func TestPKCESessionGoesWithItsCode(t *testing.T) {
	a := newAdapter(t)
	ctx := t.Context()
	req := a.request("req-pkce")
	if err := a.CreateAuthorizeCodeSession(ctx, "code-sig", req); err != nil {
		t.Fatal(err)
	}
	if err := a.CreatePKCERequestSession(ctx, "code-sig", req); err != nil {
		t.Fatal(err)
	}
	if err := a.DeletePKCERequestSession(ctx, "code-sig"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetPKCERequestSession(ctx, "code-sig", oauth.NewSession()); err != nil {
		t.Fatalf("after fosite's delete: %v, want the session kept", err)
	}
	if err := a.InvalidateAuthorizeCodeSession(ctx, "code-sig"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetPKCERequestSession(ctx, "code-sig", oauth.NewSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("after the code was redeemed: %v, want fosite.ErrNotFound", err)
	}
}
