package providers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/gatehouse-id/gatehouse/providers"
)

type stub struct{ id string }

func (s stub) ID() string   { return s.id }
func (s stub) Name() string { return s.id }
func (s stub) LoginURL(context.Context, providers.Flow) (string, error) {
	return "", nil
}
func (s stub) Callback(context.Context, *http.Request, providers.Flow) (providers.Identity, error) {
	return providers.Identity{}, nil
}

func TestRegistryOpen(t *testing.T) {
	reg := providers.Registry{
		"stub": func(c providers.Config) (providers.Provider, error) { return stub{c.ID}, nil },
		"bad":  func(providers.Config) (providers.Provider, error) { return nil, errors.New("no client_id") },
	}
	got, err := reg.Open([]providers.Config{{ID: "a", Type: "stub"}, {ID: "b", Type: "stub"}})
	if err != nil || len(got) != 2 || got[0].ID() != "a" || got[1].ID() != "b" {
		t.Fatalf("Open = %v, %v", got, err)
	}
	if _, err := reg.Open([]providers.Config{{ID: "x", Type: "saml"}}); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := reg.Open([]providers.Config{{ID: "x", Type: "bad"}}); err == nil {
		t.Error("factory error ignored")
	}
}

func TestReason(t *testing.T) {
	for err, want := range map[error]string{
		providers.ErrAccessDenied:    "access_denied",
		providers.ErrUpstream:        "upstream_error",
		providers.ErrUnavailable:     "unavailable",
		providers.ErrExchange:        "exchange_failed",
		providers.ErrInvalidIdentity: "invalid_identity",
		errors.New("other"):          "error",
	} {
		if got := providers.Reason(fmt.Errorf("wrapped: %w", err)); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestHTTPClientTimeout(t *testing.T) {
	if got := (providers.Config{}).HTTPClient().Timeout; got != providers.DefaultTimeout {
		t.Errorf("default timeout %s", got)
	}
}
