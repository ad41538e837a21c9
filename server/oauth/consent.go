package oauth

import (
	"context"
	"errors"
	"slices"

	"github.com/gatehouse-id/gatehouse/storage"
)

// consentCovers reports whether the user's remembered, unexpired consent
// for the client covers every scope requested.
func (a *Authorize) consentCovers(ctx context.Context, userID, clientID string, scopes []string) (bool, error) {
	c, err := a.Store.GetConsent(ctx, userID, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(a.Now()) {
		return false, nil
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false, nil
		}
	}
	return true, nil
}

// saveConsent remembers the granted scopes, added to any granted before.
func (a *Authorize) saveConsent(ctx context.Context, userID, clientID string, scopes []string) error {
	all := slices.Clone(scopes)
	if prev, err := a.Store.GetConsent(ctx, userID, clientID); err == nil {
		all = append(all, prev.Scopes...)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	slices.Sort(all)
	return a.Store.SaveConsent(ctx, storage.Consent{
		UserID:    userID,
		ClientID:  clientID,
		Scopes:    slices.Compact(all),
		GrantedAt: a.Now().UTC(),
	})
}
