package github_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/providers/github"
	"github.com/gatehouse-id/gatehouse/providers/providertest"
)

const redirect = "https://gatehouse.example/login/github/callback"

var octocat = providertest.GitHubUser{
	ID: 583231, Login: "octocat", Name: "The Octocat",
	Emails: []providertest.GitHubEmail{
		{Email: "octo@old.example", Verified: true},
		{Email: "octocat@github.example", Primary: true, Verified: true},
	},
}

func open(t *testing.T, gh *providertest.GitHub) providers.Provider {
	t.Helper()
	p, err := github.New(providers.Config{
		ID: "github", ClientID: gh.ClientID, ClientSecret: gh.ClientSecret, RedirectURL: redirect,
		AuthURL: gh.AuthURL(), TokenURL: gh.TokenURL(), APIURL: gh.APIURL() + "/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func login(t *testing.T, p providers.Provider) (url.Values, providers.Identity, error) {
	t.Helper()
	return providertest.Login(t, p, providertest.NewFlow())
}

func TestGitHubLogin(t *testing.T) {
	gh := providertest.NewGitHub(t, "Iv1.abc", "gh-secret", octocat)
	q, id, err := login(t, open(t, gh))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("scope") != "read:user user:email" || q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != redirect {
		t.Errorf("login URL query %v", q)
	}
	want := providers.Identity{Subject: "583231", Email: "octocat@github.example", EmailVerified: true, Name: "The Octocat", Picture: "https://avatars.example/u/1"}
	if id != want {
		t.Errorf("identity %+v, want %+v", id, want)
	}
}

func TestGitHubEmailVerification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		emails    []providertest.GitHubEmail
		wantEmail string
	}{
		{"primary unverified", []providertest.GitHubEmail{{Email: "p@x.example", Primary: true}, {Email: "v@x.example", Verified: true}}, "p@x.example"},
		{"no emails", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := octocat
			u.Emails = tc.emails
			u.Name = ""
			_, id, err := login(t, open(t, providertest.NewGitHub(t, "Iv1.abc", "gh-secret", u)))
			if err != nil {
				t.Fatal(err)
			}
			if id.EmailVerified || id.Email != tc.wantEmail || id.Name != "octocat" {
				t.Errorf("identity %+v: want email %q unverified, name from login", id, tc.wantEmail)
			}
		})
	}
}

// GitHub answers token errors with HTTP 200 and an error field.
func TestGitHubTokenErrorWithStatus200(t *testing.T) {
	gh := providertest.NewGitHub(t, "Iv1.abc", "gh-secret", octocat)
	gh.FailTokens("bad_verification_code")
	_, _, err := login(t, open(t, gh))
	if !errors.Is(err, providers.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestGitHubWrongSecret(t *testing.T) {
	gh := providertest.NewGitHub(t, "Iv1.abc", "gh-secret", octocat)
	p, err := github.New(providers.Config{
		ID: "github", ClientID: gh.ClientID, ClientSecret: "rotated", RedirectURL: redirect,
		AuthURL: gh.AuthURL(), TokenURL: gh.TokenURL(), APIURL: gh.APIURL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := login(t, p); !errors.Is(err, providers.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestGitHubDefaults(t *testing.T) {
	p, err := github.New(providers.Config{ID: "github", ClientID: "Iv1.abc", RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := p.LoginURL(context.Background(), providers.Flow{State: "s-12345678", CodeVerifier: oauth2.GenerateVerifier()})
	u, _ := url.Parse(raw)
	if u.Scheme+"://"+u.Host+u.Path != github.DefaultAuthURL {
		t.Errorf("login URL %s, want %s", raw, github.DefaultAuthURL)
	}
	if _, err := github.New(providers.Config{ID: "github", RedirectURL: redirect}); err == nil {
		t.Error("accepted no client_id")
	}
}
