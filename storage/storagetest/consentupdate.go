package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// consentUpdateTests cover UpdateConsent: the read-merge-write of a
// consent done atomically.
var consentUpdateTests = []test{
	{"UpdateCreates", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		want := newConsent("u1", "c1")
		must(t, s.UpdateConsent(ctx, "u1", "c1", func(c *storage.Consent) error {
			if c.UserID != "u1" || c.ClientID != "c1" || len(c.Scopes) != 0 || !c.GrantedAt.IsZero() {
				t.Errorf("a missing consent is given as %+v", c)
			}
			c.Scopes, c.GrantedAt, c.ExpiresAt = want.Scopes, want.GrantedAt, want.ExpiresAt
			return nil
		}))
		got, err := s.GetConsent(ctx, "u1", "c1")
		must(t, err)
		wantEqual(t, got, want)
	}},
	{"UpdateMerges", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		must(t, s.SaveConsent(ctx, newConsent("u1", "c1")))
		must(t, s.UpdateConsent(ctx, "u1", "c1", func(c *storage.Consent) error {
			if !slices.Equal(c.Scopes, []string{"openid", "email"}) {
				t.Errorf("stored scopes not given: %v", c.Scopes)
			}
			c.Scopes = append(c.Scopes, "profile")
			c.GrantedAt = at(time.Hour)
			return nil
		}))
		got, err := s.GetConsent(ctx, "u1", "c1")
		must(t, err)
		if !slices.Equal(got.Scopes, []string{"openid", "email", "profile"}) || !got.GrantedAt.Equal(at(time.Hour)) {
			t.Fatalf("after update: %+v", got)
		}
	}},
	{"UpdateErrorWritesNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		boom := errors.New("boom")
		err := s.UpdateConsent(ctx, "u1", "c1", func(c *storage.Consent) error {
			c.Scopes = []string{"openid"}
			return boom
		})
		wantErr(t, err, boom)
		_, err = s.GetConsent(ctx, "u1", "c1")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"UpdateUnknownUserOrClient", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		set := func(c *storage.Consent) error { c.Scopes, c.GrantedAt = []string{"openid"}, t0; return nil }
		if err := s.UpdateConsent(ctx, "u1", "nope", set); err == nil {
			t.Error("saved a consent to a missing client")
		}
		if err := s.UpdateConsent(ctx, "nobody", "c1", set); err == nil {
			t.Error("saved a consent of a missing user")
		}
	}},
	{"UpdateConcurrentIsAtomic", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = retry(func() error {
					return s.UpdateConsent(ctx, "u1", "c1", func(c *storage.Consent) error {
						c.Scopes = append(c.Scopes, fmt.Sprintf("s%d", i))
						c.GrantedAt = t0
						return nil
					})
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		got, err := s.GetConsent(ctx, "u1", "c1")
		must(t, err)
		for i := range n {
			if !slices.Contains(got.Scopes, fmt.Sprintf("s%d", i)) {
				t.Fatalf("lost update s%d: scopes %v", i, got.Scopes)
			}
		}
	}},
}
