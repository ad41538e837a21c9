package clients_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

func TestUpdateAndRotateSecret(t *testing.T) {
	ctx := context.Background()
	store, h := openStore(t)
	now := time.Now()
	orig, plain, err := clients.Create(ctx, store, h, clients.Spec{ID: "svc", GrantTypes: []string{"client_credentials"}}, now)
	if err != nil {
		t.Fatal(err)
	}

	later := now.Add(time.Minute)
	c, err := clients.Update(ctx, store, "svc", func(s *clients.Spec) error {
		s.ID, s.Public, s.Secret = "other", true, "x" // ignored: not changeable here
		s.Name = "Service"
		s.GrantTypes = []string{"client_credentials", "authorization_code"}
		s.RedirectURIs = []string{"https://svc.example/cb"}
		return nil
	}, later)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "svc" || c.Public || string(c.SecretHash) != string(orig.SecretHash) || c.Name != "Service" ||
		!slices.Equal(c.ResponseTypes, []string{"code"}) || !c.UpdatedAt.After(orig.UpdatedAt) {
		t.Errorf("updated client %+v", c)
	}
	_, err = clients.Update(ctx, store, "svc", func(s *clients.Spec) error {
		s.RedirectURIs = []string{"http://svc.example/cb"}
		return nil
	}, later)
	if !errors.Is(err, clients.ErrInvalid) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("invalid update: %v", err)
	}
	if _, err := clients.Update(ctx, store, "nothing", func(*clients.Spec) error { return nil }, later); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("update of an unknown client: %v", err)
	}

	_, fresh, err := clients.RotateSecret(ctx, store, h, "svc", later)
	if err != nil || fresh == plain || len(fresh) < 40 {
		t.Fatalf("rotate: %q, %v", fresh, err)
	}
	got, _ := store.GetClient(ctx, "svc")
	if want, _ := h.Hash(ctx, []byte(fresh)); string(got.SecretHash) != string(want) {
		t.Errorf("stored hash is not the new secret's")
	}
	if _, _, err := clients.Create(ctx, store, h, clients.Spec{ID: "spa", Public: true, RedirectURIs: []string{"https://spa.example/cb"}}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := clients.RotateSecret(ctx, store, h, "spa", later); !errors.Is(err, clients.ErrPublicClient) || !errors.Is(err, clients.ErrInvalid) {
		t.Errorf("rotate a public client: %v", err)
	}
}
