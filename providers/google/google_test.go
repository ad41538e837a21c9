package google_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/providers/google"
	"github.com/gatehouse-id/gatehouse/providers/providertest"
)

var bob = providertest.Person{Subject: "1087", Email: "bob@corp.example", EmailVerified: true, Name: "Bob"}

// login signs in at up through a Google provider for hostedDomain; the
// issuer is the fake, as Google's cannot be reached from tests.
func login(t *testing.T, up *providertest.OIDC, hostedDomain string) (url.Values, providers.Identity, error) {
	t.Helper()
	p, err := google.New(providers.Config{
		ID: "google", Issuer: up.URL, ClientID: up.ClientID, ClientSecret: up.ClientSecret,
		HostedDomain: hostedDomain, RedirectURL: "https://gatehouse.example/login/google/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	return providertest.Login(t, p, providertest.NewFlow())
}

func TestGoogleScopesAndNoHostedDomain(t *testing.T) {
	up := providertest.NewOIDC(t, "app.apps.googleusercontent.com", "GOCSPX-secret", bob)
	q, id, err := login(t, up, "")
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("scope") != "openid email profile" || q.Has("hd") {
		t.Errorf("scope %q, hd %q", q.Get("scope"), q.Get("hd"))
	}
	if id.Subject != "1087" || !id.EmailVerified {
		t.Errorf("identity %+v", id)
	}
}

func TestGoogleHostedDomain(t *testing.T) {
	for _, tc := range []struct {
		name string
		hd   any // the ID token's hd claim; nil: none
		ok   bool
	}{
		{"same domain", "corp.example", true},
		{"same domain, other case", "Corp.Example", true},
		{"other domain", "evil.example", false},
		{"consumer account", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := providertest.NewOIDC(t, "app.apps.googleusercontent.com", "GOCSPX-secret", bob)
			up.EditClaims(func(c map[string]any) {
				if tc.hd != nil {
					c["hd"] = tc.hd
				}
			})
			q, _, err := login(t, up, "corp.example")
			if q.Get("hd") != "corp.example" {
				t.Errorf("hd parameter %q, want corp.example", q.Get("hd"))
			}
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, providers.ErrInvalidIdentity) {
				t.Fatalf("err = %v, want ErrInvalidIdentity", err)
			}
		})
	}
}

func TestGoogleIssuerDefault(t *testing.T) {
	if google.Issuer != "https://accounts.google.com" {
		t.Fatalf("Issuer = %q", google.Issuer)
	}
	// New must not reach Google: it only validates.
	if _, err := google.New(providers.Config{ID: "google", ClientID: "x", RedirectURL: "https://g.example/cb"}); err != nil {
		t.Fatal(err)
	}
}
