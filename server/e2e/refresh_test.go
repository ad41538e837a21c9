package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestRefreshRotation checks refresh-token rotation and reuse detection: a
// refresh yields new access and refresh tokens; replaying the old refresh
// token is invalid_grant and revokes the whole family, so the newest
// refresh token fails too and every access token of the family is inactive.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok1, _ := f.codeTokens(t, allScopes...)

	tok2, err := f.refresh(t, tok1.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.AccessToken == "" || tok2.AccessToken == tok1.AccessToken {
		t.Errorf("refresh did not issue a new access token")
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == tok1.RefreshToken {
		t.Errorf("refresh did not rotate the refresh token")
	}
	at, _ := verifyAccessToken(t, f.env, tok2.AccessToken, f.clientID)
	if at.Subject != f.user.ID || !sameSet(at.Scope, allScopes) {
		t.Errorf("refreshed access token sub %q scope %q", at.Subject, at.Scope)
	}
	// An OpenID Connect refresh re-issues the ID token.
	idt, c := verifyIDToken(t, f.env, f.clientID, idToken(tok2))
	if idt.Subject != f.user.ID || !slices.Equal(c.Roles, []string{"admin", "user"}) {
		t.Errorf("refreshed id_token sub %q roles %v", idt.Subject, c.Roles)
	}
	if !f.active(t, tok2.AccessToken) {
		t.Fatalf("the refreshed access token is not active")
	}

	// The newest refresh token keeps working...
	tok3, err := f.refresh(t, tok2.RefreshToken)
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}

	// ...until an old one is replayed.
	_, err = f.refresh(t, tok1.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")

	_, err = f.refresh(t, tok3.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	for i, at := range []string{tok1.AccessToken, tok2.AccessToken, tok3.AccessToken} {
		if f.active(t, at) {
			t.Errorf("access token %d of the family is still active after reuse", i+1)
		}
	}
	// A refresh token that was revoked stays revoked: asking again does not
	// revive anything.
	_, err = f.refresh(t, tok2.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

// TestRefreshFamiliesIndependent checks that reuse in one grant does not
// touch another grant of the same user and client.
func TestRefreshFamiliesIndependent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.passwordTokens(t, "openid", "offline_access")
	b := f.passwordTokens(t, "openid", "offline_access")

	if _, err := f.refresh(t, a.RefreshToken); err != nil {
		t.Fatalf("refresh a: %v", err)
	}
	_, err := f.refresh(t, a.RefreshToken) // reuse: revokes family a
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")

	if !f.active(t, b.AccessToken) {
		t.Errorf("family b's access token was revoked by reuse in family a")
	}
	if _, err := f.refresh(t, b.RefreshToken); err != nil {
		t.Errorf("family b's refresh token stopped working: %v", err)
	}
}

// TestRefreshOtherClient checks that a client cannot redeem another
// client's refresh token.
func TestRefreshOtherClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")
	id, sec := f.env.CreateClient(t, appLikeSpec("other"))
	_, err := f.env.OAuth2Config(id, sec, redirectURI).TokenSource(t.Context(), tokenWithRefresh(tok.RefreshToken)).Token()
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	// The rightful client still can.
	if _, err := f.refresh(t, tok.RefreshToken); err != nil {
		t.Errorf("refresh by the owner after another client's attempt: %v", err)
	}
}

// TestRefreshConcurrent redeems one refresh token several times at once:
// at most one request may win, and every other one gets invalid_grant.
func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")
	if wins, _ := raceToken(t, refreshForm(tok.RefreshToken), 5, f); wins > 1 {
		t.Errorf("%d concurrent refreshes of one token succeeded, want at most 1", wins)
	}
}

// raceToken sends n token requests with form at once, spread over the
// nodes in turn, checks that every loser got 400 invalid_grant and returns
// how many won, and a winning answer.
func raceToken(t *testing.T, form url.Values, n int, nodes ...*fixture) (wins int, winner apiResponse) {
	t.Helper()
	results := make(chan apiResponse, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		node := nodes[i%len(nodes)]
		wg.Go(func() {
			<-start
			results <- postNoFatal(node.env.URL+"/oauth2/token", form, node.clientID, node.secret)
		})
	}
	close(start)
	wg.Wait()
	close(results)
	for r := range results {
		if r.Status == http.StatusOK {
			wins++
			winner = r
			continue
		}
		servertest.CheckNoLeak(t, r.Body)
		if r.Status != http.StatusBadRequest || r.JSON["error"] != "invalid_grant" {
			t.Errorf("concurrent token request loser: %d %s, want 400 invalid_grant", r.Status, r.Body)
		}
	}
	return wins, winner
}

// refreshForm is the token request that redeems refreshToken.
func refreshForm(refreshToken string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
}
