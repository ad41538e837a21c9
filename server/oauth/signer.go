package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/keys"
)

// Signer is fosite's jwt.Signer over the key manager: it signs with the
// active key and verifies by the token's kid against every published key,
// so tokens signed before a rotation keep verifying (fosite's DefaultSigner
// only knows the current key).
type Signer struct {
	keys *keys.Manager
}

var _ jwt.Signer = (*Signer)(nil)

// NewSigner returns a Signer over m.
func NewSigner(m *keys.Manager) *Signer { return &Signer{keys: m} }

// Generate signs claims with the active key. Any kid in header is ignored:
// the kid always names the key that signed.
func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	if claims == nil || header == nil {
		return "", "", errors.New("oauth: signer: claims and header are required")
	}
	k, err := s.keys.Signing(ctx)
	if err != nil {
		return "", "", fmt.Errorf("oauth: signing key: %w", err)
	}
	if scope, ok := claims["scope"].(string); ok && scope == "" {
		delete(claims, "scope") // nothing granted: no claim rather than ""
	}
	raw, err := signCompact(k, header.ToMap(), claims)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	sig, err := s.GetSignature(ctx, raw)
	return raw, sig, err
}

// warm loads the signing keys when the cache is stale, so that signing
// inside a transaction does not read storage.
func (s *Signer) warm(ctx context.Context) { _, _ = s.keys.Signing(ctx) }

// Validate verifies the token and returns its signature part.
func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode parses and verifies token with the key its kid names, and checks
// the header alg is that key's algorithm (no algorithm confusion).
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		k, err := s.keys.Verifying(ctx, kid)
		if err != nil {
			return nil, err
		}
		if string(t.Method) != k.Algorithm {
			return nil, fmt.Errorf("token alg %q does not match key alg %q", t.Method, k.Algorithm)
		}
		return &jose.JSONWebKey{Key: k.Key, KeyID: k.ID, Algorithm: k.Algorithm}, nil
	})
}

// GetSignature returns the third part of a compact JWT.
func (s *Signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("oauth: token is not a compact JWT")
	}
	return parts[2], nil
}

// Hash returns SHA-256 of in: the at_hash / c_hash hash of RS256 and
// ES256, the algorithms Gatehouse signs with (fosite computes the code
// flow's at_hash with SHA-256 too).
func (s *Signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSigningMethodLength is the size of Hash's output.
func (s *Signer) GetSigningMethodLength(context.Context) int { return sha256.Size }

// LeftHalfHash is the OIDC at_hash of token.
func (s *Signer) LeftHalfHash(ctx context.Context, token string) string {
	sum, _ := s.Hash(ctx, []byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
