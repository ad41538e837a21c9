package passkeys

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/gatehouse-id/gatehouse/mfa"
)

// The Service is the passkeys' mfa.Provider: registered in the second
// factors' registry, a person's passkeys count as second factors (sign-in
// asks for one, step-up to "phr" is possible, an admin reset removes
// them).
var _ mfa.Provider = (*Service)(nil)

// Kind is mfa.KindPasskey.
func (s *Service) Kind() string { return mfa.KindPasskey }

// Factors lists the user's passkeys as second factors: each reaches acr
// "phr" (phishing-resistant). ID is the credential id, base64url.
func (s *Service) Factors(ctx context.Context, userID string) ([]mfa.Factor, error) {
	pks, err := s.store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys: list: %w", err)
	}
	out := make([]mfa.Factor, 0, len(pks))
	for _, p := range pks {
		out = append(out, mfa.Factor{
			Kind:       mfa.KindPasskey,
			ID:         base64.RawURLEncoding.EncodeToString(p.CredentialID),
			Name:       p.Name,
			ACR:        mfa.ACRPhishingResistant,
			CreatedAt:  p.CreatedAt,
			LastUsedAt: p.LastUsedAt,
		})
	}
	return out, nil
}

// RemoveAll deletes every passkey of the user (an administrator's reset).
func (s *Service) RemoveAll(ctx context.Context, userID string) error {
	if _, err := s.store.DeleteUserPasskeys(ctx, userID); err != nil {
		return fmt.Errorf("passkeys: remove all: %w", err)
	}
	return nil
}
