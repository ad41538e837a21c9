package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// accessTokenStrategy is fosite's JWT strategy with a cheaper access-token
// check for introspection, userinfo and the admin API. fosite's check
// decodes every claim into a map with go-jose's JSON decoder, although the
// answer comes from the stored token session, not from the token: here the
// signature is verified with the key the kid names (its algorithm, no
// other), and only the time claims are read.
type accessTokenStrategy struct {
	*oauth2.DefaultJWTStrategy
	signer *Signer
	now    func() time.Time
	// hmacConfig mints refresh tokens (GenerateRefreshToken).
	hmacConfig hmacConfig
	// verified remembers tokens whose signature checked out, with their
	// time claims: resource servers introspect the same token again and
	// again, and the signature check is most of what that costs.
	verified verifiedTokens
}

// timeClaims are the claims of an access token the check reads.
type timeClaims struct {
	Exp, Iat, Nbf *json.Number
}

// ValidateAccessToken implements oauth2.AccessTokenStrategy. fosite calls
// it with the stored request of the token's session.
func (s *accessTokenStrategy) ValidateAccessToken(ctx context.Context, req fosite.Requester, token string) error {
	key := sha256.Sum256([]byte(token))
	v, ok := s.verified.get(key)
	if !ok || !s.signer.published(ctx, v.kid) {
		kid, payload, err := s.signer.verifyCompact(ctx, token)
		if err != nil {
			return err
		}
		v = verifiedToken{kid: kid}
		if err := json.Unmarshal(payload, &v.claims); err != nil {
			return fosite.ErrInvalidTokenFormat.WithWrap(err).WithDebug("the claims are not a JSON object")
		}
		s.verified.put(key, v)
	}
	c := v.claims
	now := s.now().Unix()
	switch {
	case c.Exp != nil && !before(now, c.Exp, true):
		return fosite.ErrTokenExpired.WithHint("The access token has expired.")
	case c.Iat != nil && !before(now, c.Iat, false):
		return fosite.ErrTokenClaim.WithHint("The access token was issued in the future.")
	case c.Nbf != nil && !before(now, c.Nbf, false):
		return fosite.ErrTokenClaim.WithHint("The access token is not valid yet.")
	}
	return nil
}

// before reports whether now is before the time claim (strictly, for exp)
// or not before it (iat, nbf). A claim that is not a number fails.
func before(now int64, claim *json.Number, strict bool) bool {
	f, err := claim.Float64()
	if err != nil {
		return false
	}
	if strict {
		return float64(now) < f
	}
	return float64(now) >= f
}

// verifyCompact verifies a compact JWS signed by one of the published keys
// and returns the key's id and the payload. The header's alg must be the
// algorithm of the key its kid names.
func (s *Signer) verifyCompact(ctx context.Context, token string) (string, []byte, error) {
	h, rest, ok1 := strings.Cut(token, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return "", nil, fosite.ErrInvalidTokenFormat.WithHint("The token is not a compact JWT.")
	}
	rawHeader, err1 := base64.RawURLEncoding.DecodeString(h)
	payload, err2 := base64.RawURLEncoding.DecodeString(p)
	signature, err3 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", nil, fosite.ErrInvalidTokenFormat.WithHint("The token is not base64url.")
	}
	var header struct {
		Alg  string `json:"alg"`
		Kid  string `json:"kid"`
		Crit any    `json:"crit"`
	}
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return "", nil, fosite.ErrInvalidTokenFormat.WithHint("The token header is not JSON.")
	}
	if header.Kid == "" || header.Crit != nil {
		return "", nil, fosite.ErrTokenSignatureMismatch.WithHint("The token header names no key or asks for extensions.")
	}
	k, err := s.keys.Verifying(ctx, header.Kid)
	if err != nil {
		return "", nil, fosite.ErrTokenSignatureMismatch.WithWrap(err).WithDebug("unknown key")
	}
	if header.Alg != k.Algorithm {
		return "", nil, fosite.ErrTokenSignatureMismatch.WithDebugf("token alg %q does not match key alg %q", header.Alg, k.Algorithm)
	}
	signed := token[:len(h)+1+len(p)]
	if err := verifySignature(k.Key, header.Alg, signed, signature); err != nil {
		return "", nil, fosite.ErrTokenSignatureMismatch.WithWrap(err).WithDebug(err.Error())
	}
	return header.Kid, payload, nil
}

// verifySignature checks a JWS signature of the algorithms Gatehouse signs
// with.
func verifySignature(key crypto.PublicKey, alg, signed string, sig []byte) error {
	switch pub := key.(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			break
		}
		digest := sha256.Sum256([]byte(signed))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	case *ecdsa.PublicKey:
		if alg != "ES256" || len(sig) != 64 {
			break
		}
		digest := sha256.Sum256([]byte(signed))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return fmt.Errorf("ecdsa: bad signature")
		}
		return nil
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			break
		}
		if !ed25519.Verify(pub, []byte(signed), sig) {
			return fmt.Errorf("ed25519: bad signature")
		}
		return nil
	}
	return fmt.Errorf("algorithm %q does not fit a %T", alg, key)
}

// published reports whether the key kid is still published: a token
// remembered as verified stops counting as such once its key retires.
func (s *Signer) published(ctx context.Context, kid string) bool {
	_, err := s.keys.Verifying(ctx, kid)
	return err == nil
}

// verifiedToken is a token whose signature checked out with key kid.
type verifiedToken struct {
	kid    string
	claims timeClaims
}

// maxVerifiedTokens bounds verifiedTokens: past it, it starts over.
const maxVerifiedTokens = 10000

// verifiedTokens remembers verified tokens by the SHA-256 of the whole
// token, so a token that differs in any byte is verified afresh.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[[32]byte]verifiedToken
}

func (v *verifiedTokens) get(key [32]byte) (verifiedToken, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.m[key]
	return t, ok
}

func (v *verifiedTokens) put(key [32]byte, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = make(map[[32]byte]verifiedToken)
	}
	v.m[key] = t
}
