package server

import (
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// NewMFA returns the second-factor service for cfg with every kind of
// factor registered (TOTP and recovery codes by package mfa; register
// other kinds here), so the server and the CLI (users reset-mfa, user
// listings) see the same factors. limiter bounds code guessing; nil
// allows everything.
func NewMFA(cfg Config, store storage.Store, limiter mfa.Limiter) (*mfa.Service, error) {
	return mfa.New(mfa.Options{
		Store:         store,
		Secret:        []byte(cfg.Secret),
		Issuer:        cfg.Branding.ProductName,
		RecoveryCodes: cfg.MFA.RecoveryCodes,
		Limiter:       limiter,
	})
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
