package oauth_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestRequestIDsAreTimeOrdered: a new grant's family of token sessions is
// named by a UUIDv7, later grants by later IDs, so that storage appends
// them to its request index instead of writing a random page of it; a
// refresh keeps its family's ID.
func TestRequestIDsAreTimeOrdered(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	familyOf := func(t *testing.T, accessToken string) uuid.UUID {
		t.Helper()
		row, err := s.env.Store.GetTokenSession(t.Context(), storage.KindAccessToken, storedAccessKey(t, accessToken))
		if err != nil {
			t.Fatal(err)
		}
		id, err := uuid.Parse(row.RequestID)
		if err != nil || id.Version() != 7 {
			t.Fatalf("request id %q is not a UUIDv7 (%v)", row.RequestID, err)
		}
		return id
	}
	var last uuid.UUID
	for i := range 3 {
		got := s.post(t, "app", s.appSecret, url.Values{"grant_type": {"client_credentials"}})
		got.want(t, http.StatusOK, "")
		id := familyOf(t, got.str("access_token"))
		if i > 0 && strings.Compare(id.String(), last.String()) <= 0 {
			t.Errorf("request id %s is not after %s", id, last)
		}
		last = id
	}

	u := s.user(t)
	a := s.code(t, u, "openid", "offline_access")
	got := s.post(t, "app", s.appSecret, codeForm(a))
	got.want(t, http.StatusOK, "")
	family := familyOf(t, got.str("access_token"))
	if strings.Compare(family.String(), last.String()) <= 0 {
		t.Errorf("the code's request id %s is not after %s", family, last)
	}
	refreshed := s.post(t, "app", s.appSecret, refreshForm(got.str("refresh_token")))
	refreshed.want(t, http.StatusOK, "")
	if id := familyOf(t, refreshed.str("access_token")); id != family {
		t.Errorf("the refresh's request id %s, want its family's %s", id, family)
	}
}

// storedAccessKey is the key an access token's session is stored under:
// its jti, a UUIDv7, in hex, then the first half of the SHA-256 (in hex)
// of its signature.
func storedAccessKey(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	jti, err := uuid.Parse(claims.JTI)
	if err != nil || jti.Version() != 7 {
		t.Fatalf("jti %q is not a UUIDv7 (%v)", claims.JTI, err)
	}
	return hex.EncodeToString(jti[:]) + secret.SHA256Hex(parts[2])[:32]
}

// TestAccessTokenKeysAreTimeOrdered: an access token's jti is a UUIDv7 and
// its session's key begins with it, so that the sessions of later tokens
// sort after earlier ones: storage appends them to its primary-key index
// instead of writing a random page of it, as the signature alone did.
func TestAccessTokenKeysAreTimeOrdered(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	var last string
	for i := range 3 {
		got := s.post(t, "app", s.appSecret, url.Values{"grant_type": {"client_credentials"}})
		got.want(t, http.StatusOK, "")
		key := storedAccessKey(t, got.str("access_token"))
		if _, err := s.env.Store.GetTokenSession(t.Context(), storage.KindAccessToken, key); err != nil {
			t.Fatalf("the session is not stored under %s: %v", key, err)
		}
		if i > 0 && key <= last {
			t.Errorf("key %s does not sort after the earlier token's %s", key, last)
		}
		last = key
	}

	// Refresh tokens: the millisecond they were minted, then their MAC.
	u := s.user(t)
	got := s.post(t, "app", s.appSecret, codeForm(s.code(t, u, "openid", "offline_access")))
	got.want(t, http.StatusOK, "")
	last = ""
	for i := range 3 {
		rt := got.str("refresh_token")
		key := storedRefreshKey(t, rt)
		if _, err := s.env.Store.GetTokenSession(t.Context(), storage.KindRefreshToken, key); err != nil {
			t.Fatalf("the refresh token's session is not stored under %s: %v", key, err)
		}
		if i > 0 && key <= last {
			t.Errorf("key %s does not sort after the earlier refresh token's %s", key, last)
		}
		last = key
		time.Sleep(2 * time.Millisecond) // a later millisecond
		got = s.post(t, "app", s.appSecret, refreshForm(rt))
		got.want(t, http.StatusOK, "")
	}
}

// storedRefreshKey is the key a refresh token's session is stored under:
// the six bytes of time its key begins with, in hex, then the start of
// the SHA-256 (in hex) of its MAC.
func storedRefreshKey(t *testing.T, token string) string {
	t.Helper()
	key, mac, ok := strings.Cut(strings.TrimPrefix(token, "ory_rt_"), ".")
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if !ok || err != nil || len(raw) != 38 {
		t.Fatalf("refresh token %q: key of %d bytes (%v), want 38", token, len(raw), err)
	}
	return hex.EncodeToString(raw[:6]) + secret.SHA256Hex(mac)[:52]
}
