package passkeys

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-id/gatehouse/storage"
)

// BeginRegistration starts adding a passkey to u's account: the options
// ask for a discoverable credential with user verification (so it can
// sign in without a password) and exclude the passkeys u has already.
// ErrLimit when u has MaxPerUser passkeys.
func (s *Service) BeginRegistration(ctx context.Context, u storage.User) (*protocol.CredentialCreation, Ceremony, error) {
	pks, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkeys: list: %w", err)
	}
	if len(pks) >= MaxPerUser {
		return nil, Ceremony{}, ErrLimit
	}
	creds, err := decodeAll(pks)
	if err != nil {
		return nil, Ceremony{}, err
	}
	opts, sd, err := s.wa.BeginRegistration(person{user: u, creds: creds},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(webauthn.Credentials(creds).CredentialDescriptors()),
	)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkeys: begin registration: %w", err)
	}
	return opts, s.newCeremony(KindRegister, u.ID, sd), nil
}

// FinishRegistration verifies the browser's answer (the JSON of the
// PublicKeyCredential) to c and stores the new passkey under name (see
// CleanName). ErrMalformed, ErrRejected, ErrExpired, ErrDuplicate or
// ErrLimit say why it was refused.
func (s *Service) FinishRegistration(ctx context.Context, u storage.User, c Ceremony, name string, response []byte) (storage.Passkey, error) {
	if err := c.check(KindRegister, u.ID, s.now()); err != nil {
		return storage.Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	cred, err := s.wa.CreateCredential(person{user: u}, c.Session, parsed)
	if err != nil {
		return storage.Passkey{}, rejected(err)
	}
	record, err := encode(*cred)
	if err != nil {
		return storage.Passkey{}, err
	}
	p := storage.Passkey{
		CredentialID: cred.ID,
		UserID:       u.ID,
		Name:         name,
		Credential:   record,
		SignCount:    cred.Authenticator.SignCount,
		CreatedAt:    s.now().UTC(),
	}
	err = storage.InTx(ctx, s.store, func(ctx context.Context) error {
		pks, err := s.store.ListPasskeys(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(pks) >= MaxPerUser {
			return ErrLimit
		}
		return s.store.CreatePasskey(ctx, p)
	})
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		return storage.Passkey{}, ErrDuplicate
	case errors.Is(err, ErrLimit):
		return storage.Passkey{}, err
	case err != nil:
		return storage.Passkey{}, fmt.Errorf("passkeys: store: %w", err)
	}
	return p, nil
}
