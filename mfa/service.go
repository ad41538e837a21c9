package mfa

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Errors of the Service. A refused attempt over the guessing limit is the
// limiter's own error (errors.Is(err, ratelimit.ErrLimited)).
var (
	// ErrWrongCode: the code is not valid for the user now.
	ErrWrongCode = errors.New("mfa: wrong code")
	// ErrReplayed: a TOTP code (or one of its time step) was already
	// accepted. It is also an ErrWrongCode.
	ErrReplayed = fmt.Errorf("%w: already used", ErrWrongCode)
	// ErrNotEnrolled: the user has no such factor (or its enrolment is
	// not waiting for confirmation).
	ErrNotEnrolled = errors.New("mfa: not enrolled")
	// ErrAlreadyEnrolled: the user has a confirmed TOTP; remove it first.
	ErrAlreadyEnrolled = errors.New("mfa: already enrolled")
)

// Limiter bounds guessing of second-factor codes per account;
// *ratelimit.Limiter implements it (a nil one allows everything).
type Limiter interface {
	CheckMFA(ctx context.Context, userID string) error
	MFAFailed(ctx context.Context, userID string)
	MFASucceeded(ctx context.Context, userID string)
}

// Options configure a Service. Store and Secret are required.
type Options struct {
	Store storage.SecondFactors
	// Secret is the system secret: TOTP secrets are sealed and recovery
	// codes hashed under keys derived from it.
	Secret []byte
	// Issuer names the service in authenticator apps (the product name).
	Issuer string
	// RecoveryCodes is the size of a recovery-code set (default 10).
	RecoveryCodes int
	// Limiter bounds wrong codes per account; nil allows everything.
	Limiter Limiter
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service enrols and checks TOTP and recovery codes, and holds the
// Registry of every factor kind (TOTP and recovery codes registered).
type Service struct {
	// Registry lists every kind of factor; register passkeys here.
	Registry *Registry

	store   storage.SecondFactors
	sealer  *secret.Sealer
	codeKey []byte
	issuer  string
	nCodes  int
	limiter Limiter
	clock   atomic.Pointer[func() time.Time]
}

// New returns a Service with TOTP and recovery codes registered.
func New(o Options) (*Service, error) {
	if o.Store == nil || len(o.Secret) == 0 {
		return nil, errors.New("mfa: New: Store and Secret are required")
	}
	sealer, err := secret.NewSealer(o.Secret, "mfa-totp")
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	if o.RecoveryCodes <= 0 {
		o.RecoveryCodes = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Issuer == "" {
		o.Issuer = "Gatehouse"
	}
	if o.Limiter == nil {
		o.Limiter = noLimit{}
	}
	s := &Service{
		Registry: &Registry{},
		store:    o.Store,
		sealer:   sealer,
		codeKey:  secret.Derive(o.Secret, "mfa-recovery-codes"),
		issuer:   o.Issuer,
		nCodes:   o.RecoveryCodes,
		limiter:  o.Limiter,
	}
	s.SetClock(o.Now)
	s.Registry.Register(totpProvider{s})
	s.Registry.Register(recoveryProvider{s})
	return s, nil
}

// SetClock replaces the clock (time.Now when nil); tests of a running
// server use it to pick the TOTP time step without waiting.
func (s *Service) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.clock.Store(&now)
}

func (s *Service) now() time.Time { return (*s.clock.Load())() }

type noLimit struct{}

func (noLimit) CheckMFA(context.Context, string) error { return nil }
func (noLimit) MFAFailed(context.Context, string)      {}
func (noLimit) MFASucceeded(context.Context, string)   {}

// Used is what a successful Verify accepted.
type Used struct {
	Kind   string // KindTOTP or KindRecovery
	Method string // the amr value to record: AMROTP
	// CodesLeft is how many recovery codes remain after a recovery code
	// was used.
	CodesLeft int
}

// Verify checks a code typed on the second-factor page: a 6-digit TOTP
// code, or else a recovery code. Wrong codes count against the account's
// guessing budget; over it, every code is refused with the limiter's
// error until the window ends.
func (s *Service) Verify(ctx context.Context, userID, code string) (Used, error) {
	if err := s.limiter.CheckMFA(ctx, userID); err != nil {
		return Used{}, err
	}
	var (
		used Used
		err  error
	)
	if c := normalizeTOTP(code); len(c) == totpDigits && isDigits(c) {
		err = s.useTOTP(ctx, userID, c, false)
		used = Used{Kind: KindTOTP, Method: AMROTP}
	} else {
		used, err = s.useRecoveryCode(ctx, userID, code)
	}
	switch {
	case errors.Is(err, ErrWrongCode), errors.Is(err, ErrNotEnrolled):
		s.limiter.MFAFailed(ctx, userID)
		if errors.Is(err, ErrNotEnrolled) {
			err = fmt.Errorf("%w: %w", ErrWrongCode, err)
		}
		return Used{}, err
	case err != nil:
		return Used{}, err
	}
	s.limiter.MFASucceeded(ctx, userID)
	return used, nil
}

// CleanUpBackups deletes the user's recovery codes when no second factor
// is left: call it after removing a factor.
func (s *Service) CleanUpBackups(ctx context.Context, userID string) error {
	has, err := s.Registry.HasSecondFactor(ctx, userID)
	if err != nil || has {
		return err
	}
	return s.store.DeleteRecoveryCodes(ctx, userID)
}
