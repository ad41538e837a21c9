package web

import (
	"context"
	"errors"
	"slices"

	"github.com/gatehouse-id/gatehouse/storage"
)

// errLastSignIn refuses to unlink a person's only way to sign in.
var errLastSignIn = errors.New("web: the only sign-in method")

// unlinkUnlessLast unlinks the user's identity (provider, subject) unless
// it is their last way to sign in (no password and no other identity).
// The check and the delete are one transaction that first locks the
// user's row (UpdateUser), so two unlinks at once (two tabs) run one after
// the other and the second sees what the first left. storage.ErrNotFound
// when the user has no such identity.
func unlinkUnlessLast(ctx context.Context, store storage.Store, userID, provider, subject string) error {
	return storage.InTx(ctx, store, func(ctx context.Context) error {
		var hasPassword bool
		if err := store.UpdateUser(ctx, userID, func(u *storage.User) error {
			hasPassword = len(u.PasswordHash) > 0
			return nil
		}); err != nil {
			return err
		}
		ids, err := store.ListIdentities(ctx, userID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ids, func(id storage.Identity) bool { return id.Provider == provider && id.Subject == subject }) {
			return storage.ErrNotFound
		}
		if !hasPassword && len(ids) == 1 {
			return errLastSignIn
		}
		return store.DeleteIdentity(ctx, provider, subject)
	})
}
