package oauth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Access-token keys. fosite names an access token's session by the JWT's
// signature, a random value: every new token wrote a random page of the
// token sessions' primary-key index, a page written to the WAL and again
// at the checkpoint (on SQLite, half of a commit's pages and 40 % of the
// time storing a token took: BenchmarkIssueBatch). Gatehouse's access tokens carry a
// UUIDv7 jti, ordered by time, and their key is that jti and the
// signature: storage keeps the jti in clear ahead of the signature's
// hash, so new sessions append to the index. A token without a UUIDv7
// jti, such as one issued before, keeps fosite's key, under which its
// session was stored.

// Refresh tokens, opaque, are fosite's HMAC tokens ("ory_rt_<key>.<mac>")
// whose random key begins with the millisecond they were minted (six
// bytes, then 32 random ones); their session's key is that time and the
// MAC, and storage keeps the time in clear ahead of the MAC's hash. A
// refresh token fosite minted (a 32-byte key) keeps fosite's key.

// refreshPrefix is fosite's prefix of a refresh token.
const refreshPrefix = "ory_rt_"

// Refresh-token keys: refreshTimeBytes of time, then refreshRandomBytes.
const (
	refreshTimeBytes   = 6
	refreshRandomBytes = 32
	// refreshKeyChars is the length of the key part in unpadded base64.
	refreshKeyChars = ((refreshTimeBytes+refreshRandomBytes)*8 + 5) / 6
)

// hmacConfig is what minting an HMAC token reads of fosite's config.
type hmacConfig interface {
	GetGlobalSecret(ctx context.Context) ([]byte, error)
	GetHMACHasher(ctx context.Context) func() hash.Hash
}

// mintRefreshToken returns a refresh token fosite's HMAC strategy
// validates, its key beginning with the time now.
func mintRefreshToken(ctx context.Context, cfg hmacConfig, now time.Time) (string, error) {
	secret, err := cfg.GetGlobalSecret(ctx)
	if err != nil {
		return "", fmt.Errorf("oauth: refresh token secret: %w", err)
	}
	if len(secret) < 32 {
		return "", errors.New("oauth: the refresh token secret is shorter than 32 bytes")
	}
	key := make([]byte, refreshTimeBytes+refreshRandomBytes)
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(key, ms[8-refreshTimeBytes:])
	if _, err := rand.Read(key[refreshTimeBytes:]); err != nil {
		return "", fmt.Errorf("oauth: refresh token: %w", err)
	}
	hasher := cfg.GetHMACHasher(ctx)
	if hasher == nil {
		hasher = sha512.New512_256 // fosite's default
	}
	mac := hmac.New(hasher, secret[:32]) // fosite signs with the first 32 bytes
	mac.Write(key)
	enc := base64.RawURLEncoding
	return refreshPrefix + enc.EncodeToString(key) + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// refreshTokenKey is the key of a refresh token's session: the time its
// key begins with, in hex, and its MAC ("<time>.<mac>") for a token
// mintRefreshToken made, else fosite's key (the MAC, or "").
func refreshTokenKey(token string) string {
	key, mac, ok := strings.Cut(strings.TrimPrefix(token, refreshPrefix), ".")
	if !ok || strings.Contains(mac, ".") {
		return ""
	}
	if len(key) != refreshKeyChars {
		return mac
	}
	t, err := base64.RawURLEncoding.DecodeString(key[:refreshTimeBytes*4/3])
	if err != nil {
		return mac
	}
	return hex.EncodeToString(t) + "." + mac
}

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
	if err != nil || id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		return "", false
	}
	jti := id.String() // canonical: lower case, with dashes
	if jti != string(v[:n]) {
		return "", false
	}
	return jti, true
}

// storedTokenKey is the key a session of kind is stored under, 64
// characters: for an access token's ordered key, its jti's 16 bytes in hex
// and then the first half of its signature's SHA-256 in hex; for a
// refresh token's, its time in hex and then the start of its MAC's
// SHA-256; for every other key, its SHA-256 in hex. The store never holds
// what a token could be rebuilt from.
func storedTokenKey(kind storage.TokenKind, key string) string {
	prefix, sig, ok := strings.Cut(key, ".")
	switch {
	case !ok:
	case kind == storage.KindAccessToken && len(prefix) == 36:
		if id, err := uuid.Parse(prefix); err == nil && id.Version() == 7 {
			return hex.EncodeToString(id[:]) + secret.SHA256Hex(sig)[:32]
		}
	case kind == storage.KindRefreshToken && len(prefix) == 2*refreshTimeBytes && isHex(prefix):
		return prefix + secret.SHA256Hex(sig)[:64-len(prefix)]
	}
	return secret.SHA256Hex(key)
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
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

// GenerateRefreshToken implements oauth2.RefreshTokenStrategy: a token
// fosite validates, beginning with the time (mintRefreshToken).
func (s *accessTokenStrategy) GenerateRefreshToken(ctx context.Context, _ fosite.Requester) (string, string, error) {
	token, err := mintRefreshToken(ctx, s.hmacConfig, time.Now())
	if err != nil {
		return "", "", err
	}
	return token, refreshTokenKey(token), nil
}

// RefreshTokenSignature implements oauth2.RefreshTokenStrategy: the key
// of the token's session (refreshTokenKey).
func (s *accessTokenStrategy) RefreshTokenSignature(_ context.Context, token string) string {
	return refreshTokenKey(token)
}
