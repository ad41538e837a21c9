// Package secret holds Gatehouse's small cryptographic helpers: random
// tokens, keyed hashing of client secrets, SHA-256 of stored lookup tokens
// and derivation of purpose-bound keys from the system secret.
package secret

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// MinClientSecretLength is the shortest client secret Gatehouse accepts.
// Client secrets are hashed with a fast keyed hash, which is only safe for
// long random values.
const MinClientSecretLength = 32

// ErrMismatch is returned by Hasher.Compare when the secret does not match.
var ErrMismatch = errors.New("secret: mismatch")

// Token returns n random bytes encoded as unpadded base64url.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // never happens on Go >= 1.24
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SHA256Hex returns the hex SHA-256 of s: how lookup tokens (session ids,
// reset tokens, token signatures) are stored.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Derive returns a 32-byte key for one purpose, derived from the system
// secret with HMAC-SHA256, so each use of the secret gets its own key.
func Derive(system []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, system)
	mac.Write([]byte("gatehouse/" + purpose))
	return mac.Sum(nil)
}

// Hasher hashes client secrets with HMAC-SHA256 under a key derived from the
// system secret. It implements fosite.Hasher.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher keyed from the system secret.
func NewHasher(system []byte) *Hasher {
	return &Hasher{key: Derive(system, "client-secret")}
}

// Hash returns the HMAC of data.
func (h *Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	mac := hmac.New(sha256.New, h.key)
	mac.Write(data)
	return mac.Sum(nil), nil
}

// Compare checks data against hash in constant time.
func (h *Hasher) Compare(ctx context.Context, hash, data []byte) error {
	sum, _ := h.Hash(ctx, data)
	if !hmac.Equal(sum, hash) {
		return ErrMismatch
	}
	return nil
}
