package oauth

import (
	"context"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// lastUsedEvery is how stale a self-registered client's last use may be
// before a token issued to it is written down: the janitor deletes such
// clients after days of disuse, so an hour's precision is plenty, and
// busy clients cost no write per token.
const lastUsedEvery = time.Hour

// touchClient records that c, if nobody vetted it, was just issued a
// token (storage.Client.LastUsedAt). A failure is logged by the caller's
// logger only: the token is issued either way.
func (s *Store) touchClient(ctx context.Context, c fosite.Client) error {
	gc, ok := c.(*client)
	now := s.now().UTC()
	if !ok || !gc.unvetted() || now.Sub(gc.lastUsed) < lastUsedEvery {
		return nil
	}
	return s.db.UpdateClient(ctx, gc.GetID(), func(sc *storage.Client) error {
		sc.LastUsedAt = now
		return nil
	})
}
