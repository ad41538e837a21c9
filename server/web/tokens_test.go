package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/storage"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mailbox is a mail.Sender that keeps messages.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
	got  chan struct{}
}

func newMailbox() *mailbox { return &mailbox{got: make(chan struct{}, 100)} }

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	m.mu.Unlock()
	m.got <- struct{}{}
	return nil
}

// next waits for the next message.
func (m *mailbox) next(t *testing.T) mail.Message {
	t.Helper()
	select {
	case <-m.got:
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("no mail")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.msgs[len(m.msgs)-1]
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// tokenEnv is a server with the token pages, a test clock and a mailbox.
func tokenEnv(t *testing.T) (*env, *clock, *mailbox) {
	t.Helper()
	clk := &clock{now: time.Now().UTC()}
	box := newMailbox()
	e := newEnv(t, func(o *Options) {
		o.Store = o.Clients.(storage.Store)
		o.Mailer = box
		o.Now = clk.Now
		o.Issuer = "https://id.example"
		o.Registration = Registration{Enabled: true, CommonPasswords: true}
		o.PasswordResetTTL = time.Hour
		o.VerificationTTL = 48 * time.Hour
	})
	return e, clk, box
}

func mailedToken(t *testing.T, m mail.Message) string {
	t.Helper()
	sub := tokenRE.FindStringSubmatch(m.Text)
	if sub == nil {
		t.Fatalf("no token in %q", m.Text)
	}
	return sub[1]
}

// TestResetTokenExpires: a reset link works until lifetimes.password_reset
// has passed, measured on the injected clock.
func TestResetTokenExpires(t *testing.T) {
	e, clk, box := tokenEnv(t)
	c := e.browser()
	token := e.formToken(c, "/forgot-password")
	e.post(c, "/forgot-password", url.Values{CSRFField: {token}, "email": {"alice@example.com"}})
	m := box.next(t)
	if m.To != "alice@example.com" || !regexp.MustCompile(`https://id\.example/reset-password\?token=`).MatchString(m.Text) {
		t.Fatalf("mail %+v", m)
	}
	raw := mailedToken(t, m)

	clk.Advance(59 * time.Minute)
	if resp, _ := e.get(c, "/reset-password?token="+raw); resp.StatusCode != http.StatusOK {
		t.Fatalf("before expiry: status %d", resp.StatusCode)
	}
	clk.Advance(2 * time.Minute)
	resp, body := e.get(c, "/reset-password?token="+raw)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgResetInvalid)) {
		t.Errorf("after expiry: status %d:\n%s", resp.StatusCode, body)
	}
	resp, body = e.post(c, "/reset-password", url.Values{CSRFField: {token}, "token": {raw}, "password": {"a good new password"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgResetInvalid)) {
		t.Errorf("post after expiry: status %d", resp.StatusCode)
	}
}

// TestVerificationTokenExpires: the verification link expires after
// lifetimes.email_verification and is single-use.
func TestVerificationTokenExpires(t *testing.T) {
	e, clk, box := tokenEnv(t)
	c := e.browser()
	token := e.formToken(c, "/register")
	resp, body := e.post(c, "/register", url.Values{CSRFField: {token}, "email": {"dave@example.com"}, "password": {"dave's long password"}, "name": {"Dave"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: status %d:\n%s", resp.StatusCode, body)
	}
	first := mailedToken(t, box.next(t))

	// A second registration flow for another account, used at once.
	c2 := e.browser()
	token2 := e.formToken(c2, "/register")
	e.post(c2, "/register", url.Values{CSRFField: {token2}, "email": {"erin@example.com"}, "password": {"erin's long password"}, "name": {"Erin"}})
	second := mailedToken(t, box.next(t))
	if resp, body := e.post(c2, "/verify-email", url.Values{CSRFField: {token2}, "token": {second}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.post(c2, "/verify-email", url.Values{CSRFField: {token2}, "token": {second}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("second use: status %d, want 400", resp.StatusCode)
	}

	clk.Advance(48*time.Hour + time.Second)
	resp, body = e.post(c, "/verify-email", url.Values{CSRFField: {token}, "token": {first}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgVerifyInvalid)) {
		t.Errorf("after expiry: status %d", resp.StatusCode)
	}
	u, err := e.store.GetUserByEmail(context.Background(), "dave@example.com")
	if err != nil || u.EmailVerified {
		t.Errorf("dave verified %v (%v), want false", u.EmailVerified, err)
	}
	if u, _ := e.store.GetUserByEmail(context.Background(), "erin@example.com"); !u.EmailVerified {
		t.Error("erin not verified")
	}
}

// TestMailPerAddressIsLimited: however often the forgot-password and
// resend forms are sent for one address, at most mailLimit messages of
// each kind go to it per window; the page answers the same every time.
func TestMailPerAddressIsLimited(t *testing.T) {
	e, clk, box := tokenEnv(t)
	ctx := context.Background()
	if err := e.store.UpdateUser(ctx, mustUser(t, e, "carol@example.com").ID, func(u *storage.User) error { u.EmailVerified = false; return nil }); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	send := func(path, email string) {
		token := e.formToken(c, "/forgot-password")
		resp, body := e.post(c, path, url.Values{CSRFField: {token}, "email": {email}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Check your email") {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	for range mailLimit + 3 {
		send("/forgot-password", "alice@example.com")
		send("/verify-email/resend", "carol@example.com")
	}
	e.pages.tasks.idle() // wait for the background mail
	count := func() map[string]int {
		n := map[string]int{}
		box.mu.Lock()
		defer box.mu.Unlock()
		for _, m := range box.msgs {
			n[m.To]++
		}
		return n
	}
	if n := count(); n["alice@example.com"] != mailLimit || n["carol@example.com"] != mailLimit {
		t.Fatalf("mails sent: %v, want %d to each", n, mailLimit)
	}

	// The next window allows mail again.
	clk.Advance(mailWindow)
	send("/forgot-password", "alice@example.com")
	e.pages.tasks.idle()
	if n := count(); n["alice@example.com"] != mailLimit+1 {
		t.Fatalf("after the window: %v", n)
	}
}

func mustUser(t *testing.T, e *env, email string) storage.User {
	t.Helper()
	u, err := e.store.GetUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestResendDuringShutdownStillMails: a resend accepted before Close
// delivers its mail even when Close begins before the job runs (the job
// used to queue a second job, which Close dropped).
func TestResendDuringShutdownStillMails(t *testing.T) {
	e, _, box := tokenEnv(t)
	if err := e.store.UpdateUser(context.Background(), mustUser(t, e, "carol@example.com").ID, func(u *storage.User) error { u.EmailVerified = false; return nil }); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	for range taskWorkers { // keep every worker busy
		e.pages.tasks.do("block", func(context.Context) { <-release })
	}
	c := e.browser()
	token := e.formToken(c, "/login")
	if resp, _ := e.post(c, "/verify-email/resend", url.Values{CSRFField: {token}, "email": {"carol@example.com"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("resend: %d", resp.StatusCode)
	}
	closed := make(chan struct{})
	go func() { e.pages.Close(); close(closed) }()
	for { // until Close has marked the queue closed
		e.pages.tasks.mu.Lock()
		done := e.pages.tasks.closed
		e.pages.tasks.mu.Unlock()
		if done {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-closed
	if m := box.next(t); m.To != "carol@example.com" {
		t.Fatalf("mail to %s", m.To)
	}
}

// TestPasswordChangeVoidsResetLinks: a reset link mailed before the person
// changed their password on the account page no longer works.
func TestPasswordChangeVoidsResetLinks(t *testing.T) {
	e, _, box := tokenEnv(t)
	c := e.browser()
	token := e.formToken(c, "/forgot-password")
	e.post(c, "/forgot-password", url.Values{CSRFField: {token}, "email": {"alice@example.com"}})
	link := "/reset-password?token=" + mailedToken(t, box.next(t))
	if resp, _ := e.get(c, link); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset link before the change: %d", resp.StatusCode)
	}

	e.signIn(c, "alice@example.com", alicePassword, "")
	token = e.formToken(c, "/account")
	resp, _ := e.post(c, "/account/password", url.Values{CSRFField: {token}, "current_password": {alicePassword}, "new_password": {"a brand new passphrase"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", resp.StatusCode)
	}
	resp, body := e.get(e.browser(), link)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgResetInvalid)) {
		t.Fatalf("reset link after the change: %d, want 400 with the invalid-link text", resp.StatusCode)
	}
}

// TestForgotNoticeStatesNoWrongLifetime: the page after forgot-password
// does not promise a lifetime the configuration may not have (the mail
// says the configured one).
func TestForgotNoticeStatesNoWrongLifetime(t *testing.T) {
	e, _, box := tokenEnv(t)
	e.pages.Recovery.resetTTL = 30 * time.Minute
	c := e.browser()
	token := e.formToken(c, "/forgot-password")
	_, body := e.post(c, "/forgot-password", url.Values{CSRFField: {token}, "email": {"alice@example.com"}})
	if strings.Contains(body, "hour") {
		t.Errorf("the notice names a lifetime of hours while links last 30 minutes:\n%s", body)
	}
	if m := box.next(t); !strings.Contains(m.Text, "expires in 30 minutes") {
		t.Errorf("the mail does not state the configured lifetime:\n%s", m.Text)
	}
}

// TestRegistrationDoesNotTellWhoHasAnAccount: with required verification,
// registering a taken address gets the very page a new account gets; the
// owner is told by mail and the account does not change.
func TestRegistrationDoesNotTellWhoHasAnAccount(t *testing.T) {
	e, _, box := tokenEnv(t)
	e.pages.SignUp.registration.RequireVerifiedEmail = true
	before := mustUser(t, e, "alice@example.com")
	register := func(email string) (*http.Response, string) {
		c := e.browser()
		token := e.formToken(c, "/register")
		return e.post(c, "/register", url.Values{CSRFField: {token}, "name": {"Mallory"}, "email": {email}, "password": {"a fine long password"}})
	}
	newResp, newBody := register("newcomer@example.com")
	takenResp, takenBody := register("ALICE@example.com")
	if newResp.StatusCode != http.StatusOK || takenResp.StatusCode != newResp.StatusCode || takenBody != newBody {
		t.Fatalf("new address: %d, taken address: %d; bodies equal: %v", newResp.StatusCode, takenResp.StatusCode, takenBody == newBody)
	}
	e.pages.tasks.idle()
	box.mu.Lock()
	var toAlice []string
	for _, m := range box.msgs {
		if m.To == "alice@example.com" {
			toAlice = append(toAlice, m.Text)
		}
	}
	box.mu.Unlock()
	if len(toAlice) != 1 || !strings.Contains(toAlice[0], "already has one") || strings.Contains(toAlice[0], "token=") {
		t.Errorf("mail to the owner: %q", toAlice)
	}
	after := mustUser(t, e, "alice@example.com")
	if after.Name != before.Name || string(after.PasswordHash) != string(before.PasswordHash) {
		t.Error("the existing account changed")
	}
}

// TestResetLinkToAnOldAddressFails: a reset link mailed to the address an
// account had before it changed does not set the password.
func TestResetLinkToAnOldAddressFails(t *testing.T) {
	e, _, box := tokenEnv(t)
	c := e.browser()
	token := e.formToken(c, "/forgot-password")
	e.post(c, "/forgot-password", url.Values{CSRFField: {token}, "email": {"alice@example.com"}})
	raw := mailedToken(t, box.next(t))
	before := mustUser(t, e, "alice@example.com")
	if err := e.store.UpdateUser(context.Background(), before.ID, func(u *storage.User) error { u.Email = "alice@new.example"; return nil }); err != nil {
		t.Fatal(err)
	}
	token = e.formToken(c, "/forgot-password")
	resp, body := e.post(c, "/reset-password", url.Values{CSRFField: {token}, "token": {raw}, "password": {"a brand new passphrase"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgResetInvalid)) {
		t.Errorf("reset through the old address: %d, want 400 with the invalid-link text", resp.StatusCode)
	}
	if after := mustUser(t, e, "alice@new.example"); string(after.PasswordHash) != string(before.PasswordHash) {
		t.Error("the password changed through a link to the old address")
	}
}

// TestMailDoesNotCarryTheTypedName: whoever registers an address chooses
// the name; it does not appear in the mail sent to that address.
func TestMailDoesNotCarryTheTypedName(t *testing.T) {
	e, _, box := tokenEnv(t)
	c := e.browser()
	token := e.formToken(c, "/register")
	name := "Your account is locked call 555 0100"
	if resp, _ := e.post(c, "/register", url.Values{CSRFField: {token}, "name": {name}, "email": {"victim@example.com"}, "password": {"a fine long password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	if m := box.next(t); strings.Contains(m.Text, name) {
		t.Errorf("the verification mail carries the typed name:\n%s", m.Text)
	}
	token = e.formToken(c, "/forgot-password")
	e.post(c, "/forgot-password", url.Values{CSRFField: {token}, "email": {"victim@example.com"}})
	if m := box.next(t); strings.Contains(m.Text, name) {
		t.Errorf("the reset mail carries the typed name:\n%s", m.Text)
	}
}
