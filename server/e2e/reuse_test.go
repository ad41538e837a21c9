package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// raceRounds is how many times each race runs: the reuse rule must hold
// every time, not usually.
const raceRounds = 100

// raceWidth is how many requests use one code or refresh token at once.
const raceWidth = 20

// TestRefreshRaceRevokesFamily: of 20 parallel refreshes of one token
// exactly one wins, and the others are reuse: they revoke the whole
// family, the winner's new tokens included. Every round.
func TestRefreshRaceRevokesFamily(t *testing.T) {
	t.Parallel()
	refreshRace(t, newFixture(t))
}

// TestCodeRaceRevokesFamily: of 20 parallel exchanges of one code exactly
// one wins, and the others are a replay: they revoke what the winner got.
func TestCodeRaceRevokesFamily(t *testing.T) {
	t.Parallel()
	codeRace(t, newFixture(t))
}

// TestClusterRaceRevokesFamily: the same rule across two nodes sharing one
// PostgreSQL database.
func TestClusterRaceRevokesFamily(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Minute)
	refreshRace(t, c.a, c.b)
	codeRace(t, c.a, c.b)
}

// refreshRace races raceWidth refreshes of one token over nodes,
// raceRounds times.
func refreshRace(t *testing.T, nodes ...*fixture) {
	t.Helper()
	for round := range raceRounds {
		tok := nodes[0].passwordTokens(t, "openid", "offline_access")
		wins, winner := raceToken(t, refreshForm(tok.RefreshToken), raceWidth, nodes...)
		if wins != 1 {
			t.Fatalf("round %d: %d of %d concurrent refreshes succeeded, want exactly 1", round, wins, raceWidth)
		}
		wantFamilyRevoked(t, "refresh", round, winner, nodes[len(nodes)-1])
	}
}

// codeRace races raceWidth exchanges of one code over nodes, raceRounds
// times.
func codeRace(t *testing.T, nodes ...*fixture) {
	t.Helper()
	browser := nodes[0].env.NewBrowser(t)
	for round := range raceRounds {
		a := browser.AuthCodeFlow(t, nodes[0].config("openid", "offline_access"), aliceEmail, alicePassword)
		wins, winner := raceToken(t, url.Values{
			"grant_type": {"authorization_code"}, "code": {a.Code},
			"redirect_uri": {redirectURI}, "code_verifier": {a.Verifier},
		}, raceWidth, nodes...)
		if wins != 1 {
			t.Fatalf("round %d: %d of %d concurrent exchanges of one code succeeded, want exactly 1", round, wins, raceWidth)
		}
		wantFamilyRevoked(t, "code", round, winner, nodes[len(nodes)-1])
	}
}

// wantFamilyRevoked checks, right after a race and with no replay since,
// that the winner's access and refresh tokens are revoked (by the losers'
// reuse, or by a concurrent revocation).
func wantFamilyRevoked(t *testing.T, what string, round int, winner apiResponse, f *fixture) {
	t.Helper()
	rt, _ := winner.JSON["refresh_token"].(string)
	at, _ := winner.JSON["access_token"].(string)
	if rt == "" || at == "" {
		t.Fatalf("%s round %d: the winning answer lacks tokens: %s", what, round, winner.Body)
	}
	if f.active(t, at) {
		t.Fatalf("%s round %d: the winner's access token is still active", what, round)
	}
	if r := postNoFatal(f.env.URL+"/oauth2/token", refreshForm(rt), f.clientID, f.secret); r.Status != http.StatusBadRequest {
		t.Fatalf("%s round %d: the winner's refresh token still works (status %d)", what, round, r.Status)
	}
}

// TestRefreshReuseGrace: within lifetimes.refresh_reuse_grace of its
// first use a refresh token used again gets a fresh pair and revokes
// nothing (two tabs refreshing at once, also concurrently); once the
// window has passed, using it again is reuse and revokes the family.
func TestRefreshReuseGrace(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Lifetimes.RefreshReuseGrace = server.Duration(grace)
	}))
	tok := f.passwordTokens(t, "openid", "offline_access")
	first, err := f.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	used := time.Now()
	wins, other := raceToken(t, refreshForm(tok.RefreshToken), 5, f)
	if wins != 5 {
		t.Fatalf("%d of 5 uses within the grace window succeeded, want all", wins)
	}
	second, _ := other.JSON["refresh_token"].(string)
	if !f.active(t, first.AccessToken) {
		t.Error("a use within the grace window revoked the first use's access token")
	}
	if _, err := f.refresh(t, first.RefreshToken); err != nil {
		t.Errorf("the first use's refresh token after a use within the window: %v", err)
	}
	latest, err := f.refresh(t, second)
	if err != nil {
		t.Fatalf("a refresh token issued within the window: %v", err)
	}

	time.Sleep(time.Until(used.Add(grace + 100*time.Millisecond))) // the window has passed
	_, err = f.refresh(t, tok.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	if f.active(t, latest.AccessToken) {
		t.Error("reuse after the window left the family's access token active")
	}
	_, err = f.refresh(t, latest.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}
