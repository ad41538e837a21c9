package keys

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// The signing algorithms a Manager can generate keys for.
const (
	RS256 = "RS256" // RSA (2048 bits by default), PKCS #1 v1.5 with SHA-256 (the default; OIDC requires it)
	ES256 = "ES256" // ECDSA P-256 with SHA-256
	EdDSA = "EdDSA" // Ed25519
)

// RSA key sizes a Manager can generate: DefaultRSABits unless
// Options.RSABits asks for a larger one. Stored keys smaller than
// minRSABits are refused.
const (
	DefaultRSABits = 2048
	minRSABits     = 2048
)

// validRSABits reports whether bits is a size Options.RSABits accepts.
func validRSABits(bits int) bool {
	return bits == 2048 || bits == 3072 || bits == 4096
}

// sealVersion is the first byte of every encrypted private key, so the
// format can change later without guessing.
const sealVersion byte = 1

// secretPurpose names the key derived from the system secret for private keys.
const secretPurpose = "signing-keys"

// ErrDecrypt is wrapped by the error reported for a stored private key that
// does not decrypt, which almost always means the system secret changed. The
// full message reads "cannot decrypt signing key <kid>: is the system secret right?".
var ErrDecrypt = errors.New("is the system secret right?")

// validAlgorithm reports whether alg is one the package can generate.
func validAlgorithm(alg string) bool {
	switch alg {
	case RS256, ES256, EdDSA:
		return true
	}
	return false
}

// generate returns a new private key for alg; RSA keys have rsaBits bits.
func generate(alg string, rsaBits int) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

// checkAlgorithm reports whether priv is a key of the kind alg signs with.
func checkAlgorithm(alg string, priv crypto.Signer) error {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg == RS256 && k.N.BitLen() >= minRSABits {
			return nil
		}
	case *ecdsa.PrivateKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return nil
		}
	case ed25519.PrivateKey:
		if alg == EdDSA {
			return nil
		}
	}
	return fmt.Errorf("a %T is not a key for %q", priv, alg)
}

// thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, unpadded
// base64url) of pub: the key's kid.
func thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// sealer encrypts private keys at rest with AES-256-GCM (random 96-bit
// nonce) under a key derived from the system secret, binding each
// ciphertext to its kid as additional data, so a row's ciphertext cannot be
// moved to another row.
//
// Format: sealVersion || nonce (12 bytes) || ciphertext || tag (16 bytes);
// the plaintext is the PKCS #8 DER of the private key.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(system []byte) (*sealer, error) {
	block, err := aes.NewCipher(secret.Derive(system, secretPurpose))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts priv for the key kid.
func (s *sealer) seal(kid string, priv crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	out := make([]byte, 1, 1+len(der)+s.aead.Overhead())
	out[0] = sealVersion
	return s.aead.Seal(out, nil, der, []byte(kid)), nil
}

// open decrypts the private key of kid and checks that it is a key for alg.
func (s *sealer) open(kid, alg string, sealed []byte) (crypto.Signer, error) {
	if len(sealed) < 1 || sealed[0] != sealVersion {
		return nil, fmt.Errorf("cannot decrypt signing key %s: unknown format", kid)
	}
	der, err := s.aead.Open(nil, nil, sealed[1:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt signing key %s: %w", kid, ErrDecrypt)
	}
	defer clear(der)
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: parse private key: %w", kid, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T is not a signer", kid, parsed)
	}
	if err := checkAlgorithm(alg, priv); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", kid, err)
	}
	return priv, nil
}

// newKey generates a key for alg (RSA keys of rsaBits bits) and returns its
// storage row, private part sealed, with CreatedAt now and the given SignFrom.
func newKey(s *sealer, alg string, rsaBits int, now, signFrom time.Time) (storage.Key, error) {
	priv, err := generate(alg, rsaBits)
	if err != nil {
		return storage.Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return storage.Key{}, fmt.Errorf("key thumbprint: %w", err)
	}
	sealed, err := s.seal(kid, priv)
	if err != nil {
		return storage.Key{}, fmt.Errorf("encrypt key %s: %w", kid, err)
	}
	jwk, err := publicJWK(kid, alg, priv.Public())
	if err != nil {
		return storage.Key{}, err
	}
	return storage.Key{
		ID:         kid,
		Algorithm:  alg,
		PrivateKey: sealed,
		PublicJWK:  jwk,
		CreatedAt:  now,
		SignFrom:   signFrom,
	}, nil
}

// parseKey decrypts a stored key into a cache entry and checks that its
// private part matches the public JWK stored beside it.
func parseKey(s *sealer, k storage.Key) (*entry, error) {
	priv, err := s.open(k.ID, k.Algorithm, k.PrivateKey)
	if err != nil {
		return nil, err
	}
	pub := priv.Public()
	var stored jose.JSONWebKey
	if err := stored.UnmarshalJSON(k.PublicJWK); err != nil {
		return nil, fmt.Errorf("signing key %s: parse public JWK: %w", k.ID, err)
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(stored.Key) {
		return nil, fmt.Errorf("signing key %s: private key does not match the stored public key", k.ID)
	}
	jwk, err := publicJWK(k.ID, k.Algorithm, pub)
	if err != nil {
		return nil, err
	}
	k.PublicJWK = jwk
	return &entry{key: k, signer: priv, public: pub}, nil
}
