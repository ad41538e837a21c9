package manage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// InitialToken is a new initial access token for dynamic registration,
// shown once: only its hash is stored.
type InitialToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	// Uses is how many registrations it allows (0: any number until it
	// expires).
	Uses int `json:"uses"`
}

// CreateInitialToken makes an initial access token valid for ttl and
// uses registrations (0: unlimited).
func (s *Service) CreateInitialToken(ctx context.Context, a Actor, ttl time.Duration, uses int) (InitialToken, error) {
	if ttl <= 0 {
		return InitialToken{}, errors.New("the token's lifetime must be positive")
	}
	if uses < 0 {
		return InitialToken{}, errors.New("uses must be 0 (unlimited) or more")
	}
	plain := secret.Token(32)
	now := s.now().UTC()
	t := storage.InitialAccessToken{Hash: secret.SHA256Hex(plain), CreatedAt: now, ExpiresAt: now.Add(ttl), MaxUses: uses}
	if err := s.Store.CreateInitialAccessToken(ctx, t); err != nil {
		return InitialToken{}, fmt.Errorf("store initial access token: %w", err)
	}
	s.record(ctx, a, audit.InitialTokenCreated, "", "", map[string]string{
		"uses": strconv.Itoa(uses), "expires_at": t.ExpiresAt.Format(time.RFC3339),
	})
	return InitialToken{Token: plain, ExpiresAt: t.ExpiresAt, Uses: uses}, nil
}
