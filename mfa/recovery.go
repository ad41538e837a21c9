package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Recovery codes are 10 characters of Crockford's base32 (50 random bits),
// shown as xxxxx-xxxxx. They are stored as an HMAC-SHA256 under a key
// derived from the system secret: random enough that a fast keyed hash is
// safe, as for client secrets.
const (
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryLength   = 10
)

// NewRecoveryCodes makes a new set of recovery codes for the user,
// voiding the old set, and returns them: the only time they are seen.
func (s *Service) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, s.nCodes)
	hashes := make([]string, s.nCodes)
	for i := range codes {
		raw := randomCode()
		codes[i] = raw[:5] + "-" + raw[5:]
		hashes[i] = s.hashCode(raw)
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, userID, hashes, s.now().UTC()); err != nil {
		return nil, fmt.Errorf("mfa: store recovery codes: %w", err)
	}
	return codes, nil
}

// RecoveryCodesLeft returns how many unused recovery codes the user has.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	codes, err := s.store.ListRecoveryCodes(ctx, userID)
	return len(codes), err
}

// useRecoveryCode uses up one recovery code; ErrWrongCode when it is not
// one of the user's unused codes.
func (s *Service) useRecoveryCode(ctx context.Context, userID, code string) (Used, error) {
	raw := normalizeRecoveryCode(code)
	if len(raw) != recoveryLength {
		return Used{}, ErrWrongCode
	}
	err := s.store.UseRecoveryCode(ctx, userID, s.hashCode(raw))
	if errors.Is(err, storage.ErrNotFound) {
		return Used{}, ErrWrongCode
	}
	if err != nil {
		return Used{}, fmt.Errorf("mfa: use recovery code: %w", err)
	}
	left, err := s.RecoveryCodesLeft(ctx, userID)
	if err != nil {
		return Used{}, fmt.Errorf("mfa: count recovery codes: %w", err)
	}
	return Used{Kind: KindRecovery, Method: AMRRecoveryCode, CodesLeft: left}, nil
}

func (s *Service) hashCode(raw string) string {
	mac := hmac.New(sha256.New, s.codeKey)
	mac.Write([]byte(raw))
	return hex.EncodeToString(mac.Sum(nil))
}

// randomCode returns recoveryLength random characters of the alphabet.
func randomCode() string {
	b := make([]byte, recoveryLength)
	if _, err := rand.Read(b); err != nil {
		panic("mfa: crypto/rand failed: " + err.Error()) // never happens on Go >= 1.24
	}
	for i := range b {
		b[i] = recoveryAlphabet[b[i]&31]
	}
	return string(b)
}

// normalizeRecoveryCode lower-cases a typed code, drops spaces and dashes
// and reads the letters Crockford's base32 leaves out as the digits they
// look like.
func normalizeRecoveryCode(code string) string {
	code = strings.ToLower(normalizeTOTP(code))
	return strings.NewReplacer("o", "0", "i", "1", "l", "1").Replace(code)
}

// recoveryProvider lists the unused recovery codes as a backup.
type recoveryProvider struct{ s *Service }

func (recoveryProvider) Kind() string { return KindRecovery }

func (p recoveryProvider) Factors(ctx context.Context, userID string) ([]Factor, error) {
	codes, err := p.s.store.ListRecoveryCodes(ctx, userID)
	if err != nil || len(codes) == 0 {
		return nil, err
	}
	return []Factor{{Kind: KindRecovery, Name: "Recovery codes", ACR: ACRMFA, Backup: true, Count: len(codes), CreatedAt: codes[0].CreatedAt}}, nil
}

func (p recoveryProvider) RemoveAll(ctx context.Context, userID string) error {
	return p.s.store.DeleteRecoveryCodes(ctx, userID)
}
