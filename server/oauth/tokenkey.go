package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Access-token keys. fosite names an access token's session by the JWT's
// signature, a random value: every new token wrote a random page of the
// token sessions' primary-key index, a page written to the WAL and again
// at the checkpoint (on SQLite, half of a commit's pages and a third of
// the CPU time storing a token took). Gatehouse's access tokens carry a
// UUIDv7 jti, ordered by time, and their key is that jti and the
// signature: storage keeps the jti in clear ahead of the signature's
// hash, so new sessions append to the index. A token without a UUIDv7
// jti, such as one issued before, keeps fosite's key, under which its
// session was stored.

// maxKeyedPayload bounds the payload accessTokenKey decodes: Gatehouse's
// access tokens are far smaller, and a larger one keeps fosite's key.
const maxKeyedPayload = 16 << 10

// newJTI returns a UUIDv7 for a new access token's jti, or "" (fosite then
// draws a UUIDv4) should the system's randomness fail.
func newJTI() string {
	id, err := uuid.NewV7()
	if err != nil {
		return ""
	}
	return id.String()
}

// accessTokenKey is the key of an access token's session: its jti and
// signature ("<jti>.<signature>") when the jti is a UUIDv7, else fosite's
// key (the signature, or "" for what is not a compact JWT).
func accessTokenKey(token string) string {
	_, rest, ok := strings.Cut(token, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sig, ".") {
		return ""
	}
	if jti, ok := orderedJTI(payload); ok {
		return jti + "." + sig
	}
	return sig
}

// jtiMember is how the jti claim begins in a compact JSON payload.
var jtiMember = []byte(`"jti":"`)

// orderedJTI returns the jti claim of a base64url JWT payload when it is
// a UUIDv7 in its canonical form. The payload is the token's, signed: a
// key read from a forged one finds no session its signature matches.
func orderedJTI(payload string) (string, bool) {
	if len(payload) > maxKeyedPayload {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", false
	}
	i := bytes.Index(raw, jtiMember)
	if i < 0 {
		return "", false
	}
	v := raw[i+len(jtiMember):]
	const n = 36 // xxxxxxxx-xxxx-7xxx-xxxx-xxxxxxxxxxxx
	if len(v) <= n || v[n] != '"' {
		return "", false
	}
	id, err := uuid.ParseBytes(v[:n])
	if err != nil || id.Version() != 7 || id.Variant() != uuid.RFC4122 || id.String() != string(v[:n]) {
		return "", false
	}
	return id.String(), true
}

// storedTokenKey is the key a session of kind is stored under: for an
// access token's ordered key, its jti's 16 bytes in hex and then the
// first half of its signature's SHA-256 in hex (64 characters, like the
// others); for every other key, its SHA-256 in hex, so that the store
// never holds what a token could be rebuilt from.
func storedTokenKey(kind storage.TokenKind, key string) string {
	if kind == storage.KindAccessToken {
		if jti, sig, ok := strings.Cut(key, "."); ok && len(jti) == 36 {
			if id, err := uuid.Parse(jti); err == nil && id.Version() == 7 {
				return hex.EncodeToString(id[:]) + secret.SHA256Hex(sig)[:32]
			}
		}
	}
	return secret.SHA256Hex(key)
}

// AccessTokenSignature implements oauth2.AccessTokenStrategy: the key of
// the token's session (accessTokenKey).
func (s *accessTokenStrategy) AccessTokenSignature(_ context.Context, token string) string {
	return accessTokenKey(token)
}

// GenerateAccessToken implements oauth2.AccessTokenStrategy: fosite's,
// with the key accessTokenKey reads from the token.
func (s *accessTokenStrategy) GenerateAccessToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	token, _, err := s.DefaultJWTStrategy.GenerateAccessToken(ctx, req)
	if err != nil {
		return "", "", err
	}
	return token, accessTokenKey(token), nil
}
