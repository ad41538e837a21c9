package e2e

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestForgotPasswordSameAnswer: a known and an unknown address get the
// same status and the very same page; only the known one gets mail.
func TestForgotPasswordSameAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	answer := func(email string) (*http.Response, []byte) {
		resp := submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {email}})
		return resp, servertest.ReadBody(t, resp)
	}
	known, knownBody := answer(aliceEmail)
	unknown, unknownBody := answer("nobody@example.com")
	if known.StatusCode != http.StatusOK || unknown.StatusCode != known.StatusCode {
		t.Errorf("status known %d, unknown %d", known.StatusCode, unknown.StatusCode)
	}
	if !bytes.Equal(knownBody, unknownBody) {
		t.Errorf("the answers differ:\n%s\n---\n%s", knownBody, unknownBody)
	}
	for _, h := range []string{"Set-Cookie", "Content-Length", "Content-Type"} {
		if known.Header.Get(h) != unknown.Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, known.Header.Get(h), unknown.Header.Get(h))
		}
	}
	wantText(t, known, http.StatusOK, web.MsgForgotSent)
	outbox(t, f.env, aliceEmail, 1)
	f.env.Server.Close() // drains the mail queue: the unknown address's job is done
	if n := len(readOutbox(t, f.env.Config.Mail.Dir, "nobody@example.com")); n != 0 {
		t.Errorf("%d mail(s) to an address without an account", n)
	}
	resp, _ := answer("not an address")
	wantText(t, resp, http.StatusBadRequest, web.MsgEmailInvalid)
}

// TestPasswordReset: the mailed link sets a new password that must pass
// the registration rules; it works once; the reset signs out every session
// and revokes the refresh tokens of the user.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	// A signed-in browser and a refresh token from before the reset.
	old := f.env.NewBrowser(t)
	tok, _ := f.codeTokensIn(t, old, "openid", "offline_access")
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	if err := f.env.Store.UpdateUser(ctx, f.user.ID, func(u *storage.User) error { u.EmailVerified = false; return nil }); err != nil {
		t.Fatal(err)
	}

	b := f.env.NewBrowser(t)
	for range 2 { // two requests: both links are deleted by the reset
		submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {"Alice@Example.com"}})
	}
	mails := outbox(t, f.env, aliceEmail, 2)
	if !strings.Contains(mails[0], "To: <"+aliceEmail+">") && !strings.Contains(mails[0], "To: "+aliceEmail) {
		t.Errorf("mail not addressed to Alice:\n%s", mails[0])
	}
	link := mailLink(t, f.env, mails[0], "/reset-password")
	if raw := tokenOf(t, link); len(raw) < 43 {
		t.Errorf("token %q is shorter than 32 random bytes", raw)
	}
	other := mailLink(t, f.env, mails[1], "/reset-password")

	resp := b.Get(t, link)
	wantText(t, resp, http.StatusOK, "Choose a new password")
	page := servertest.ReadBody(t, resp)
	for pw, msg := range map[string]string{"short": web.MsgPasswordShort, "password123": web.MsgPasswordCommon, strings.Repeat("a", 73): web.MsgPasswordLong} {
		form, _ := servertest.HiddenFields(page, "/reset-password")
		form.Set("password", pw)
		wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusBadRequest, msg)
	}
	if _, err := f.env.Server.Accounts.Authenticate(ctx, aliceEmail, alicePassword); err != nil {
		t.Fatalf("a refused new password changed the old one: %v", err)
	}
	form, _ := servertest.HiddenFields(page, "/reset-password")
	form.Set("password", "a brand new passphrase")
	wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusOK, web.MsgResetDone)

	// The new password works, the old does not; the email is verified.
	if _, err := f.env.Server.Accounts.Authenticate(ctx, aliceEmail, "a brand new passphrase"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if _, err := f.env.Server.Accounts.Authenticate(ctx, aliceEmail, alicePassword); err == nil {
		t.Error("old password still works")
	}
	if u, _ := f.env.Store.GetUser(ctx, f.user.ID); !u.EmailVerified {
		t.Error("email not marked verified by the reset")
	}
	// Single use, and the other outstanding link is gone too.
	wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusBadRequest, web.MsgResetInvalid)
	wantText(t, b.Get(t, link), http.StatusBadRequest, web.MsgResetInvalid)
	wantText(t, b.Get(t, other), http.StatusBadRequest, web.MsgResetInvalid)
	// Every session ended; refresh tokens revoked.
	if resp := old.Get(t, f.env.URL+"/account"); resp.Request.URL.Path != "/login" {
		t.Errorf("the old session still reaches %s", resp.Request.URL.Path)
	}
	if _, err := f.refresh(t, tok.RefreshToken); err == nil {
		t.Error("refresh token from before the reset still works")
	}
	if n, _ := f.env.Store.ListBrowserSessions(ctx, f.user.ID, timeNow()); len(n) != 0 {
		t.Errorf("%d sessions left", len(n))
	}
	wantAudit(t, f.env, []string{"password_reset.requested/success", "password_reset.completed/success"},
		tokenOf(t, link), tokenOf(t, other), "a brand new passphrase")
}

