package oauth

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// tokenKeyFixture signs access tokens with a real key and stores their
// sessions in a real SQLite file.
type tokenKeyFixture struct {
	signer *Signer
	store  *Store
	db     storage.Store
}

func newTokenKeyFixture(t *testing.T) *tokenKeyFixture {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	km, err := keys.New(ctx, keys.Options{Store: db, Secret: []byte("0123456789abcdef0123456789abcdef-test"), Algorithm: keys.ES256,
		RetireAfter: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := db.CreateClient(ctx, storage.Client{ID: "app", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return &tokenKeyFixture{signer: NewSigner(km), store: NewStore(db, nil, time.Minute), db: db}
}

// sign returns an access token with the given jti (none when nil).
func (f *tokenKeyFixture) sign(t *testing.T, jti any) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": "alice", "client_id": "app", "exp": time.Now().Add(time.Hour).Unix()}
	if jti != nil {
		claims["jti"] = jti
	}
	tok, _, err := f.signer.Generate(t.Context(), claims, &jwt.Headers{Extra: map[string]any{"typ": "at+jwt"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// request is a client-credentials request whose session stores.
func tokenKeyRequest() *fosite.Request {
	r := fosite.NewRequest()
	r.Client = &fosite.DefaultClient{ID: "app"}
	r.Session = NewSession()
	r.ID = uuid.Must(uuid.NewV7()).String()
	return r
}

func jwtSignature(token string) string { return token[strings.LastIndexByte(token, '.')+1:] }

// TestAccessTokenKeys: an access token whose jti is a UUIDv7 is stored
// under that jti (in hex) and half its signature's SHA-256, so that keys
// of later tokens sort after earlier ones; any other token keeps the key
// it had before (fosite's: the signature, stored as its SHA-256), so that
// tokens issued before the change are still found.
func TestAccessTokenKeys(t *testing.T) {
	f := newTokenKeyFixture(t)
	ctx := t.Context()
	fositeKey := (&oauth2.DefaultJWTStrategy{}).AccessTokenSignature

	var last string
	for i := range 3 {
		jti := uuid.Must(uuid.NewV7())
		tok := f.sign(t, jti.String())
		key := accessTokenKey(tok)
		if want := jti.String() + "." + jwtSignature(tok); key != want {
			t.Fatalf("key of a UUIDv7 token: %q, want %q", key, want)
		}
		stored := storedTokenKey(storage.KindAccessToken, key)
		if want := hex.EncodeToString(jti[:]) + secret.SHA256Hex(jwtSignature(tok))[:32]; stored != want {
			t.Fatalf("stored key %q, want %q", stored, want)
		}
		if i > 0 && stored <= last {
			t.Errorf("stored key %q does not sort after the earlier token's %q", stored, last)
		}
		last = stored
		if err := f.store.CreateAccessTokenSession(ctx, key, tokenKeyRequest()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.GetTokenSession(ctx, storage.KindAccessToken, stored); err != nil {
			t.Fatalf("the session is not stored under %q: %v", stored, err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, accessTokenKey(tok), NewSession()); err != nil {
			t.Fatalf("the token's session is not found by its key: %v", err)
		}
	}

	// Tokens as Gatehouse issued them before (a UUIDv4 jti), and tokens
	// without a usable jti: fosite's key, stored as its SHA-256.
	for name, tok := range map[string]string{
		"v4 jti":        f.sign(t, uuid.New().String()),
		"no jti":        f.sign(t, nil),
		"numeric jti":   f.sign(t, 7),
		"other string":  f.sign(t, "0123456789abcdef0123456789abcdef0123"),
		"v7 with space": f.sign(t, " "+uuid.Must(uuid.NewV7()).String()),
	} {
		key := accessTokenKey(tok)
		if want := fositeKey(ctx, tok); key != want {
			t.Errorf("%s: key %q, want fosite's %q", name, key, want)
		}
		if got, want := storedTokenKey(storage.KindAccessToken, key), secret.SHA256Hex(jwtSignature(tok)); got != want {
			t.Errorf("%s: stored key %q, want %q (as before)", name, got, want)
		}
		// A session stored before the change is found by the token.
		if err := f.store.CreateAccessTokenSession(ctx, jwtSignature(tok), tokenKeyRequest()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, accessTokenKey(tok), NewSession()); err != nil {
			t.Errorf("%s: a session stored before is not found: %v", name, err)
		}
	}

	// Not a compact JWT: fosite's key ("").
	for _, tok := range []string{"", "a.b", "a.b.c.d", "ory_at_x.y", "a." + base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"`)) + ".s"} {
		if got, want := accessTokenKey(tok), fositeKey(ctx, tok); got != want {
			t.Errorf("key of %q: %q, want fosite's %q", tok, got, want)
		}
	}

	// Other kinds keep the SHA-256 of their key, whatever it looks like.
	v7 := uuid.Must(uuid.NewV7()).String() + ".sig"
	if got := storedTokenKey(storage.KindRefreshToken, v7); got != secret.SHA256Hex(v7) {
		t.Errorf("a refresh token's stored key %q, want the SHA-256 of its key", got)
	}
}

// TestRefreshTokenKeys: a refresh token begins with the millisecond it
// was minted and is stored under that time (in hex) and part of its
// HMAC's SHA-256, so that keys of later tokens sort after earlier ones;
// fosite validates it as any of its own, and a token fosite minted (as
// Gatehouse did before) keeps fosite's key, stored as its SHA-256.
func TestRefreshTokenKeys(t *testing.T) {
	ctx := t.Context()
	cfg := &fosite.Config{GlobalSecret: []byte("0123456789abcdef0123456789abcdef"), RefreshTokenLifespan: time.Hour}
	hmacStrategy := compose.NewOAuth2HMACStrategy(cfg)
	s := &accessTokenStrategy{
		DefaultJWTStrategy: &oauth2.DefaultJWTStrategy{HMACSHAStrategy: hmacStrategy, Config: cfg},
		hmacConfig:         cfg,
	}
	req := tokenKeyRequest()
	req.Session.SetExpiresAt(fosite.RefreshToken, time.Now().Add(time.Hour))

	var last string
	for i := range 3 {
		time.Sleep(2 * time.Millisecond) // a later millisecond
		tok, key, err := s.GenerateRefreshToken(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ValidateRefreshToken(ctx, req, tok); err != nil {
			t.Fatalf("fosite refuses the refresh token: %v", err)
		}
		if got := s.RefreshTokenSignature(ctx, tok); got != key {
			t.Fatalf("the token's key %q, want the key it was minted with %q", got, key)
		}
		sig := hmacStrategy.RefreshTokenSignature(ctx, tok)
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok[:strings.IndexByte(tok, '.')], "ory_rt_"))
		if err != nil || len(raw) != 38 {
			t.Fatalf("token key part: %d bytes (%v), want 38", len(raw), err)
		}
		ms := int64(raw[0])<<40 | int64(raw[1])<<32 | int64(raw[2])<<24 | int64(raw[3])<<16 | int64(raw[4])<<8 | int64(raw[5])
		if d := time.Since(time.UnixMilli(ms)); d < 0 || d > time.Minute {
			t.Fatalf("the token begins with %v, not the time it was minted", time.UnixMilli(ms))
		}
		if want := hex.EncodeToString(raw[:6]) + "." + sig; key != want {
			t.Fatalf("key %q, want %q", key, want)
		}
		stored := storedTokenKey(storage.KindRefreshToken, key)
		if want := hex.EncodeToString(raw[:6]) + secret.SHA256Hex(sig)[:52]; stored != want {
			t.Fatalf("stored key %q, want %q", stored, want)
		}
		if i > 0 && stored <= last {
			t.Errorf("stored key %q does not sort after the earlier token's %q", stored, last)
		}
		last = stored
	}

	// A tampered token fails fosite's check.
	tok, _, err := s.GenerateRefreshToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ValidateRefreshToken(ctx, req, tok[:len(tok)-2]+"AA"); err == nil {
		t.Error("a tampered refresh token passed")
	}

	// Tokens fosite minted: fosite's key, stored as before.
	old, oldSig, err := hmacStrategy.GenerateRefreshToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{old, "ory_rt_x", "a.b.c", ""} {
		if got, want := s.RefreshTokenSignature(ctx, tok), hmacStrategy.RefreshTokenSignature(ctx, tok); got != want {
			t.Errorf("key of %q: %q, want fosite's %q", tok, got, want)
		}
	}
	if got := storedTokenKey(storage.KindRefreshToken, s.RefreshTokenSignature(ctx, old)); got != secret.SHA256Hex(oldSig) {
		t.Errorf("a token fosite minted is stored under %q, want %q (as before)", got, secret.SHA256Hex(oldSig))
	}
}
