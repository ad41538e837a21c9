package e2e

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestUnlinkRaceKeepsOneSignInMethod: a person without a password and two
// upstream identities unlinks both at once (two tabs): one unlink wins,
// the other is refused, and one way to sign in is always left.
func TestUnlinkRaceKeepsOneSignInMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	b := f.env.NewBrowser(t)
	f.codeTokensIn(t, b, "openid")
	if err := f.env.Store.UpdateUser(ctx, f.user.ID, func(u *storage.User) error { u.PasswordHash = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	token := csrfToken(t, b, f.env.URL+"/account", "/account/profile")
	for round := range 50 {
		now := time.Now()
		for _, p := range []string{"github", "google"} {
			if err := f.env.Store.CreateIdentity(ctx, storage.Identity{Provider: p, Subject: "s", UserID: f.user.ID, CreatedAt: now, LastLoginAt: now}); err != nil && !errorsIsExists(err) {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, p := range []string{"github", "google"} {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, f.env.URL+"/account/identities/unlink",
					stringsReader(url.Values{"csrf_token": {token}, "provider": {p}, "subject": {"s"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := b.Client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				codes[i] = resp.StatusCode
			})
		}
		wg.Wait()
		ids, err := f.env.Store.ListIdentities(ctx, f.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 {
			t.Fatalf("round %d: %d identities left after two concurrent unlinks (answers %v), want 1", round, len(ids), codes)
		}
	}
}

func errorsIsExists(err error) bool { return errors.Is(err, storage.ErrAlreadyExists) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
