// Package e2e holds Gatehouse's end-to-end tests.
//
// Each test starts its own server with servertest.Start and talks to it
// over HTTP with real clients: golang.org/x/oauth2 for the token endpoint,
// github.com/coreos/go-oidc/v3 as the relying party, and go-jose v4 as a
// resource server verifying access tokens against the JWKS.
package e2e
