package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestAccessTokenCheck: the introspection-side check of an access token
// accepts what the signer made and refuses every tampered, foreign,
// algorithm-confused, expired or premature token, for both algorithms.
func TestAccessTokenCheck(t *testing.T) {
	for _, alg := range []string{keys.RS256, keys.ES256} {
		t.Run(alg, func(t *testing.T) { accessTokenCheck(t, alg) })
	}
}

func accessTokenCheck(t *testing.T, alg string) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var clock atomic.Int64 // what the key manager's clock adds to the start
	start := time.Now()
	km, err := keys.New(ctx, keys.Options{Store: db, Secret: []byte("0123456789abcdef0123456789abcdef-test"), Algorithm: alg,
		RetireAfter: time.Hour, Now: func() time.Time { return start.Add(time.Duration(clock.Load())) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	signer := NewSigner(km)
	now := time.Now()
	s := &accessTokenStrategy{signer: signer, now: func() time.Time { return now }}
	sign := func(claims jwt.MapClaims) string {
		tok, _, err := signer.Generate(ctx, claims, &jwt.Headers{Extra: map[string]any{"typ": "at+jwt"}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := jwt.MapClaims{"sub": "alice", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	valid := sign(good)
	if err := s.ValidateAccessToken(ctx, nil, valid); err != nil {
		t.Fatalf("a token the signer made: %v", err)
	}
	parts := strings.Split(valid, ".")
	enc := base64.RawURLEncoding.EncodeToString
	header := func(h map[string]any) string {
		raw, _ := json.Marshal(h)
		return enc(raw)
	}
	var hdr map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(raw, &hdr)
	withHeader := func(edit func(map[string]any)) string {
		h := map[string]any{}
		for k, v := range hdr {
			h[k] = v
		}
		edit(h)
		return header(h) + "." + parts[1] + "." + parts[2]
	}

	for _, c := range []struct {
		name  string
		token string
		want  *fosite.RFC6749Error
	}{
		{"payload changed", parts[0] + "." + enc([]byte(`{"sub":"mallory","exp":9999999999}`)) + "." + parts[2], fosite.ErrTokenSignatureMismatch},
		{"signature changed", parts[0] + "." + parts[1] + "." + enc([]byte(strings.Repeat("x", 64))), fosite.ErrTokenSignatureMismatch},
		{"signature dropped", parts[0] + "." + parts[1] + ".", fosite.ErrTokenSignatureMismatch},
		{"alg none", withHeader(func(h map[string]any) { h["alg"] = "none" }), fosite.ErrTokenSignatureMismatch},
		{"alg HS256", withHeader(func(h map[string]any) { h["alg"] = "HS256" }), fosite.ErrTokenSignatureMismatch},
		{"other algorithm", withHeader(func(h map[string]any) { h["alg"] = map[string]string{"RS256": "ES256", "ES256": "RS256"}[alg] }), fosite.ErrTokenSignatureMismatch},
		{"unknown kid", withHeader(func(h map[string]any) { h["kid"] = "not-a-key" }), fosite.ErrTokenSignatureMismatch},
		{"no kid", withHeader(func(h map[string]any) { delete(h, "kid") }), fosite.ErrTokenSignatureMismatch},
		{"crit header", withHeader(func(h map[string]any) { h["crit"] = []string{"exp"} }), fosite.ErrTokenSignatureMismatch},
		{"two parts", parts[0] + "." + parts[1], fosite.ErrInvalidTokenFormat},
		{"four parts", valid + ".x", fosite.ErrInvalidTokenFormat},
		{"not base64", "!!." + parts[1] + "." + parts[2], fosite.ErrInvalidTokenFormat},
		{"header not JSON", enc([]byte("nope")) + "." + parts[1] + "." + parts[2], fosite.ErrInvalidTokenFormat},
		{"expired", sign(jwt.MapClaims{"sub": "alice", "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}), fosite.ErrTokenExpired},
		{"expires now", sign(jwt.MapClaims{"sub": "alice", "exp": now.Unix()}), fosite.ErrTokenExpired},
		{"issued in the future", sign(jwt.MapClaims{"sub": "alice", "iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}), fosite.ErrTokenClaim},
		{"not valid yet", sign(jwt.MapClaims{"sub": "alice", "nbf": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}), fosite.ErrTokenClaim},
		{"exp not a number", sign(jwt.MapClaims{"sub": "alice", "exp": "tomorrow"}), fosite.ErrInvalidTokenFormat},
	} {
		err := s.ValidateAccessToken(context.Background(), nil, c.token)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %s", c.name, err, c.want.ErrorField)
		}
	}

	// A token verified once is remembered: it checks again (and its time
	// claims still count), and stops checking once its key retires.
	for range 2 {
		if err := s.ValidateAccessToken(ctx, nil, valid); err != nil {
			t.Fatalf("the valid token again: %v", err)
		}
	}
	later := now
	now = now.Add(2 * time.Hour)
	if err := s.ValidateAccessToken(ctx, nil, valid); !errors.Is(err, fosite.ErrTokenExpired) {
		t.Errorf("a remembered token past its exp: %v, want expired", err)
	}
	now = later
	if _, err := km.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(3 * time.Hour)) // the first key has retired
	if err := km.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateAccessToken(ctx, nil, valid); !errors.Is(err, fosite.ErrTokenSignatureMismatch) {
		t.Errorf("a remembered token whose key retired: %v, want a signature mismatch", err)
	}
}
