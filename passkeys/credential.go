package passkeys

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// person is a user as the webauthn library sees one. The user handle is
// the user's id: random (a UUID), stable, and no personal data.
type person struct {
	user  storage.User
	creds []webauthn.Credential
}

func (p person) WebAuthnID() []byte   { return []byte(p.user.ID) }
func (p person) WebAuthnName() string { return p.user.Email }
func (p person) WebAuthnDisplayName() string {
	if strings.TrimSpace(p.user.Name) != "" {
		return p.user.Name
	}
	return p.user.Email
}
func (p person) WebAuthnCredentials() []webauthn.Credential { return p.creds }

var _ webauthn.User = person{}

// encode turns a verified credential into the stored record. The
// attestation (kept only to verify registration) is dropped.
func encode(c webauthn.Credential) ([]byte, error) {
	c.Attestation = webauthn.CredentialAttestation{}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("passkeys: encode credential: %w", err)
	}
	return b, nil
}

// decode returns the library's credential for a stored passkey, its
// signature counter taken from the passkey.
func decode(p storage.Passkey) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal(p.Credential, &c); err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkeys: decode credential: %w", err)
	}
	c.ID = p.CredentialID
	c.Authenticator.SignCount = p.SignCount
	c.Authenticator.CloneWarning = false
	return c, nil
}

// decodeAll decodes every passkey of a person.
func decodeAll(pks []storage.Passkey) ([]webauthn.Credential, error) {
	out := make([]webauthn.Credential, 0, len(pks))
	for _, p := range pks {
		c, err := decode(p)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Synced reports whether the passkey may be copied to other devices (the
// authenticator set Backup Eligible at registration), as passkeys kept
// by a platform or password manager are.
func Synced(p storage.Passkey) bool {
	c, err := decode(p)
	return err == nil && c.Flags.BackupEligible
}

// Method returns the RFC 8176 amr value for signing in with the passkey:
// "hwk" for a device-bound key (its private key cannot leave the
// authenticator), "swk" for a synced one (the key is copied between
// devices in software).
func Method(p storage.Passkey) string {
	if Synced(p) {
		return mfa.AMRSoftwareKey
	}
	return mfa.AMRHardwareKey
}

// CleanName returns the name a person gave a passkey, trimmed, or false
// when it is too long or holds control characters. An empty name becomes
// "Passkey".
func CleanName(raw string) (string, bool) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "Passkey", true
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLength {
		return "", false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return name, true
}
