package oauth

import (
	"context"
	"errors"
	"slices"
	"time"

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
	// One atomic read-merge-write: two consent pages of one person
	// granting different scopes at once both count.
	return a.Store.UpdateConsent(ctx, userID, clientID, func(c *storage.Consent) error {
		all := append(slices.Clone(scopes), c.Scopes...)
		slices.Sort(all)
		c.Scopes = slices.Compact(all)
		c.GrantedAt = a.Now().UTC()
		c.ExpiresAt = time.Time{} // as before: a consent given now does not expire
		return nil
	})
}
