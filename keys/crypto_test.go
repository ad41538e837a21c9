package keys_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/storage"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef-test")
	otherSecret = []byte("fedcba9876543210fedcba9876543210-other")
	quietLog    = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// newManager returns a Manager over store with the test secret and a quiet
// logger; edit adjusts the options.
func newManager(t *testing.T, store keys.Store, clock *fakeClock, edit func(*keys.Options)) *keys.Manager {
	t.Helper()
	opts := keys.Options{Store: store, Secret: testSecret, Algorithm: keys.ES256, Now: clock.Now, Logger: quietLog}
	if edit != nil {
		edit(&opts)
	}
	m, err := keys.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

var algorithms = []string{keys.RS256, keys.ES256, keys.EdDSA}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			ctx := context.Background()
			m := newManager(t, newMemStore(), newClock(), func(o *keys.Options) { o.Algorithm = alg })
			sk, err := m.Signing(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sk.Algorithm != alg || sk.ID == "" {
				t.Fatalf("signing key = %q %q", sk.ID, sk.Algorithm)
			}
			pk, err := m.Verifying(ctx, sk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if pk.ID != sk.ID || pk.Algorithm != alg {
				t.Fatalf("verifying key = %q %q", pk.ID, pk.Algorithm)
			}

			// kid is the RFC 7638 thumbprint of the public key.
			jwk := jose.JSONWebKey{Key: pk.Key}
			tp, err := jwk.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if want := base64.RawURLEncoding.EncodeToString(tp); sk.ID != want {
				t.Errorf("kid = %q, want thumbprint %q", sk.ID, want)
			}

			msg := []byte("header.payload")
			digest := sha256.Sum256(msg)
			switch alg {
			case keys.RS256:
				priv, ok := sk.Signer.(*rsa.PrivateKey)
				if !ok || priv.N.BitLen() != 2048 {
					t.Fatalf("signer is %T, want a 2048-bit *rsa.PrivateKey", sk.Signer)
				}
				sig, err := sk.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if err := rsa.VerifyPKCS1v15(pk.Key.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
					t.Fatalf("verify: %v", err)
				}
			case keys.ES256:
				priv, ok := sk.Signer.(*ecdsa.PrivateKey)
				if !ok || priv.Curve != elliptic.P256() {
					t.Fatalf("signer is %T, want a P-256 *ecdsa.PrivateKey", sk.Signer)
				}
				sig, err := sk.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if !ecdsa.VerifyASN1(pk.Key.(*ecdsa.PublicKey), digest[:], sig) {
					t.Fatal("verify failed")
				}
			case keys.EdDSA:
				if _, ok := sk.Signer.(ed25519.PrivateKey); !ok {
					t.Fatalf("signer is %T, want ed25519.PrivateKey", sk.Signer)
				}
				sig, err := sk.Signer.Sign(rand.Reader, msg, crypto.Hash(0))
				if err != nil {
					t.Fatal(err)
				}
				if !ed25519.Verify(pk.Key.(ed25519.PublicKey), msg, sig) {
					t.Fatal("verify failed")
				}
			}
		})
	}
}

// TestJWSVerifiesAgainstJWKS signs a JWS with the signing key through
// go-jose v4 and verifies it with the key the JWKS publishes under its kid,
// as a resource server would.
func TestJWSVerifiesAgainstJWKS(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			ctx := context.Background()
			m := newManager(t, newMemStore(), newClock(), func(o *keys.Options) { o.Algorithm = alg })
			sk, err := m.Signing(ctx)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := jose.NewSigner(jose.SigningKey{
				Algorithm: jose.SignatureAlgorithm(sk.Algorithm),
				Key:       jose.JSONWebKey{Key: sk.Signer, KeyID: sk.ID, Algorithm: sk.Algorithm},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := signer.Sign([]byte(`{"sub":"alice"}`))
			if err != nil {
				t.Fatal(err)
			}
			token, err := obj.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}

			set := parseJWKS(t, m)
			jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			kid := jws.Signatures[0].Header.KeyID
			found := set.Key(kid)
			if kid != sk.ID || len(found) != 1 {
				t.Fatalf("kid %q: %d keys in the JWKS", kid, len(found))
			}
			payload, err := jws.Verify(found[0])
			if err != nil {
				t.Fatalf("verify with JWKS key: %v", err)
			}
			if string(payload) != `{"sub":"alice"}` {
				t.Fatalf("payload = %s", payload)
			}
		})
	}
}

