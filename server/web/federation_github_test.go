package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/providers/providertest"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// These tests use a fake GitHub (Enterprise) speaking GitHub's OAuth and
// API endpoints, configured through auth_url, token_url and api_url.

var dana = providertest.GitHubUser{
	ID: 4242, Login: "dana", Name: "Dana Hub",
	Emails: []providertest.GitHubEmail{{Email: "dana@hub.example", Primary: true, Verified: true}},
}

func withGitHub(t *testing.T, user providertest.GitHubUser) (*gatehouse, *providertest.GitHub) {
	t.Helper()
	gh := providertest.NewGitHub(t, "Iv1.gatehouse", servertest.RandomString(t), user)
	a := startGatehouse(t, []server.ProviderConfig{{
		ID: "github", Type: "github", ClientID: gh.ClientID, ClientSecret: gh.ClientSecret,
		AuthURL: gh.AuthURL(), TokenURL: gh.TokenURL(), APIURL: gh.APIURL(),
	}})
	return a, gh
}

func TestGitHubLoginCreatesUser(t *testing.T) {
	a, _ := withGitHub(t, dana)
	br := a.browser(t, false)
	resp, rq := a.startLogin(t, br, "github")
	claims := a.finish(t, br, resp, rq)
	if claims.Email != "dana@hub.example" || !claims.EmailVerified || claims.Name != "Dana Hub" {
		t.Errorf("claims %+v", claims)
	}
	ids, err := a.Store.ListIdentities(context.Background(), claims.Subject)
	if err != nil || len(ids) != 1 || ids[0].Provider != "github" || ids[0].Subject != "4242" {
		t.Fatalf("identities %+v, %v", ids, err)
	}
	page := servertest.ReadBody(t, br.Get(t, a.URL+"/login"))
	if !contains(page, "Sign in with GitHub") {
		t.Errorf("the default button text is missing:\n%s", page)
	}
}

func TestGitHubWithoutVerifiedEmail(t *testing.T) {
	user := dana
	user.Emails = []providertest.GitHubEmail{{Email: "dana@hub.example", Primary: true, Verified: false}}
	a, _ := withGitHub(t, user)
	a.CreateUser(t, "dana@hub.example", "local password 12", "Dana Local")
	before := a.userCount(t)
	resp, _ := a.startLogin(t, a.browser(t, false), "github")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamEmailUnverified)
	a.expectFailureAudit(t, "github", "email_unverified")
	if got := a.userCount(t); got != before {
		t.Errorf("%d users, want %d", got, before)
	}
}

func TestGitHubTokenError(t *testing.T) {
	a, gh := withGitHub(t, dana)
	gh.FailTokens("bad_verification_code")
	resp, _ := a.startLogin(t, a.browser(t, false), "github")
	expectRefused(t, resp, http.StatusBadRequest, web.MsgUpstreamFailed)
	a.expectFailureAudit(t, "github", "exchange_failed")
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
