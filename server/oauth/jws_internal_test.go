package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/keys"
)

// TestSignCompact: what signCompact signs verifies with go-jose, for
// every algorithm Gatehouse signs with, and carries the claims and the
// header it was given.
func TestSignCompact(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"sub": "app", "exp": int64(1767225600), "scope": "a b", "roles": []string{"x"}, "note": "<&>"}
	for _, c := range []struct {
		alg    string
		signer crypto.Signer
		header map[string]any
		typ    string
	}{
		{keys.RS256, rsaKey, map[string]any{"typ": "at+jwt", "kid": "ignored", "alg": "none"}, "at+jwt"},
		{keys.ES256, ecKey, nil, "JWT"},
		{keys.EdDSA, edKey, map[string]any{"cty": "x"}, "JWT"},
	} {
		t.Run(c.alg, func(t *testing.T) {
			t.Parallel()
			// Several signatures each: now and then an ES256 R or S is short
			// and padded (TestRawECDSA covers that for certain).
			for range 20 {
				raw, err := signCompact(keys.SigningKey{ID: "k1", Algorithm: c.alg, Signer: c.signer}, c.header, claims)
				if err != nil {
					t.Fatal(err)
				}
				jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.alg)})
				if err != nil {
					t.Fatal(err)
				}
				payload, err := jws.Verify(c.signer.Public())
				if err != nil {
					t.Fatalf("%s does not verify: %v", raw, err)
				}
				h := jws.Signatures[0].Protected
				if h.KeyID != "k1" || h.Algorithm != c.alg || h.ExtraHeaders["typ"] != c.typ {
					t.Errorf("header %+v", h)
				}
				if c.alg == keys.EdDSA && h.ExtraHeaders["cty"] != "x" {
					t.Errorf("header %+v lost cty", h)
				}
				var got map[string]any
				if err := json.Unmarshal(payload, &got); err != nil {
					t.Fatal(err)
				}
				if got["sub"] != "app" || got["exp"] != float64(1767225600) || got["note"] != "<&>" || len(got) != len(claims) {
					t.Errorf("claims %v", got)
				}
				if strings.Count(raw, ".") != 2 || strings.ContainsAny(raw, "=+/") {
					t.Errorf("%q is not compact base64url", raw)
				}
			}
		})
	}
}

// TestRawECDSA: R and S are left-padded to the curve's size; anything
// but a DER sequence of two integers that fit is refused.
func TestRawECDSA(t *testing.T) {
	t.Parallel()
	// SEQUENCE { INTEGER 0x01, INTEGER 0x00ff (positive, so a leading zero) }
	der := []byte{0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0xff}
	got, err := rawECDSA(der, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 0, 0, 1, 0, 0, 0, 0xff}; string(got) != string(want) {
		t.Errorf("got % x, want % x", got, want)
	}
	for _, bad := range [][]byte{
		nil,
		der[:len(der)-1],
		append(append([]byte{}, der...), 0),
		{0x30, 0x03, 0x02, 0x01, 0x01}, // one integer
		{0x30, 0x0a, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05}, // S longer than 4 bytes
	} {
		if _, err := rawECDSA(bad, 4); err == nil {
			t.Errorf("% x accepted", bad)
		}
	}
}
