package oauth

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/gatehouse-id/gatehouse/internal/jsonobj"
	"github.com/gatehouse-id/gatehouse/keys"
)

// signCompact returns the JWS compact serialization (RFC 7515 section
// 7.1) of claims signed by k. The protected header holds alg and kid
// (k's), typ ("JWT" unless header names another) and header's other
// members.
//
// Issuing a token is a signature and this: go-jose's JWT builder (through
// fosite) marshalled the claims three times and built a signer for every
// token, about 2 % of a token request's CPU time; the JSON is jsonobj's.
// Tokens are still parsed and verified with go-jose, and the tests verify
// what this signs with it.
func signCompact(k keys.SigningKey, header map[string]any, claims map[string]any) (string, error) {
	h := make(map[string]any, len(header)+3)
	h["typ"] = "JWT"
	for name, v := range header {
		h[name] = v
	}
	h["alg"], h["kid"] = k.Algorithm, k.ID
	hj, err := jsonobj.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("jws header: %w", err)
	}
	pj, err := jsonobj.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jws claims: %w", err)
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, enc.EncodedLen(len(hj))+enc.EncodedLen(len(pj))+enc.EncodedLen(512)+2)
	buf = enc.AppendEncode(buf, hj)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, pj)
	sig, err := signJWS(k, buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	return string(enc.AppendEncode(buf, sig)), nil
}

// signJWS returns the JWS signature of input (RFC 7518 section 3) by k.
func signJWS(k keys.SigningKey, input []byte) ([]byte, error) {
	switch k.Algorithm {
	case keys.EdDSA:
		return k.Signer.Sign(rand.Reader, input, crypto.Hash(0))
	case keys.RS256, keys.ES256:
		digest := sha256.Sum256(input)
		sig, err := k.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil || k.Algorithm == keys.RS256 {
			return sig, err
		}
		return rawECDSA(sig, 32)
	}
	return nil, fmt.Errorf("jws: cannot sign with %q", k.Algorithm)
}

// rawECDSA turns an ASN.1 ECDSA signature into the JWS form: R and S,
// each size bytes, big-endian (RFC 7518 section 3.4).
func rawECDSA(der []byte, size int) ([]byte, error) {
	var r, s []byte
	var inner cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() ||
		len(r) > size || len(s) > size {
		return nil, errors.New("jws: malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	copy(out[size-len(r):size], r)
	copy(out[2*size-len(s):], s)
	return out, nil
}
