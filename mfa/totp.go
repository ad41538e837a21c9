package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TOTP parameters: what every authenticator app expects (RFC 6238 with
// SHA-1, 30-second steps, 6 digits), a 160-bit secret (RFC 4226 section
// 4), and one step of clock skew either way.
const (
	totpPeriod     = 30
	totpDigits     = 6
	totpSecretSize = 20
	totpSkew       = 1
	// qrSize is the QR code's side in pixels.
	qrSize = 200
)

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is a TOTP secret waiting for its first code.
type TOTPEnrolment struct {
	// Secret is the base32 secret, to type into an app by hand.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QR is the QR code as a data: URL of a PNG (allowed by the pages'
	// img-src), rendered here: no outside service sees the secret.
	QR string
}

// BeginTOTP makes a new TOTP secret for user, stored sealed and
// unconfirmed (replacing any unconfirmed one), to be confirmed by a first
// code (ConfirmTOTP). ErrAlreadyEnrolled when the user has a confirmed
// TOTP.
func (s *Service) BeginTOTP(ctx context.Context, user storage.User) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.issuer,
		AccountName: user.Email,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: generate totp: %w", err)
	}
	err = s.store.CreateTOTP(ctx, storage.TOTP{
		UserID:    user.ID,
		Secret:    s.sealer.Seal([]byte(key.Secret()), user.ID),
		CreatedAt: s.now().UTC(),
	})
	if errors.Is(err, storage.ErrAlreadyExists) {
		return TOTPEnrolment{}, ErrAlreadyEnrolled
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: store totp: %w", err)
	}
	return enrolment(key)
}

// ConfirmTOTP confirms the user's pending enrolment with a first code;
// a wrong code confirms nothing (ErrWrongCode) and counts against the
// guessing budget. ErrNotEnrolled when no enrolment is pending.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) error {
	if err := s.limiter.CheckMFA(ctx, userID); err != nil {
		return err
	}
	err := s.useTOTP(ctx, userID, normalizeTOTP(code), true)
	if errors.Is(err, ErrWrongCode) {
		s.limiter.MFAFailed(ctx, userID)
	}
	if err == nil {
		s.limiter.MFASucceeded(ctx, userID)
	}
	return err
}

// RemoveTOTP deletes the user's TOTP, confirmed or not; ErrNotEnrolled
// when there is none.
func (s *Service) RemoveTOTP(ctx context.Context, userID string) error {
	err := s.store.DeleteTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotEnrolled
	}
	return err
}

// useTOTP accepts code for the user's TOTP (confirmed, or with confirm
// the pending one) when it is right for a time step within the skew that
// is newer than the last one accepted, and records that step with a
// compare-and-swap, so a code works once on every node.
func (s *Service) useTOTP(ctx context.Context, userID, code string, confirm bool) error {
	t, err := s.store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && t.Confirmed == confirm) {
		return ErrNotEnrolled
	}
	if err != nil {
		return fmt.Errorf("mfa: load totp: %w", err)
	}
	key, err := s.sealer.Open(t.Secret, userID)
	if err != nil {
		return fmt.Errorf("mfa: totp secret of %s: %w", userID, err)
	}
	now := s.now()
	step, ok := matchStep(string(key), code, now)
	if !ok {
		return ErrWrongCode
	}
	if step <= t.LastStep {
		return ErrReplayed
	}
	err = s.store.UseTOTPStep(ctx, userID, t.Secret, step, confirm, now.UTC())
	if errors.Is(err, storage.ErrNotFound) {
		// Another request accepted this step (or a later one) first, or
		// the enrolment changed under us.
		return ErrReplayed
	}
	if err != nil {
		return fmt.Errorf("mfa: record totp step: %w", err)
	}
	return nil
}

// matchStep returns the newest time step within the skew of now whose
// code is code. Every candidate is computed and compared in constant
// time.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits || !isDigits(code) {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	var (
		found int64
		ok    bool
	)
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, ok = step, true
		}
	}
	return found, ok
}

// normalizeTOTP drops the spaces and dashes people type into codes.
func normalizeTOTP(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// totpProvider lists a confirmed TOTP as a factor.
type totpProvider struct{ s *Service }

func (totpProvider) Kind() string { return KindTOTP }

func (p totpProvider) Factors(ctx context.Context, userID string) ([]Factor, error) {
	t, err := p.s.store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !t.Confirmed) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []Factor{{Kind: KindTOTP, Name: "Authenticator app", ACR: ACRMFA, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}}, nil
}

func (p totpProvider) RemoveAll(ctx context.Context, userID string) error {
	err := p.s.store.DeleteTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// PendingTOTP returns the user's enrolment waiting for its first code
// again (after a wrong one); ErrNotEnrolled when none is pending.
func (s *Service) PendingTOTP(ctx context.Context, user storage.User) (TOTPEnrolment, error) {
	t, err := s.store.GetTOTP(ctx, user.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && t.Confirmed) {
		return TOTPEnrolment{}, ErrNotEnrolled
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: load totp: %w", err)
	}
	raw, err := s.sealer.Open(t.Secret, user.ID)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: totp secret of %s: %w", user.ID, err)
	}
	key, err := otp.NewKeyFromURL((&url.URL{
		Scheme:   "otpauth",
		Host:     "totp",
		Path:     "/" + s.issuer + ":" + user.Email,
		RawQuery: url.Values{"secret": {string(raw)}, "issuer": {s.issuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"}}.Encode(),
	}).String())
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: totp key: %w", err)
	}
	return enrolment(key)
}

// enrolment renders key's QR code.
func enrolment(key *otp.Key) (TOTPEnrolment, error) {
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: qr code: %w", err)
	}
	return TOTPEnrolment{
		Secret: key.Secret(),
		URL:    key.URL(),
		QR:     "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}
