package passkeys

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-id/gatehouse/storage"
)

// CeremonyTTL is how long the browser has between a ceremony's options and
// its answer.
const CeremonyTTL = 5 * time.Minute

// MaxPerUser bounds how many passkeys one person may register: each one is
// listed in the options of a second-factor ceremony.
const MaxPerUser = 20

// MaxNameLength bounds a passkey's name, in characters.
const MaxNameLength = 64

// Store is what the service needs from storage.
type Store interface {
	storage.Tx
	storage.Passkeys
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// Config configures the relying party.
type Config struct {
	// RPID is the relying-party id: the issuer's host or a parent domain
	// of it. It cannot be an IP address (browsers refuse one).
	RPID string
	// Origins are the origins ceremonies may come from: the issuer's.
	Origins []string
	// DisplayName is the product name authenticators show.
	DisplayName string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service registers and verifies passkeys.
type Service struct {
	wa    *webauthn.WebAuthn
	store Store
	now   func() time.Time
}

// New returns a Service for cfg, or an error saying what in cfg is wrong.
func New(cfg Config, store Store) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if net.ParseIP(cfg.RPID) != nil {
		return nil, fmt.Errorf("passkeys: relying-party id %q is an IP address; browsers need a host name", cfg.RPID)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.DisplayName,
		RPOrigins:     cfg.Origins,
		// The attestation is not asked for: which authenticator a person
		// uses is theirs to choose, and "none" is what passkeys send.
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &Service{wa: wa, store: store, now: cfg.Now}, nil
}

// OriginOf returns the origin (scheme://host[:port]) of an issuer URL.
func OriginOf(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("passkeys: %q is not an absolute URL", issuer)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Errors of Finish. Each wraps the detail (for the log, never a secret).
var (
	// ErrMalformed: the browser's answer is not a WebAuthn response at
	// all (bad JSON, bad encoding): a 400.
	ErrMalformed = errors.New("passkeys: malformed response")
	// ErrRejected: a well-formed answer that does not verify: wrong
	// challenge or origin, unknown or foreign credential, bad signature,
	// no user verification where it is required, a disabled account.
	ErrRejected = errors.New("passkeys: response rejected")
	// ErrCloned: the signature counter did not advance, a sign of a
	// cloned authenticator: the passkey is refused.
	ErrCloned = errors.New("passkeys: signature counter did not advance")
	// ErrExpired: the ceremony is older than CeremonyTTL.
	ErrExpired = errors.New("passkeys: ceremony expired")
	// ErrLimit: the person has MaxPerUser passkeys already.
	ErrLimit = errors.New("passkeys: too many passkeys")
	// ErrNone: the person has no passkey to use as a second factor.
	ErrNone = errors.New("passkeys: no passkey registered")
	// ErrDuplicate: the authenticator's credential is registered already.
	ErrDuplicate = errors.New("passkeys: passkey already registered")
)

// rejected wraps err (a verification failure) as ErrRejected.
func rejected(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %s: %s", ErrRejected, pe.Type, pe.Details)
	}
	return fmt.Errorf("%w: %w", ErrRejected, err)
}
