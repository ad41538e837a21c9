package server

import (
	"testing"
	"time"
)

func TestUpstreamConfigs(t *testing.T) {
	cfg := Config{Issuer: "https://auth.example", Providers: []ProviderConfig{
		{ID: "google", Type: "google", ClientID: "g"},
		{ID: "gh-corp", Type: "github", Name: "GitHub Corp", ClientID: "h", Timeout: Duration(3 * time.Second)},
		{ID: "corp", Type: "oidc", Issuer: "https://sso.example", ClientID: "c"},
	}}
	got := UpstreamConfigs(cfg)
	if len(got) != 3 {
		t.Fatalf("%d configs", len(got))
	}
	for i, want := range []struct{ name, redirect string }{
		{"Google", "https://auth.example/login/google/callback"},
		{"GitHub Corp", "https://auth.example/login/gh-corp/callback"},
		{"corp", "https://auth.example/login/corp/callback"},
	} {
		if got[i].Name != want.name || got[i].RedirectURL != want.redirect {
			t.Errorf("provider %d: name %q redirect %q, want %q %q", i, got[i].Name, got[i].RedirectURL, want.name, want.redirect)
		}
	}
	if got[1].Timeout != 3*time.Second || got[2].Issuer != "https://sso.example" {
		t.Errorf("settings not carried over: %+v", got)
	}
	if _, err := ProviderRegistry.Open(got); err != nil {
		t.Errorf("Open: %v", err)
	}
}
