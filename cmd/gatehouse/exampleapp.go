package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/secret"
)

// exampleAppDone is the page the example app shows after the sign-in.
var exampleAppDone = template.Must(template.New("done").Parse(`<!doctype html>
<meta charset="utf-8"><title>Example app</title>
<h1>Signed in{{with .}} as {{.}}{{end}}</h1>
<p>The tokens and their claims are printed in the terminal. You can close this page.</p>`))

// cmdExampleApp is a tiny relying party for trying Gatehouse: it listens
// on --listen, whose /callback must be a redirect URI of the client,
// sends the browser that opens / to the issuer with PKCE (S256), a state
// and a nonce, redeems the code, verifies the ID token against the JWKS,
// prints the tokens and the ID token's claims as one JSON object and
// exits. It is an example, not a library: it prints tokens.
func cmdExampleApp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("example-app", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	issuer := fs.String("issuer", "http://127.0.0.1:8080", "the Gatehouse issuer")
	clientID := fs.String("client-id", "", "the client's id")
	clientSecret := fs.String("client-secret", "", "the client's secret (none for a public client)")
	listen := fs.String("listen", "127.0.0.1:9555", "where the app listens; http://LISTEN/callback is its redirect URI")
	var scopes multi
	fs.Var(&scopes, "scope", "scope to ask for (repeatable; default openid profile email)")
	if err := fs.Parse(args); err != nil {
		return fail(stderr, fmt.Errorf("example-app: %w", err))
	}
	if fs.NArg() > 0 {
		return fail(stderr, fmt.Errorf("example-app: unexpected argument %q", fs.Arg(0)))
	}
	if *clientID == "" {
		return fail(stderr, errors.New("example-app: --client-id is required"))
	}
	if len(scopes) == 0 {
		scopes = multi{oidc.ScopeOpenID, "profile", "email"}
	}
	discoverCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	provider, err := oidc.NewProvider(discoverCtx, *issuer)
	cancel()
	if err != nil {
		return fail(stderr, fmt.Errorf("example-app: discovery: %w", err))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(stderr, fmt.Errorf("example-app: %w", err))
	}
	defer ln.Close()

	endpoint := provider.Endpoint()
	if *clientSecret == "" {
		endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client sends only its id
	}
	app := &exampleApp{
		cfg: oauth2.Config{
			ClientID: *clientID, ClientSecret: *clientSecret, Endpoint: endpoint,
			RedirectURL: "http://" + ln.Addr().String() + "/callback", Scopes: scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: *clientID}),
		state:    secret.Token(16), nonce: secret.Token(16), pkce: oauth2.GenerateVerifier(),
		result: make(chan error, 1), stdout: stdout,
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(stderr, "example-app: open http://%s/ in a browser to sign in (redirect URI %s)\n", ln.Addr(), app.cfg.RedirectURL)

	select {
	case err = <-app.result:
	case <-ctx.Done():
		err = ctx.Err()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx) // the browser gets its page first
	if err != nil {
		return fail(stderr, fmt.Errorf("example-app: %w", err))
	}
	return 0
}

// exampleApp runs one sign-in.
type exampleApp struct {
	cfg                oauth2.Config
	verifier           *oidc.IDTokenVerifier
	state, nonce, pkce string
	result             chan error
	stdout             io.Writer
}

func (a *exampleApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		http.Redirect(w, r, a.cfg.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.pkce),
			oauth2.SetAuthURLParam("nonce", a.nonce)), http.StatusFound)
	case "/callback":
		name, err := a.callback(r)
		select {
		case a.result <- err:
		default:
		}
		if err != nil {
			http.Error(w, "Sign-in failed: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = exampleAppDone.Execute(w, name)
	default:
		http.NotFound(w, r)
	}
}

// callback checks the redirect, redeems the code, verifies the ID token
// and prints the result. It returns the person's name or email.
func (a *exampleApp) callback(r *http.Request) (string, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorization failed: %s: %s", e, q.Get("error_description"))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(a.state)) != 1 {
		return "", errors.New("the state does not match (an old or forged redirect)")
	}
	tok, err := a.cfg.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(a.pkce))
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	out := map[string]any{
		"access_token": tok.AccessToken, "token_type": tok.TokenType, "expiry": tok.Expiry.UTC().Format(time.RFC3339),
	}
	if tok.RefreshToken != "" {
		out["refresh_token"] = tok.RefreshToken
	}
	var name string
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		idt, err := a.verifier.Verify(r.Context(), raw)
		if err != nil {
			return "", fmt.Errorf("id token: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.nonce)) != 1 {
			return "", errors.New("id token: the nonce does not match")
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			return "", fmt.Errorf("id token: %w", err)
		}
		out["id_token"], out["id_token_claims"] = raw, claims
		for _, k := range []string{"name", "email", "sub"} {
			if s, _ := claims[k].(string); s != "" && name == "" {
				name = s
			}
		}
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return "", err
	}
	return name, nil
}
