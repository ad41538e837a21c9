package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// UpdateConsent reads the consent of (userID, clientID), or a new one,
// applies fn and writes the result in one immediate transaction on the
// one writer, so concurrent updates run one after the other.
func (s *Store) UpdateConsent(ctx context.Context, userID, clientID string, fn func(*storage.Consent) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		c, err := s.GetConsent(ctx, userID, clientID)
		if errors.Is(err, storage.ErrNotFound) {
			c, err = storage.Consent{UserID: userID, ClientID: clientID}, nil
		}
		if err != nil {
			return fmt.Errorf("sqlite: update consent: %w", err)
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.UserID != userID || c.ClientID != clientID {
			return errors.New("sqlite: update consent: the user and client cannot change")
		}
		return s.SaveConsent(ctx, c)
	})
}