// codeTokensIn runs the browser flow in b and redeems the code.
func (f *fixture) codeTokensIn(t *testing.T, b *servertest.Browser, scopes ...string) (*oauth2.Token, servertest.Authorization) {
	t.Helper()
	cfg := f.config(scopes...)
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	return tok, a
}

// TestMailFailureSameAnswer: when the mail server is down the page says
// the same, and the failure is logged without the link.
func TestMailFailureSameAnswer(t *testing.T) {
	t.Parallel()
	var logs syncLog
	f := newFixture(t, servertest.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))), servertest.WithConfig(func(c *server.Config) {
		c.Mail.Driver, c.Mail.Host, c.Mail.Port, c.Mail.From, c.Mail.StartTLS = "smtp", "127.0.0.1", 1, "id@example.com", "off"
	}))
	b := f.env.NewBrowser(t)
	resp := submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {aliceEmail}})
	wantText(t, resp, http.StatusOK, web.MsgForgotSent)
	f.env.Server.Close() // wait for the background send to fail
	out := logs.String()
	if !strings.Contains(out, "send mail") {
		t.Errorf("the failure was not logged:\n%s", out)
	}
	if strings.Contains(out, "token=") || strings.Contains(out, "reset-password?") {
		t.Errorf("the log holds the link:\n%s", out)
	}
}

// syncLog collects log output from concurrent goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestResetLinkVoidedByDisable: a reset link mailed before an admin
// disables the account (say, during an incident) sets no password after:
// disabling deletes the links, and a reset refuses a disabled account.
func TestResetLinkVoidedByDisable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	bob := f.env.CreateUser(t, bobEmail, bobPassword, bobName)
	b := f.env.NewBrowser(t)
	submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {bobEmail}})
	link := mailLink(t, f.env, outbox(t, f.env, bobEmail, 1)[0], "/reset-password")
	page := b.Get(t, link) // opened before the disable: the form holds the token
	wantText(t, page, http.StatusOK, "Choose a new password")
	form, _ := servertest.HiddenFields(servertest.ReadBody(t, page), "/reset-password")

	svc := &manage.Service{Store: f.env.Store, Accounts: f.env.Server.Accounts}
	disabled := true
	if _, err := svc.UpdateUser(ctx, manage.CLI, bob.ID, manage.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Store.GetOneTimeToken(ctx, storage.PurposePasswordReset, secret.SHA256Hex(tokenOf(t, link)), time.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the reset link outlived the disable: %v", err)
	}
	form.Set("password", "a brand new passphrase")
	wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusBadRequest, web.MsgResetInvalid)

	// A link the disable did not see (written as the mail went out) is
	// refused by the reset itself.
	if err := f.env.Store.CreateOneTimeToken(ctx, storage.OneTimeToken{
		Hash: secret.SHA256Hex("late-link"), Purpose: storage.PurposePasswordReset, UserID: bob.ID,
		Email: bobEmail, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	form.Set("token", "late-link")
	wantText(t, b.PostForm(t, f.env.URL+"/reset-password", form), http.StatusBadRequest, web.MsgResetInvalid)
	u, err := f.env.Store.GetUser(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(bobPassword)); err != nil {
		t.Fatal("a reset link changed the password of a disabled account")
	}
}
