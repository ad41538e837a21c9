package keys

import (
	"bytes"
	"crypto"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// publicJWK returns the JSON of the public JWK of pub with kid, alg and
// use "sig". It refuses anything but a public key, so private parts can
// never reach the JWKS or the PublicJWK column.
func publicJWK(kid, alg string, pub crypto.PublicKey) ([]byte, error) {
	jwk := jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
	if !jwk.IsPublic() {
		return nil, fmt.Errorf("signing key %s: refusing to publish a %T", kid, pub)
	}
	b, err := jwk.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("signing key %s: marshal public JWK: %w", kid, err)
	}
	return b, nil
}

// buildJWKS returns the JWK Set {"keys":[...]} of the given entries, in
// order. Each entry's JWK JSON was built and checked when it was loaded, so
// this only concatenates.
func buildJWKS(published []*entry) []byte {
	var b bytes.Buffer
	b.WriteString(`{"keys":[`)
	for i, e := range published {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.key.PublicJWK)
	}
	b.WriteString("]}")
	return b.Bytes()
}
