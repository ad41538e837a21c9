package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var registrationTests = []test{
	{"CreateWithProfileAndOrigin", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		u := newUser("u1")
		u.Profile = storage.Profile{GivenName: "Ada", FamilyName: "Lovelace", PreferredUsername: "ada",
			Locale: "en", Picture: "https://pics.example/ada.png"}
		must(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		wantEqual(t, got, u)

		c := newClient("https://agent.example/client.json")
		c.Origin = storage.ClientOriginMetadataDocument
		c.Metadata = []byte(`{"logo_uri":"https://agent.example/logo.png"}`)
		c.PKCEOptional = true
		c.LastUsedAt = at(time.Minute)
		must(t, s.CreateClient(ctx, c))
		gotC, err := s.GetClient(ctx, c.ID)
		must(t, err)
		wantEqual(t, gotC, c)
	}},
	{"DeleteUnusedClients", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mk := func(id, origin string, created, used time.Time) {
			c := newClient(id)
			c.Origin, c.CreatedAt, c.LastUsedAt = origin, created, used
			must(t, s.CreateClient(ctx, c))
		}
		old, recent := at(time.Hour), at(48*time.Hour)
		cutoff := at(24 * time.Hour)
		mk("operator-old", storage.ClientOriginOperator, old, time.Time{})
		mk("dyn-never-used", storage.ClientOriginDynamic, old, time.Time{})
		mk("dyn-used-long-ago", storage.ClientOriginDynamic, old, old.Add(time.Minute))
		mk("dyn-used-lately", storage.ClientOriginDynamic, old, recent)
		mk("dyn-new", storage.ClientOriginDynamic, recent, time.Time{})
		mk("doc-old", storage.ClientOriginMetadataDocument, old, time.Time{})
		mkToken(t, s, storage.KindRefreshToken, "sig-dyn", "req-dyn", "dyn-never-used", "u1")
		must(t, s.SaveConsent(ctx, newConsent("u1", "dyn-never-used")))

		n, err := s.DeleteUnusedClients(ctx, storage.ClientOriginDynamic, cutoff, 1)
		must(t, err)
		if n != 1 {
			t.Fatalf("deleted %d with limit 1", n)
		}
		n, err = s.DeleteUnusedClients(ctx, storage.ClientOriginDynamic, cutoff, 10)
		must(t, err)
		if n != 1 {
			t.Fatalf("second call deleted %d, want 1", n)
		}
		for _, id := range []string{"dyn-never-used", "dyn-used-long-ago"} {
			_, err := s.GetClient(ctx, id)
			wantErr(t, err, storage.ErrNotFound)
		}
		for _, id := range []string{"operator-old", "dyn-used-lately", "dyn-new", "doc-old"} {
			if _, err := s.GetClient(ctx, id); err != nil {
				t.Errorf("client %s: %v", id, err)
			}
		}
		if tokenExists(t, s, storage.KindRefreshToken, "sig-dyn") {
			t.Error("the deleted client's token survived")
		}
		_, err = s.GetConsent(ctx, "u1", "dyn-never-used")
		wantErr(t, err, storage.ErrNotFound)
		if _, err := s.DeleteUnusedClients(ctx, storage.ClientOriginOperator, cutoff, 10); err == nil {
			t.Error("DeleteUnusedClients accepted the operator's origin")
		}
	}},
	{"InitialAccessTokenUses", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.CreateInitialAccessToken(ctx, storage.InitialAccessToken{Hash: "two", CreatedAt: t0, ExpiresAt: at(time.Hour), MaxUses: 2}))
		must(t, s.CreateInitialAccessToken(ctx, storage.InitialAccessToken{Hash: "any", CreatedAt: t0, ExpiresAt: at(time.Hour)}))
		must(t, s.UseInitialAccessToken(ctx, "two", t0))
		must(t, s.UseInitialAccessToken(ctx, "two", t0))
		wantErr(t, s.UseInitialAccessToken(ctx, "two", t0), storage.ErrNotFound)
		for range 5 {
			must(t, s.UseInitialAccessToken(ctx, "any", t0))
		}
		wantErr(t, s.UseInitialAccessToken(ctx, "any", at(time.Hour)), storage.ErrNotFound)
		wantErr(t, s.UseInitialAccessToken(ctx, "unknown", t0), storage.ErrNotFound)
		wantErr(t, s.CreateInitialAccessToken(ctx, storage.InitialAccessToken{Hash: "any", CreatedAt: t0, ExpiresAt: at(time.Hour)}), storage.ErrAlreadyExists)
	}},
	{"InitialAccessTokenLastUseOnce", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.CreateInitialAccessToken(ctx, storage.InitialAccessToken{Hash: "one", CreatedAt: t0, ExpiresAt: at(time.Hour), MaxUses: 1}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := retry(func() error { return s.UseInitialAccessToken(ctx, "one", t0) })
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, storage.ErrNotFound):
					t.Errorf("use: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d concurrent uses of a one-use token succeeded", won)
		}
	}},
	{"InitialAccessTokenGarbageCollected", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for _, tok := range []storage.InitialAccessToken{
			{Hash: "expired", CreatedAt: t0, ExpiresAt: at(time.Minute)},
			{Hash: "used-up", CreatedAt: t0, ExpiresAt: at(48 * time.Hour), MaxUses: 1},
			{Hash: "live", CreatedAt: t0, ExpiresAt: at(48 * time.Hour), MaxUses: 2},
		} {
			must(t, s.CreateInitialAccessToken(ctx, tok))
		}
		must(t, s.UseInitialAccessToken(ctx, "used-up", t0))
		must(t, s.UseInitialAccessToken(ctx, "live", t0))
		n, err := s.GarbageCollect(ctx, at(time.Hour), 100)
		must(t, err)
		if n != 2 {
			t.Fatalf("garbage collected %d rows, want 2", n)
		}
		must(t, s.UseInitialAccessToken(ctx, "live", at(time.Hour)))
	}},
}
