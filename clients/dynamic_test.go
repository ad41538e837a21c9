package clients

import (
	"errors"
	"slices"
	"testing"
)

func TestDynamicPolicyDefaults(t *testing.T) {
	p := DynamicPolicy{AllowedScopes: []string{"openid", "offline_access"}}
	m, err := p.Normalize(Metadata{RedirectURIs: []string{"https://a.example/cb", "https://a.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.TokenEndpointAuthMethod != AuthSecretBasic || !slices.Equal(m.GrantTypes, DynamicGrantTypes) ||
		!slices.Equal(m.ResponseTypes, []string{"code"}) || m.Scope != "openid offline_access" || len(m.RedirectURIs) != 1 {
		t.Errorf("defaults: %+v", m)
	}
	spec := m.Spec("dyn-x")
	if spec.Public || spec.PKCE != PKCERequired || !slices.Equal(spec.Scopes, []string{"openid", "offline_access"}) {
		t.Errorf("spec %+v", spec)
	}
}

func TestSelfRegisteredRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://a.example/cb":       true,
		"http://127.0.0.1:8000/cb":   true,
		"http://[::1]/cb":            true,
		"http://localhost/cb":        true,
		"com.example.app:/oauth":     true,
		"com.example.app://oauth":    true,
		"http://a.example/cb":        false,
		"myapp:/cb":                  false,
		"javascript:alert(1)":        false,
		"data:text/html,x":           false,
		"https://a.example/cb#f":     false,
		"https://u@a.example/cb":     false,
		"http://127.0.0.1/%63b":      false,
		"/relative":                  false,
		"https://a.example:99999/cb": false,
		"file:///etc/passwd":         false,
		"vbscript.example:/x":        true, // a reverse-domain private-use scheme, not vbscript
	} {
		if err := SelfRegisteredRedirectURI(uri); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", uri, err, ok)
		}
	}
}

func TestDynamicPolicyCodes(t *testing.T) {
	p := DynamicPolicy{AllowedScopes: []string{"openid"}}
	for _, c := range []struct {
		m    Metadata
		code string
	}{
		{Metadata{}, ErrCodeRedirectURI},
		{Metadata{RedirectURIs: []string{"http://a.example/cb"}}, ErrCodeRedirectURI},
		{Metadata{RedirectURIs: []string{"https://a.example/cb"}, PostLogoutRedirectURIs: []string{"javascript:x"}}, ErrCodeRedirectURI},
		{Metadata{RedirectURIs: []string{"https://a.example/cb"}, GrantTypes: []string{"refresh_token"}}, ErrCodeMetadata},
		{Metadata{RedirectURIs: []string{"https://a.example/cb"}, Scope: "email"}, ErrCodeMetadata},
		{Metadata{RedirectURIs: []string{"https://a.example/cb"}, ClientURI: "ftp://a.example"}, ErrCodeMetadata},
	} {
		_, err := p.Normalize(c.m)
		var me *MetadataError
		if !errors.As(err, &me) || me.Code != c.code || me.Description == "" {
			t.Errorf("%+v: %v, want %s", c.m, err, c.code)
		}
	}
}
