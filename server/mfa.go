package server

import (
	"log/slog"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// NewMFA returns the second-factor service for cfg with every kind of
// factor registered (TOTP and recovery codes by package mfa, passkeys when
// they are on), so the server and the CLI (users reset-mfa, user listings)
// see the same factors. limiter bounds code guessing; nil allows
// everything.
func NewMFA(cfg Config, store storage.Store, limiter mfa.Limiter) (*mfa.Service, error) {
	svc, _, err := newFactors(cfg, store, slog.New(slog.DiscardHandler))
	if err == nil && limiter != nil {
		svc.LimitGuesses(limiter)
	}
	return svc, err
}

// newFactors builds the second-factor service and the passkey relying
// party (nil when passkeys are off), registered in the service.
func newFactors(cfg Config, store storage.Store, logger *slog.Logger) (*mfa.Service, *passkeys.Service, error) {
	svc, err := mfa.New(mfa.Options{
		Store:         store,
		Secret:        []byte(cfg.Secret),
		Issuer:        cfg.Branding.ProductName,
		RecoveryCodes: cfg.MFA.RecoveryCodes,
	})
	if err != nil {
		return nil, nil, err
	}
	pks, err := newPasskeys(cfg, store, logger)
	if err != nil {
		return nil, nil, err
	}
	if pks != nil {
		svc.Registry.Register(pks)
	}
	return svc, pks, nil
}

// notifier is how the admin API mails a person about a change to their
// second factors: through the pages' mail templates; nil without them.
func notifier(pages *web.Handlers) func(storage.User, string) {
	if pages.SecondFactor == nil {
		return nil
	}
	return pages.SecondFactor.Notify
}

// verificationMailer is the pages' way to mail a new verification link
// (the console's "resend verification"); nil without the sign-up pages.
func verificationMailer(pages *web.Handlers) func(storage.User) {
	if pages.SignUp == nil {
		return nil
	}
	return pages.SignUp.MailVerification
}
