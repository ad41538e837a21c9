package keys_test

import (
	"context"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/keys"
)

// privateMembers are the JWK members that hold private key material
// (RFC 7518 sections 6.2.2, 6.3.2, 6.4; RFC 8037 for OKP "d").
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkPublicJWK fails unless raw is one public signing JWK with kid,
// alg, use "sig" and kty, and no private member.
func checkPublicJWK(t *testing.T, raw []byte) {
	t.Helper()
	var members map[string]any
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatalf("JWK %s: %v", raw, err)
	}
	for _, name := range privateMembers {
		if _, ok := members[name]; ok {
			t.Errorf("JWK has private member %q: %s", name, raw)
		}
	}
	for _, name := range []string{"kid", "alg", "use", "kty"} {
		if s, _ := members[name].(string); s == "" {
			t.Errorf("JWK lacks %q: %s", name, raw)
		}
	}
	if members["use"] != "sig" {
		t.Errorf("JWK use = %v, want sig", members["use"])
	}
}

// parseJWKS fetches m's JWKS, checks every member and parses it with go-jose.
func parseJWKS(t *testing.T, m *keys.Manager) jose.JSONWebKeySet {
	t.Helper()
	raw, err := m.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JWKS %s: %v", raw, err)
	}
	for _, k := range doc.Keys {
		checkPublicJWK(t, k)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("go-jose cannot parse the JWKS: %v", err)
	}
	if len(set.Keys) != len(doc.Keys) {
		t.Fatalf("go-jose parsed %d of %d keys", len(set.Keys), len(doc.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() || k.Use != "sig" || k.KeyID == "" || k.Algorithm == "" {
			t.Errorf("bad JWK %q: public %v valid %v use %q alg %q", k.KeyID, k.IsPublic(), k.Valid(), k.Use, k.Algorithm)
		}
	}
	return set
}

// kids returns the key IDs of a JWKS, in order.
func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestJWKSPublicOnly publishes one key of every algorithm (managers with
// different algorithms share the store) and checks the whole set.
func TestJWKSPublicOnly(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	want := map[string]string{} // kid -> alg
	var last *keys.Manager
	for i, alg := range algorithms {
		m := newManager(t, store, clock, func(o *keys.Options) { o.Algorithm = alg })
		if i > 0 {
			if _, err := m.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sk, err := m.Signing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want[sk.ID] = alg
		last = m
	}
	set := parseJWKS(t, last)
	if len(set.Keys) != len(algorithms) {
		t.Fatalf("JWKS has %d keys, want %d: %v", len(set.Keys), len(algorithms), kids(set))
	}
	kty := map[string]string{keys.RS256: "RSA", keys.ES256: "EC", keys.EdDSA: "OKP"}
	raw, _ := last.JWKS(ctx)
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		kid, _ := k["kid"].(string)
		alg, ok := want[kid]
		if !ok {
			t.Errorf("unexpected kid %q", kid)
			continue
		}
		if k["alg"] != alg || k["kty"] != kty[alg] {
			t.Errorf("key %s: alg %v kty %v, want %s %s", kid, k["alg"], k["kty"], alg, kty[alg])
		}
	}
}

func TestJWKSCached(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	m := newManager(t, store, newClock(), nil)
	a, _ := m.JWKS(ctx)
	b, _ := m.JWKS(ctx)
	if &a[0] != &b[0] {
		t.Fatal("JWKS rebuilt between two calls")
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := m.JWKS(ctx)
	if &a[0] != &c[0] {
		t.Fatal("JWKS rebuilt by a reload that changed nothing")
	}
	if _, err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ := m.JWKS(ctx)
	if &a[0] == &d[0] || len(parseJWKS(t, m).Keys) != 2 {
		t.Fatal("JWKS not rebuilt after a rotation")
	}
}
