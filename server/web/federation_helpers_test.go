package web_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// appRedirect is the redirect URI of the application behind Gatehouse.
const appRedirect = "https://app.example/cb"

// gatehouse is Gatehouse "A": the server under test, with upstream
// providers configured and one application, "app", registered.
type gatehouse struct {
	*servertest.Env
	app *oauth2.Config
}

// startGatehouse starts A with providers and any further config changes.
func startGatehouse(t *testing.T, providers []server.ProviderConfig, edit ...func(*server.Config)) *gatehouse {
	t.Helper()
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Providers = providers
		for _, e := range edit {
			e(c)
		}
	}))
	id, sec := env.CreateClient(t, clients.Spec{ID: "app", Name: "Example App", RedirectURIs: []string{appRedirect}})
	return &gatehouse{Env: env, app: env.OAuth2Config(id, sec, appRedirect, "openid", "email", "profile")}
}

// callbackURL is the redirect URI to register at the upstream.
func (g *gatehouse) callbackURL(provider string) string {
	return g.URL + "/login/" + provider + "/callback"
}

// request is one authorization request of the app.
type request struct {
	state, verifier, nonce string
}

// browser is a person's browser that follows redirects across Gatehouse
// and the upstreams and stops at the app (and, with stopAtCallback, at
// Gatehouse's upstream callback).
func (g *gatehouse) browser(t *testing.T, stopAtCallback bool) *servertest.Browser {
	t.Helper()
	b := g.NewBrowser(t)
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "app.example" || (stopAtCallback && strings.HasSuffix(req.URL.Path, "/callback")) {
			return http.ErrUseLastResponse
		}
		if len(via) >= 20 {
			return errors.New("stopped after 20 redirects")
		}
		return nil
	}
	return b
}

// startLogin opens the app's authorization request in b, checks that the
// login page offers provider, and clicks its button. The response is
// wherever that leads (the upstream's login page, or with stopAtCallback
// the redirect back to Gatehouse).
func (g *gatehouse) startLogin(t *testing.T, b *servertest.Browser, provider string) (*http.Response, request) {
	t.Helper()
	rq := request{state: servertest.RandomString(t), verifier: oauth2.GenerateVerifier(), nonce: servertest.RandomString(t)}
	resp := b.Get(t, g.app.AuthCodeURL(rq.state, oauth2.S256ChallengeOption(rq.verifier), oauth2.SetAuthURLParam("nonce", rq.nonce)))
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("expected the login page, got %d at %s", resp.StatusCode, resp.Request.URL)
	}
	href := upstreamLink(t, servertest.ReadBody(t, resp), provider)
	return b.Get(t, g.URL+href), rq
}

// finish answers Gatehouse's consent page, follows the redirect to the
// app, redeems the code and returns the verified ID token's claims.
func (g *gatehouse) finish(t *testing.T, b *servertest.Browser, resp *http.Response, rq request) idClaims {
	t.Helper()
	if servertest.OnPage(resp, "/consent") {
		resp = b.Consent(t, resp, "allow")
	}
	q := servertest.ClientRedirect(t, resp, appRedirect).Query()
	if q.Get("state") != rq.state || q.Get("code") == "" {
		t.Fatalf("redirect to the app: %v", q)
	}
	ctx := context.Background()
	tok, err := g.app.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(rq.verifier))
	if err != nil {
		t.Fatalf("exchange at Gatehouse: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	op, err := oidc.NewProvider(ctx, g.URL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: g.app.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("Gatehouse's ID token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != rq.nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, rq.nonce)
	}
	return c
}

type idClaims struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// expectRefused checks that resp is the error page with status and msg.
func expectRefused(t *testing.T, resp *http.Response, status int, msg string) {
	t.Helper()
	body := string(servertest.ReadBody(t, resp))
	if resp.StatusCode != status || !strings.Contains(body, html.EscapeString(msg)) {
		t.Fatalf("got %d at %s, want %d with %q:\n%s", resp.StatusCode, resp.Request.URL, status, msg, body)
	}
}

// events returns the audit events of typ, newest first.
func (g *gatehouse) events(t *testing.T, typ string) []storage.AuditEvent {
	t.Helper()
	ev, err := g.Store.ListAuditEvents(context.Background(), storage.AuditFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// expectFailureAudit checks the newest upstream failure event.
func (g *gatehouse) expectFailureAudit(t *testing.T, provider, reason string) {
	t.Helper()
	ev := g.events(t, "upstream.failure")
	if len(ev) == 0 || ev[0].Details["provider"] != provider || ev[0].Details["reason"] != reason || ev[0].Outcome != "failure" {
		t.Fatalf("upstream.failure events %+v, want provider %s reason %s", ev, provider, reason)
	}
}

// userCount is how many users A has.
func (g *gatehouse) userCount(t *testing.T) int {
	t.Helper()
	users, err := g.Store.ListUsers(context.Background(), storage.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(users)
}

// upstreamLink is the href of the login page's button for provider.
func upstreamLink(t *testing.T, page []byte, provider string) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var href string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" && strings.Contains(attr(n, "class"), "upstream") &&
			strings.HasPrefix(attr(n, "href"), "/login/"+provider+"?") {
			href = attr(n, "href")
		}
		for c := n.FirstChild; c != nil && href == ""; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if href == "" {
		t.Fatalf("the login page has no button for %q:\n%s", provider, page)
	}
	return href
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
