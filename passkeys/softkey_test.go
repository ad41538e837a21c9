package passkeys_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a software authenticator holding one ES256 credential: it
// answers registration and assertion options the way a browser and an
// authenticator together would, so the relying party is tested without a
// browser. Flags and counter are set by the test.
type softKey struct {
	key     *ecdsa.PrivateKey
	id      []byte
	handle  []byte // the user handle stored at registration
	count   uint32 // signature counter; incremented before each assertion when countUp
	countUp bool
	uv      bool // user verified
	backup  bool // backup eligible (a synced passkey)
	origin  string
	rpID    string
}

func newSoftKey(t testing.TB, origin, rpID string) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id, uv: true, countUp: true, origin: origin, rpID: rpID}
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagAT = 0x40
)

func (k *softKey) flags() byte {
	f := byte(flagUP)
	if k.uv {
		f |= flagUV
	}
	if k.backup {
		f |= flagBE
	}
	return f
}

func (k *softKey) authData(extra byte, tail []byte) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	out := append([]byte{}, rp[:]...)
	out = append(out, k.flags()|extra)
	out = binary.BigEndian.AppendUint32(out, k.count)
	return append(out, tail...)
}

func (k *softKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// create answers registration options with an attestation of format none.
func (k *softKey) create(t testing.TB, opts *protocol.CredentialCreation) []byte {
	t.Helper()
	k.handle = userID(t, opts.Response.User.ID)
	x, y := k.key.X.FillBytes(make([]byte, 32)), k.key.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	att := make([]byte, 16) // AAGUID zero
	att = binary.BigEndian.AppendUint16(att, uint16(len(k.id)))
	att = append(att, k.id...)
	att = append(att, cose...)
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(flagAT, att)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64(k.id), "rawId": b64(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(k.clientData("webauthn.create", opts.Response.Challenge.String())),
			"attestationObject": b64(obj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// get answers assertion options.
func (k *softKey) get(t testing.TB, opts *protocol.CredentialAssertion) []byte {
	t.Helper()
	if k.countUp {
		k.count++
	}
	ad := k.authData(0, nil)
	cd := k.clientData("webauthn.get", opts.Response.Challenge.String())
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64(k.id), "rawId": b64(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64(cd),
			"authenticatorData": b64(ad),
			"signature":         b64(sig),
			"userHandle":        b64(k.handle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// userID returns the user handle of registration options.
func userID(t testing.TB, id any) []byte {
	t.Helper()
	switch v := id.(type) {
	case protocol.URLEncodedBase64:
		return v
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	t.Fatalf("user id of type %T", id)
	return nil
}
