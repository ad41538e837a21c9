package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// dpopKey is a client's DPoP key pair, making proofs as RFC 9449 section 4.2.
type dpopKey struct {
	signer jose.Signer
	jkt    string
}

func newDPoPKey(t *testing.T) *dpopKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return dpopKeyFor(t, jose.SigningKey{Algorithm: jose.ES256, Key: priv}, &priv.PublicKey, "dpop+jwt")
}

func dpopKeyFor(t *testing.T, sk jose.SigningKey, pub any, typ string) *dpopKey {
	t.Helper()
	s, err := jose.NewSigner(sk, (&jose.SignerOptions{EmbedJWK: true}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopKey{signer: s, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proof makes a proof for method and htu (and access token at, when not
// empty); edit may change the claims first.
func (k *dpopKey) proof(t *testing.T, method, htu, at string, edit func(map[string]any)) string {
	t.Helper()
	claims := map[string]any{"jti": rand.Text(), "htm": method, "htu": htu, "iat": time.Now().Unix()}
	if at != "" {
		sum := sha256.Sum256([]byte(at))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if edit != nil {
		edit(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dpopToken posts a token request with proof (none when "") and HTTP Basic
// client authentication when secret is not empty.
func dpopToken(t *testing.T, env *servertest.Env, form url.Values, clientID, secret, proof string) apiResponse {
	t.Helper()
	return send(t, env, http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), func(r *http.Request) {
		if secret != "" {
			r.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
		}
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
	})
}

// callWith sends an access token to a resource endpoint with scheme and,
// when not empty, a proof.
func callWith(t *testing.T, env *servertest.Env, method, path, scheme, token, proof string) apiResponse {
	t.Helper()
	return send(t, env, method, path, "", nil, func(r *http.Request) {
		r.Header.Set("Authorization", scheme+" "+token)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
	})
}

// jwtClaims decodes a JWT's claims without verifying it (the tests verify
// the signature separately where it matters).
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
