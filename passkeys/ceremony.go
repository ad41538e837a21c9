package passkeys

import (
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Kind names what a ceremony is for. A ceremony of one kind is never
// accepted as another.
type Kind string

// The ceremony kinds.
const (
	// KindRegister adds a passkey to the signed-in person's account.
	KindRegister Kind = "register"
	// KindLogin signs in with a discoverable passkey and no password.
	KindLogin Kind = "login"
	// KindSecondFactor confirms a pending sign-in after the password.
	KindSecondFactor Kind = "second_factor"
)

// Ceremony is the server's half of one ceremony, from Begin to Finish. It
// holds no secret (the challenge goes to the browser too), but it must
// reach Finish unaltered and only once: the caller keeps it where the
// browser cannot change it, and spends its ID.
type Ceremony struct {
	Kind Kind `json:"k"`
	// UserID is the person the ceremony is for; empty for KindLogin,
	// where the passkey names the person.
	UserID  string               `json:"u,omitempty"`
	Expires time.Time            `json:"e"`
	Session webauthn.SessionData `json:"s"`
}

// ID identifies the ceremony for single use: its random challenge.
func (c Ceremony) ID() string { return c.Session.Challenge }

// check refuses a ceremony of another kind or person, or past its time.
func (c Ceremony) check(kind Kind, userID string, now time.Time) error {
	switch {
	case c.Kind != kind:
		return fmt.Errorf("%w: ceremony is %q, not %q", ErrRejected, c.Kind, kind)
	case c.UserID != userID:
		return fmt.Errorf("%w: ceremony belongs to another person", ErrRejected)
	case c.Session.Challenge == "":
		return fmt.Errorf("%w: ceremony has no challenge", ErrRejected)
	case !now.Before(c.Expires):
		return ErrExpired
	}
	return nil
}

// newCeremony wraps the library's session data.
func (s *Service) newCeremony(kind Kind, userID string, sd *webauthn.SessionData) Ceremony {
	return Ceremony{Kind: kind, UserID: userID, Expires: s.now().Add(CeremonyTTL), Session: *sd}
}
