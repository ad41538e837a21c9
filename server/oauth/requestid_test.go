package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
		sig := accessToken[strings.LastIndexByte(accessToken, '.')+1:]
		row, err := s.env.Store.GetTokenSession(t.Context(), storage.KindAccessToken, secret.SHA256Hex(sig))
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
