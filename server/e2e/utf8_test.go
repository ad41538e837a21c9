package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// TestTextThatIsNotUTF8: a long non-ASCII user agent (cut to 256 bytes for
// the session row) and a name with bytes that are not UTF-8 get a normal
// answer on every backend; PostgreSQL refuses invalid UTF-8, which used to
// turn both into a 500. CI runs this on PostgreSQL too.
func TestTextThatIsNotUTF8(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	form, _ := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+"/login")), "/login")
	form.Set("email", aliceEmail)
	form.Set("password", alicePassword)
	req, err := http.NewRequest(http.MethodPost, f.env.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "a"+strings.Repeat("é", 200))
	wantText(t, b.Do(t, req), http.StatusOK, "Signed in")

	for _, path := range []string{"/register", "/account"} {
		action := map[string]string{"/register": "/register", "/account": "/account/profile"}[path]
		form, ok := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+path)), action)
		if !ok {
			t.Fatalf("no form to %s on %s", action, path)
		}
		form.Set("name", "Mallory \xff")
		form.Set("email", "mallory@example.com")
		form.Set("password", "a fine long password")
		wantText(t, b.PostForm(t, f.env.URL+action, form), http.StatusBadRequest, web.MsgNameInvalid)
	}

	// Ids that are not UTF-8 name nothing.
	form, _ = servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+"/account")), "/account/profile")
	form.Set("client_id", "\xff")
	wantText(t, b.PostForm(t, f.env.URL+"/account/apps/revoke", form), http.StatusOK, web.MsgAppRevoked)
	wantText(t, b.Get(t, f.env.URL+"/oauth2/logout?client_id=%FF"), http.StatusBadRequest, web.MsgUnknownClient)
}
