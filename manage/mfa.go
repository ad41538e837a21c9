package manage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// FactorView is how a second factor is shown in listings: its kind and
// name, never a secret.
type FactorView struct {
	Kind       string     `json:"kind"`
	Name       string     `json:"name,omitempty"`
	Count      int        `json:"count,omitempty"` // recovery codes left
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Factors returns the user's second factors (recovery codes included) as
// listings show them; none without Service.MFA.
func (s *Service) Factors(ctx context.Context, userID string) ([]FactorView, error) {
	if s.MFA == nil {
		return []FactorView{}, nil
	}
	fs, err := s.MFA.Registry.Factors(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]FactorView, 0, len(fs))
	for _, f := range fs {
		v := FactorView{Kind: f.Kind, Name: f.Name, Count: f.Count, CreatedAt: f.CreatedAt}
		if !f.LastUsedAt.IsZero() {
			used := f.LastUsedAt
			v.LastUsedAt = &used
		}
		out = append(out, v)
	}
	return out, nil
}

// ViewUserFactors is ViewUser with the user's second factors.
func (s *Service) ViewUserFactors(ctx context.Context, u storage.User) (UserView, error) {
	v := ViewUser(u)
	fs, err := s.Factors(ctx, u.ID)
	if err != nil {
		return UserView{}, fmt.Errorf("list second factors of %q: %w", u.ID, err)
	}
	v.SecondFactors = &fs
	return v, nil
}

// ResetMFA removes every second factor of the user (an authenticator app,
// passkeys, recovery codes), for a person who lost them: they sign in
// with the first factor alone until they set up a new one. It returns
// the kinds removed; audited as mfa.removed with factor "all".
func (s *Service) ResetMFA(ctx context.Context, a Actor, userID string) ([]string, error) {
	if s.MFA == nil {
		return nil, fmt.Errorf("reset second factors: %w", mfa.ErrNotEnrolled)
	}
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("reset second factors of %q: %w", userID, err)
	}
	fs, err := s.MFA.Registry.Factors(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("reset second factors of %q: %w", userID, err)
	}
	kinds := []string{}
	for _, f := range fs {
		if len(kinds) == 0 || kinds[len(kinds)-1] != f.Kind {
			kinds = append(kinds, f.Kind)
		}
	}
	if err := s.MFA.Registry.RemoveAll(ctx, userID); err != nil {
		return nil, fmt.Errorf("reset second factors of %q: %w", userID, err)
	}
	s.record(ctx, a, audit.MFARemoved, userID, "", map[string]string{"factor": "all", "kinds": strings.Join(kinds, " ")})
	if s.Notify != nil && len(kinds) > 0 {
		if u, err := s.Store.GetUser(ctx, userID); err == nil {
			s.Notify(u, ChangeAllFactorsRemoved)
		}
	}
	return kinds, nil
}

// ChangeAllFactorsRemoved is what the person is mailed after ResetMFA.
const ChangeAllFactorsRemoved = "An administrator removed all your second factors (authenticator app, passkeys, recovery codes). Set up a new one from your account's security page."
