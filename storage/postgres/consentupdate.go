package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// UpdateConsent reads the consent of (userID, clientID), or a new one,
// applies fn and writes the result in one transaction (joining the one in
// ctx). A transaction-scoped advisory lock on the pair serialises
// concurrent updates on every node, including those that find no row yet
// (which a row lock cannot).
func (s *Store) UpdateConsent(ctx context.Context, userID, clientID string, fn func(*storage.Consent) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		if _, err := s.q(ctx).Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			"gatehouse/consent\x1f"+userID+"\x1f"+clientID); err != nil {
			return fmt.Errorf("postgres: update consent: lock: %w", mapErr(err))
		}
		c, err := s.GetConsent(ctx, userID, clientID)
		if errors.Is(err, storage.ErrNotFound) {
			c, err = storage.Consent{UserID: userID, ClientID: clientID}, nil
		}
		if err != nil {
			return fmt.Errorf("postgres: update consent: %w", err)
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.UserID != userID || c.ClientID != clientID {
			return errors.New("postgres: update consent: the user and client cannot change")
		}
		return s.SaveConsent(ctx, c)
	})
}
