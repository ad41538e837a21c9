package storagetest

import (
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newIdentity(provider, subject, userID string) storage.Identity {
	return storage.Identity{
		Provider:    provider,
		Subject:     subject,
		UserID:      userID,
		Email:       subject + "@upstream.example",
		CreatedAt:   t0,
		LastLoginAt: at(time.Second),
	}
}

var identityTests = []test{
	{"CreateGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		id := newIdentity("github", "4242", "u1")
		must(t, s.CreateIdentity(ctx, id))
		got, err := s.GetIdentity(ctx, "github", "4242")
		must(t, err)
		wantEqual(t, got, id)
		_, err = s.GetIdentity(ctx, "google", "4242")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"DuplicateRefused", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		must(t, s.CreateIdentity(ctx, newIdentity("github", "4242", "u1")))
		wantErr(t, s.CreateIdentity(ctx, newIdentity("github", "4242", "u2")), storage.ErrAlreadyExists)
		got, err := s.GetIdentity(ctx, "github", "4242")
		must(t, err)
		if got.UserID != "u1" {
			t.Fatalf("duplicate link moved the identity to %q", got.UserID)
		}
		// The same subject at another provider is another identity.
		must(t, s.CreateIdentity(ctx, newIdentity("google", "4242", "u2")))
	}},
	{"UnknownUser", func(t *testing.T, s storage.Store) {
		wantErr(t, s.CreateIdentity(ctxFor(t), newIdentity("github", "1", "nobody")), storage.ErrNotFound)
	}},
	{"ListTouchDelete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		a := newIdentity("google", "a", "u1")
		b := newIdentity("github", "b", "u1")
		b.CreatedAt = at(time.Minute)
		must(t, s.CreateIdentity(ctx, b))
		must(t, s.CreateIdentity(ctx, a))
		must(t, s.CreateIdentity(ctx, newIdentity("github", "c", "u2")))
		got, err := s.ListIdentities(ctx, "u1")
		must(t, err)
		wantEqual(t, got, []storage.Identity{a, b})

		must(t, s.TouchIdentity(ctx, "github", "b", "new@upstream.example", at(time.Hour)))
		tb, err := s.GetIdentity(ctx, "github", "b")
		must(t, err)
		if tb.Email != "new@upstream.example" || !tb.LastLoginAt.Equal(at(time.Hour)) || !tb.CreatedAt.Equal(b.CreatedAt) {
			t.Fatalf("touch: got %+v", tb)
		}
		wantErr(t, s.TouchIdentity(ctx, "github", "zz", "", at(time.Hour)), storage.ErrNotFound)

		must(t, s.DeleteIdentity(ctx, "google", "a"))
		wantErr(t, s.DeleteIdentity(ctx, "google", "a"), storage.ErrNotFound)
		got, err = s.ListIdentities(ctx, "u1")
		must(t, err)
		if len(got) != 1 || got[0].Subject != "b" {
			t.Fatalf("after delete: %+v", got)
		}
	}},
	{"DeletedWithUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateIdentity(ctx, newIdentity("github", "4242", "u1")))
		must(t, s.DeleteUser(ctx, "u1"))
		_, err := s.GetIdentity(ctx, "github", "4242")
		wantErr(t, err, storage.ErrNotFound)
		// The upstream account can link to a new user afterwards.
		mkUser(t, s, "u2")
		must(t, s.CreateIdentity(ctx, newIdentity("github", "4242", "u2")))
	}},
}
