package storagetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var clientTests = []test{
	{"CreateGet", func(t *testing.T, s storage.Store) {
		c := mkClient(t, s, "c1")
		got, err := s.GetClient(ctxFor(t), "c1")
		must(t, err)
		wantEqual(t, got, c)
	}},
	{"CreatePublicNoLists", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		c := storage.Client{ID: "spa", Public: true, CreatedAt: t0, UpdatedAt: t0}
		must(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, "spa")
		must(t, err)
		wantEqual(t, got, c)
	}},
	{"Duplicate", func(t *testing.T, s storage.Store) {
		mkClient(t, s, "c1")
		wantErr(t, s.CreateClient(ctxFor(t), newClient("c1")), storage.ErrAlreadyExists)
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		_, err := s.GetClient(ctxFor(t), "nope")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"Update", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		want := newClient("c1")
		want.Name = "Renamed"
		want.SecretHash = nil
		want.Public = true
		want.RedirectURIs = []string{"https://new.example/cb"}
		want.PostLogoutRedirectURIs = nil
		want.GrantTypes = []string{"client_credentials"}
		want.Scopes = []string{"api"}
		want.Audience = nil
		want.IntrospectAny = true
		want.RequireMFA = true
		want.RequirePAR, want.RequireDPoP, want.AllowImpersonation = true, true, true
		want.UpdatedAt = at(time.Hour)
		want.PKCEOptional = true
		want.Origin = storage.ClientOriginDynamic
		want.RegistrationTokenHash = []byte("sha256-of-the-registration-token")
		want.Metadata = []byte(`{"client_uri":"https://c1.example"}`)
		want.LastUsedAt = at(2 * time.Hour)
		must(t, s.UpdateClient(ctx, "c1", func(c *storage.Client) error {
			wantEqual(t, *c, newClient("c1"))
			*c = want
			return nil
		}))
		got, err := s.GetClient(ctx, "c1")
		must(t, err)
		wantEqual(t, got, want)
	}},
	{"UpdateNotFound", func(t *testing.T, s storage.Store) {
		err := s.UpdateClient(ctxFor(t), "nope", func(*storage.Client) error { return nil })
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"UpdateFnErrorWritesNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		c := mkClient(t, s, "c1")
		boom := errors.New("boom")
		wantErr(t, s.UpdateClient(ctx, "c1", func(c *storage.Client) error { c.Name = "x"; return boom }), boom)
		got, err := s.GetClient(ctx, "c1")
		must(t, err)
		wantEqual(t, got, c)
	}},
	{"UpdateCannotChangeID", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		c := mkClient(t, s, "c1")
		if err := s.UpdateClient(ctx, "c1", func(c *storage.Client) error { c.ID = "c2"; return nil }); err == nil {
			t.Fatal("UpdateClient let fn change the id")
		}
		got, err := s.GetClient(ctx, "c1")
		must(t, err)
		wantEqual(t, got, c)
		_, err = s.GetClient(ctx, "c2")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		must(t, s.DeleteClient(ctx, "c1"))
		_, err := s.GetClient(ctx, "c1")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteClient(ctx, "c1"), storage.ErrNotFound)
	}},
	{"DeleteCascades", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		mkClient(t, s, "c2")
		for _, cid := range []string{"c1", "c2"} {
			must(t, s.SaveConsent(ctx, newConsent("u1", cid)))
			for _, kind := range storage.TokenKinds {
				mkToken(t, s, kind, "sig-"+cid, "req-"+cid, cid, "u1")
			}
		}
		must(t, s.DeleteClient(ctx, "c1"))
		_, err := s.GetConsent(ctx, "u1", "c1")
		wantErr(t, err, storage.ErrNotFound)
		if _, err := s.GetConsent(ctx, "u1", "c2"); err != nil {
			t.Fatalf("consent to another client: %v", err)
		}
		for _, kind := range storage.TokenKinds {
			if tokenExists(t, s, kind, "sig-c1") {
				t.Errorf("%s session of the deleted client survived", kind)
			}
			if !tokenExists(t, s, kind, "sig-c2") {
				t.Errorf("%s session of another client was deleted", kind)
			}
		}
		if _, err := s.GetUser(ctx, "u1"); err != nil {
			t.Fatalf("user deleted with the client: %v", err)
		}
	}},
	{"List", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		// Created out of order; c-b and c-a share a created_at.
		for i, id := range []string{"c-d", "c-b", "c-a", "c-c"} {
			c := newClient(id)
			c.CreatedAt = at(time.Duration([]int{4, 1, 1, 3}[i]) * time.Second)
			must(t, s.CreateClient(ctx, c))
		}
		cases := []struct {
			opts storage.ListOptions
			want []string
		}{
			{storage.ListOptions{}, []string{"c-a", "c-b", "c-c", "c-d"}},
			{storage.ListOptions{Limit: 2}, []string{"c-a", "c-b"}},
			{storage.ListOptions{Limit: 2, Offset: 2}, []string{"c-c", "c-d"}},
			{storage.ListOptions{Offset: 4}, nil},
		}
		for _, c := range cases {
			cs, err := s.ListClients(ctx, c.opts)
			must(t, err)
			if got := clientIDs(cs); !slices.Equal(got, c.want) {
				t.Errorf("%+v: got %v, want %v", c.opts, got, c.want)
			}
		}
	}},
	{"ListSearch", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for _, c := range []storage.Client{
			{ID: "web-app", Name: "Storefront"},
			{ID: "cli", Name: "Command line"},
			{ID: "batch_job", Name: "Nightly WEB export"},
			{ID: "batchxjob", Name: "Other"},
			{ID: "eclair", Name: "Éclair Ölkanne"},
		} {
			c.CreatedAt, c.UpdatedAt = t0, t0
			must(t, s.CreateClient(ctx, c))
		}
		cases := []struct {
			search string
			want   []string
		}{
			{"WEB", []string{"batch_job", "web-app"}},
			{"line", []string{"cli"}},
			{"h_j", []string{"batch_job"}},
			{"nomatch", nil},
			// Case folds for ASCII letters only, whatever the locale.
			{"ÉCLAIR", []string{"eclair"}},
			{"éclair", nil},
			{"ölkanne", nil},
		}
		for _, c := range cases {
			cs, err := s.ListClients(ctx, storage.ListOptions{Search: c.search})
			must(t, err)
			if got := clientIDs(cs); !slices.Equal(got, c.want) {
				t.Errorf("search %q: got %v, want %v", c.search, got, c.want)
			}
		}
	}},
}

func clientIDs(cs []storage.Client) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}