func TestStoredKeyIsEncrypted(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			store := newMemStore()
			m := newManager(t, store, newClock(), func(o *keys.Options) { o.Algorithm = alg })
			sk, err := m.Signing(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(sk.Signer)
			if err != nil {
				t.Fatal(err)
			}
			var secretPart []byte // the bytes that must never be stored in clear
			switch k := sk.Signer.(type) {
			case *rsa.PrivateKey:
				secretPart = k.D.Bytes()
			case *ecdsa.PrivateKey:
				secretPart, _ = k.Bytes()
			case ed25519.PrivateKey:
				secretPart = k.Seed()
			}
			rows := store.rows()
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			row := rows[0]
			if row.ID != sk.ID || row.Algorithm != alg {
				t.Fatalf("row %q %q", row.ID, row.Algorithm)
			}
			for name, b := range map[string][]byte{"PrivateKey": row.PrivateKey, "PublicJWK": row.PublicJWK} {
				if bytes.Contains(b, der) || bytes.Contains(b, secretPart) {
					t.Errorf("%s holds the private key in clear", name)
				}
				if bytes.Contains(b, []byte(base64.RawURLEncoding.EncodeToString(secretPart))) {
					t.Errorf("%s holds the private key as base64url", name)
				}
			}
			checkPublicJWK(t, row.PublicJWK)
		})
	}
}

func TestWrongSecret(t *testing.T) {
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, nil)
	sk, err := m.Signing(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.New(context.Background(), keys.Options{Store: store, Secret: otherSecret, Now: clock.Now, Logger: quietLog})
	if !errors.Is(err, keys.ErrDecrypt) {
		t.Fatalf("New with another secret: %v, want ErrDecrypt", err)
	}
	want := "cannot decrypt signing key " + sk.ID + ": is the system secret right?"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	if len(store.rows()) != 1 {
		t.Fatal("New with a wrong secret must not create a key")
	}
}

// TestCiphertextBoundToKid moves one key's ciphertext to another row: the
// kid is the additional data, so it must not decrypt there.
func TestCiphertextBoundToKid(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, nil)
	if _, err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	rows := store.rows()
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	err := store.UpdateKey(ctx, rows[1].ID, func(k *storage.Key) error {
		k.PrivateKey = rows[0].PrivateKey
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.New(ctx, keys.Options{Store: store, Secret: testSecret, Now: clock.Now, Logger: quietLog})
	if !errors.Is(err, keys.ErrDecrypt) || !strings.Contains(err.Error(), rows[1].ID) {
		t.Fatalf("New with a moved ciphertext: %v, want ErrDecrypt for %s", err, rows[1].ID)
	}
}

// TestRSABits: RS256 keys are generated at the configured size, which the
// JWKS publishes, and only 2048, 3072 and 4096 are accepted.
func TestRSABits(t *testing.T) {
	ctx := context.Background()
	for _, bits := range []int{0, 3072} {
		m := newManager(t, newMemStore(), newClock(), func(o *keys.Options) { o.Algorithm = keys.RS256; o.RSABits = bits })
		sk, err := m.Signing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := m.Verifying(ctx, sk.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := bits
		if want == 0 {
			want = keys.DefaultRSABits
		}
		if got := pk.Key.(*rsa.PublicKey).N.BitLen(); got != want {
			t.Errorf("RSABits %d: key has %d bits, want %d", bits, got, want)
		}
	}
	for _, bits := range []int{1024, 2047, 5000} {
		_, err := keys.New(ctx, keys.Options{Store: newMemStore(), Secret: testSecret, RSABits: bits, Logger: quietLog})
		if err == nil || !strings.Contains(err.Error(), "RSA key size") {
			t.Errorf("RSABits %d: New = %v, want a key size error", bits, err)
		}
	}
}
