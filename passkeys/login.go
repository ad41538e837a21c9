package passkeys

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Result is a verified use of a passkey.
type Result struct {
	User    storage.User
	Passkey storage.Passkey // as stored after this use
	// UserVerified: the authenticator verified the person (PIN,
	// biometric), not only their presence.
	UserVerified bool
}

// Method is the RFC 8176 amr value of the passkey used (see Method).
func (r Result) Method() string { return Method(r.Passkey) }

// BeginLogin starts a sign-in with a discoverable passkey and no
// password: no credential is named (the authenticator offers the ones it
// holds for this site) and user verification is required, since the
// passkey is then the only factor.
func (s *Service) BeginLogin() (*protocol.CredentialAssertion, Ceremony, error) {
	opts, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkeys: begin login: %w", err)
	}
	return opts, s.newCeremony(KindLogin, "", sd), nil
}

// FinishLogin verifies the browser's answer to a BeginLogin ceremony and
// returns whose passkey it was. A disabled account is refused.
func (s *Service) FinishLogin(ctx context.Context, c Ceremony, response []byte) (Result, error) {
	if err := c.check(KindLogin, "", s.now()); err != nil {
		return Result{}, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return Result{}, err
	}
	var (
		found     storage.Passkey
		lookupErr error // a database failure, told apart from a refusal
	)
	owner := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := s.store.GetPasskey(ctx, rawID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		if !bytes.Equal([]byte(p.UserID), userHandle) {
			return nil, errors.New("the passkey belongs to another user handle")
		}
		u, err := s.store.GetUser(ctx, p.UserID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		if u.Disabled {
			return nil, errors.New("the account is disabled")
		}
		cred, err := decode(p)
		if err != nil {
			return nil, err
		}
		found = p
		return person{user: u, creds: []webauthn.Credential{cred}}, nil
	}
	who, cred, err := s.wa.ValidatePasskeyLogin(owner, c.Session, parsed)
	if err != nil {
		if storage.Failed(lookupErr) {
			return Result{}, fmt.Errorf("passkeys: look up credential: %w", lookupErr)
		}
		return Result{}, rejected(err)
	}
	return s.recordUse(ctx, who.(person).user, found, cred, parsed)
}

// BeginSecondFactor starts confirming u's pending sign-in with one of u's
// passkeys. User verification is preferred, not required: the password
// was the first factor. ErrNone when u has no passkey.
func (s *Service) BeginSecondFactor(ctx context.Context, u storage.User) (*protocol.CredentialAssertion, Ceremony, error) {
	pks, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkeys: list: %w", err)
	}
	if len(pks) == 0 {
		return nil, Ceremony{}, ErrNone
	}
	creds, err := decodeAll(pks)
	if err != nil {
		return nil, Ceremony{}, err
	}
	opts, sd, err := s.wa.BeginLogin(person{user: u, creds: creds}, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkeys: begin second factor: %w", err)
	}
	return opts, s.newCeremony(KindSecondFactor, u.ID, sd), nil
}

// FinishSecondFactor verifies the browser's answer to a BeginSecondFactor
// ceremony for u.
func (s *Service) FinishSecondFactor(ctx context.Context, u storage.User, c Ceremony, response []byte) (Result, error) {
	if err := c.check(KindSecondFactor, u.ID, s.now()); err != nil {
		return Result{}, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return Result{}, err
	}
	pks, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return Result{}, fmt.Errorf("passkeys: list: %w", err)
	}
	creds, err := decodeAll(pks)
	if err != nil {
		return Result{}, err
	}
	cred, err := s.wa.ValidateLogin(person{user: u, creds: creds}, c.Session, parsed)
	if err != nil {
		return Result{}, rejected(err)
	}
	for _, p := range pks {
		if bytes.Equal(p.CredentialID, cred.ID) {
			return s.recordUse(ctx, u, p, cred, parsed)
		}
	}
	return Result{}, fmt.Errorf("%w: credential not among the person's passkeys", ErrRejected)
}

// parseAssertion parses the JSON of the browser's PublicKeyCredential.
func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return parsed, nil
}

// recordUse stores the use of p (verified as cred from parsed): the new signature counter, flags and
// time. The counter check is redone under the row's lock, so of two
// answers carrying the same counter (a cloned authenticator, or one answer
// replayed to two ceremonies) only one passes.
func (s *Service) recordUse(ctx context.Context, u storage.User, p storage.Passkey, cred *webauthn.Credential, parsed *protocol.ParsedCredentialAssertionData) (Result, error) {
	count := cred.Authenticator.SignCount
	if cred.Authenticator.CloneWarning {
		return Result{}, ErrCloned
	}
	record, err := encode(*cred)
	if err != nil {
		return Result{}, err
	}
	var stored storage.Passkey
	err = s.store.UpdatePasskey(ctx, p.CredentialID, func(q *storage.Passkey) error {
		if (count != 0 || q.SignCount != 0) && count <= q.SignCount {
			return ErrCloned
		}
		q.SignCount = count
		q.Credential = record
		q.LastUsedAt = s.now().UTC()
		stored = *q
		return nil
	})
	switch {
	case errors.Is(err, ErrCloned):
		return Result{}, err
	case errors.Is(err, storage.ErrNotFound):
		return Result{}, fmt.Errorf("%w: passkey removed meanwhile", ErrRejected)
	case err != nil:
		return Result{}, fmt.Errorf("passkeys: record use: %w", err)
	}
	return Result{User: u, Passkey: stored, UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified()}, nil
}
