package e2e

import (
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestSigningAlgorithms issues tokens with each supported key algorithm and
// checks them as relying party (go-oidc, including at_hash with the hash
// the algorithm implies) and as resource server (go-jose and the JWKS).
func TestSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Keys.Algorithm = alg }))
			tok := f.passwordTokens(t, "openid", "email")
			idt, _ := verifyIDToken(t, f.env, f.clientID, idToken(tok))
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			c, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
			if c.Subject != f.user.ID {
				t.Errorf("access token sub %q", c.Subject)
			}

			// Authorization code flow: at_hash is computed by fosite there.
			tok2, _ := f.codeTokens(t, "openid")
			idt2, _ := verifyIDToken(t, f.env, f.clientID, idToken(tok2))
			if err := idt2.VerifyAccessToken(tok2.AccessToken); err != nil {
				t.Errorf("code flow at_hash: %v", err)
			}
			if !f.active(t, tok2.AccessToken) {
				t.Error("access token not active at introspection")
			}
		})
	}
}
