package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newOneTime(hash string, p storage.Purpose, userID string) storage.OneTimeToken {
	return storage.OneTimeToken{
		Hash:      hash,
		Purpose:   p,
		UserID:    userID,
		Email:     userID + "@example.com",
		CreatedAt: t0,
		ExpiresAt: at(time.Hour),
	}
}

var oneTimeTests = []test{
	{"GetThenConsumeOnce", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		tok := newOneTime("h1", storage.PurposePasswordReset, "u1")
		must(t, s.CreateOneTimeToken(ctx, tok))
		got, err := s.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Minute))
		must(t, err)
		wantEqual(t, got, tok)
		// Get does not use the token.
		got, err = s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Minute))
		must(t, err)
		wantEqual(t, got, tok)
		_, err = s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Minute))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Minute))
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"Expired", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateOneTimeToken(ctx, newOneTime("h1", storage.PurposePasswordReset, "u1")))
		_, err := s.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Hour))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, "h1", at(time.Hour))
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"PurposeIsPartOfTheKey", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateOneTimeToken(ctx, newOneTime("h1", storage.PurposeEmailVerification, "u1")))
		_, err := s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, "h1", t0)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.ConsumeOneTimeToken(ctx, storage.PurposeEmailVerification, "h1", t0)
		must(t, err)
	}},
	{"UnknownUser", func(t *testing.T, s storage.Store) {
		wantErr(t, s.CreateOneTimeToken(ctxFor(t), newOneTime("h1", storage.PurposePasswordReset, "nobody")), storage.ErrNotFound)
	}},
	{"ConcurrentConsumeOneWins", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateOneTimeToken(ctx, newOneTime("h1", storage.PurposePasswordReset, "u1")))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = retry(func() error {
					_, err := s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, "h1", t0)
					return err
				})
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, storage.ErrNotFound):
				t.Fatalf("consume: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d consumers won, want exactly 1", wins)
		}
	}},
	{"DeleteUserTokens", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		must(t, s.CreateOneTimeToken(ctx, newOneTime("a", storage.PurposePasswordReset, "u1")))
		must(t, s.CreateOneTimeToken(ctx, newOneTime("b", storage.PurposePasswordReset, "u1")))
		must(t, s.CreateOneTimeToken(ctx, newOneTime("c", storage.PurposeEmailVerification, "u1")))
		must(t, s.CreateOneTimeToken(ctx, newOneTime("d", storage.PurposePasswordReset, "u2")))
		must(t, s.DeleteUserOneTimeTokens(ctx, "u1", storage.PurposePasswordReset))
		for hash, p := range map[string]storage.Purpose{"a": storage.PurposePasswordReset, "b": storage.PurposePasswordReset} {
			_, err := s.GetOneTimeToken(ctx, p, hash, t0)
			wantErr(t, err, storage.ErrNotFound)
		}
		_, err := s.GetOneTimeToken(ctx, storage.PurposeEmailVerification, "c", t0)
		must(t, err)
		_, err = s.GetOneTimeToken(ctx, storage.PurposePasswordReset, "d", t0)
		must(t, err)
	}},
	{"DeletedWithUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateOneTimeToken(ctx, newOneTime("h1", storage.PurposePasswordReset, "u1")))
		must(t, s.DeleteUser(ctx, "u1"))
		_, err := s.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h1", t0)
		wantErr(t, err, storage.ErrNotFound)
	}},
}
