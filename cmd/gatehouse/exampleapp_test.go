package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestExampleApp runs `gatehouse example-app` against a real server, as
// the README's quick start does: a browser opens the app, signs in and
// consents; the app redeems the code with PKCE, verifies the ID token and
// prints the tokens and claims, then exits 0.
func TestExampleApp(t *testing.T) {
	for _, public := range []bool{false, true} {
		t.Run(fmt.Sprintf("public=%v", public), func(t *testing.T) {
			env := servertest.Start(t)
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			redirect := "http://" + addr + "/callback"
			id, sec := env.CreateClient(t, clients.Spec{ID: "demo", Public: public, RedirectURIs: []string{redirect}})
			env.CreateUser(t, "ann@example.com", "a long and unusual passphrase", "Ann")

			args := []string{"example-app", "--issuer", env.URL, "--client-id", id, "--listen", addr}
			if sec != "" {
				args = append(args, "--client-secret", sec)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard
			defer cancel()
			var stdout, stderr syncBuffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, &stdout, &stderr, func(string) (string, bool) { return "", false }) }()
			deadline := time.Now().Add(time.Minute)
			for !strings.Contains(stderr.String(), "open http://"+addr) {
				select {
				case code := <-done:
					t.Fatalf("example-app exited %d: %s", code, stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("example-app never listened: %s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}

			b := env.NewBrowser(t)
			// The app sends the browser to the issuer, which shows the login.
			resp := b.Get(t, "http://"+addr+"/")
			var authURL *url.URL
			for req := resp.Request; req != nil; {
				if req.URL.Path == "/oauth2/auth" {
					authURL = req.URL
				}
				if req.Response == nil {
					break
				}
				req = req.Response.Request
			}
			if authURL == nil || !servertest.OnPage(resp, "/login") {
				t.Fatalf("app /: %d at %s, not the login page by way of /oauth2/auth", resp.StatusCode, resp.Request.URL)
			}
			if q := authURL.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" {
				t.Errorf("authorization request without PKCE S256 or nonce: %s", authURL)
			}
			resp = b.Login(t, resp, "ann@example.com", "a long and unusual passphrase")
			if servertest.OnPage(resp, "/consent") {
				resp = b.Consent(t, resp, "allow")
			}
			back := servertest.ClientRedirect(t, resp, redirect)
			resp = b.Get(t, back.String())
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(servertest.ReadBody(t, resp)), "Signed in as Ann") {
				t.Errorf("app callback: %d %s", resp.StatusCode, servertest.ReadBody(t, resp))
			}
			if code := <-done; code != 0 {
				t.Fatalf("example-app exited %d: %s", code, stderr.String())
			}
			var out struct {
				AccessToken string         `json:"access_token"`
				IDToken     string         `json:"id_token"`
				Claims      map[string]any `json:"id_token_claims"`
			}
			if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
			}
			if out.AccessToken == "" || out.IDToken == "" || out.Claims["email"] != "ann@example.com" || out.Claims["iss"] != env.URL {
				t.Errorf("example-app printed %s", stdout.String())
			}
		})
	}
}
