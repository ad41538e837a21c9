package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// sealVersion is the first byte of every sealed value, so the format can
// change later without guessing.
const sealVersion byte = 1

// ErrUnseal means a sealed value did not decrypt: the system secret
// changed, or the value was moved from the row it was sealed for.
var ErrUnseal = errors.New("secret: cannot decrypt (is the system secret right?)")

// Sealer encrypts small values at rest (AES-256-GCM, random nonce) under a
// key derived from the system secret for one purpose, binding each value
// to additional data (its row's id) so it cannot be moved to another row.
// The signing keys (package keys) are sealed the same way.
//
// Format: version byte || nonce (12 bytes) || ciphertext || tag (16 bytes).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for purpose, keyed from the system secret.
func NewSealer(system []byte, purpose string) (*Sealer, error) {
	block, err := aes.NewCipher(Derive(system, purpose))
	if err != nil {
		return nil, fmt.Errorf("secret: sealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secret: sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for the row named by aad.
func (s *Sealer) Seal(plain []byte, aad string) []byte {
	out := make([]byte, 1, 1+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	return s.aead.Seal(out, nil, plain, []byte(aad))
}

// Open decrypts what Seal returned for aad; ErrUnseal when it does not.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, nil, sealed[1:], []byte(aad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
