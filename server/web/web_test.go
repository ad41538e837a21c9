package web

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

const (
	alicePassword = "correct horse battery"
	carolPassword = "staple-battery-horse"
	bobPassword   = "disabled-but-right"
)

// testFlow is a pending authorization request as the authorize endpoint
// would pass it: the original raw query.
var testFlow = url.Values{
	"response_type":         {"code"},
	"client_id":             {"app"},
	"redirect_uri":          {"https://client.example/cb"},
	"scope":                 {"openid profile email offline_access read:things"},
	"state":                 {"xyz&<state>"},
	"login_hint":            {"alice@example.com"},
	"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
	"code_challenge_method": {"S256"},
}.Encode()

func flowFor(clientID, scope string) string {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "scope": {scope}}.Encode()
}

// resumeCall is what the fake authorization endpoint saw.
type resumeCall struct {
	Flow      string
	Step      signin.Step
	UserEmail string // the signed-in user as sessions.Current(r) sees it
}

// fakeResumer stands in for server/oauth: it records the call, looks the
// person up as the real endpoint would, and redirects to the client.
type fakeResumer struct {
	sessions *session.Manager
	mu       sync.Mutex
	calls    []resumeCall
}

// Check accepts any well-formed flow naming a client, as a stand-in for the
// authorization endpoint's validation (which server/e2e tests for real).
func (f *fakeResumer) Check(_ *http.Request, flow string) (signin.Flow, error) {
	q, err := url.ParseQuery(flow)
	if err != nil {
		return signin.Flow{}, err
	}
	if q.Get("client_id") == "" {
		return signin.Flow{}, errors.New("fake: no client_id")
	}
	return signin.Flow{ClientID: q.Get("client_id"), Scopes: strings.Fields(q.Get("scope")), LoginHint: q.Get("login_hint")}, nil
}

func (f *fakeResumer) Resume(w http.ResponseWriter, r *http.Request, flow string, step signin.Step) {
	call := resumeCall{Flow: flow, Step: step}
	if cur, err := f.sessions.Current(r); err == nil {
		call.UserEmail = cur.User.Email
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	http.Redirect(w, r, "https://client.example/cb?code=fake", http.StatusFound)
}

func (f *fakeResumer) Calls() []resumeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]resumeCall(nil), f.calls...)
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one server on a fresh SQLite file with seeded users and clients.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	store   *sqlite.Store
	resumer *fakeResumer
	logs    *syncBuffer
	pages   *Handlers

	mu     sync.Mutex
	bodies []string // every body read, checked for leaks at cleanup
}

type envOption func(*Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { store.Close() })

	acc, err := accounts.New(store, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, nu := range []accounts.NewUser{
		{Email: "alice@example.com", Password: alicePassword, Name: "Alice <Admin>"},
		{Email: "carol@example.com", Password: carolPassword, Name: "Carol"},
		{Email: "bob@example.com", Password: bobPassword, Name: "Bob"},
	} {
		u, err := acc.CreateUser(ctx, nu)
		if err != nil {
			t.Fatalf("create user %s: %v", nu.Email, err)
		}
		if nu.Email == "bob@example.com" {
			if err := store.UpdateUser(ctx, u.ID, func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Now().UTC()
	for _, c := range []storage.Client{
		{ID: "app", Name: "Example App"},
		{ID: "evil", Name: `<script>alert("x")</script>`},
		{ID: "noname-client", Name: ""},
	} {
		c.Public = true
		c.RedirectURIs = []string{"https://client.example/cb"}
		c.GrantTypes = []string{"authorization_code"}
		c.ResponseTypes = []string{"code"}
		c.Scopes = []string{"openid", "profile", "email", "offline_access"}
		c.CreatedAt, c.UpdatedAt = now, now
		if err := store.CreateClient(ctx, c); err != nil {
			t.Fatalf("create client %s: %v", c.ID, err)
		}
	}

	renderer, err := NewRenderer("")
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	sessions := session.NewManager(session.Options{Store: store})
	logs := &syncBuffer{}
	e := &env{t: t, store: store, resumer: &fakeResumer{sessions: sessions}, logs: logs}
	o := Options{
		Renderer: renderer,
		Sessions: sessions,
		Accounts: acc,
		Clients:  store,
		Resumer:  e.resumer,
		Secret:   []byte("0123456789abcdef0123456789abcdef-test-secret"),
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
	}
	for _, opt := range opts {
		opt(&o)
	}
	r := mux.NewRouter()
	h := New(o)
	e.pages = h
	mountPages(r, h)
	t.Cleanup(h.Close) // after the server closes, before the store does
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.checkNoLeaks)
	return e
}

// checkNoLeaks fails the test if any response body showed internal detail,
// or any log line held a password.
func (e *env) checkNoLeaks() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, body := range e.bodies {
		for _, bad := range []string{"sql:", "sqlite:", ".go:", "panic", "goroutine "} {
			if strings.Contains(body, bad) {
				e.t.Errorf("a response body contains %q:\n%s", bad, body)
			}
		}
	}
	logs := e.logs.String()
	for _, pw := range []string{alicePassword, carolPassword, bobPassword, "wrong-password-123"} {
		if strings.Contains(logs, pw) {
			e.t.Errorf("logs contain a password %q", pw)
		}
	}
}

// browser is a client with its own cookie jar that does not follow
// redirects.
func (e *env) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (e *env) do(c *http.Client, req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.bodies = append(e.bodies, string(b))
	e.mu.Unlock()
	return resp, string(b)
}

func (e *env) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(c, req)
}

func (e *env) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(c, req)
}

// loginPath is the login page continuing flow.
func loginPath(flow string) string { return "/login?flow=" + url.QueryEscape(flow) }

// consentPath is the consent page continuing flow.
func consentPath(flow string) string { return "/consent?flow=" + url.QueryEscape(flow) }

// formToken fetches path and returns its csrf_token.
func (e *env) formToken(c *http.Client, path string) string {
	e.t.Helper()
	resp, body := e.get(c, path)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return hiddenValue(e.t, body, CSRFField)
}

// signIn signs c in through the login form, with flow, and returns the
// response.
func (e *env) signIn(c *http.Client, email, password, flow string) (*http.Response, string) {
	e.t.Helper()
	token := e.formToken(c, loginPath(flow))
	return e.post(c, "/login", url.Values{
		"email": {email}, "password": {password}, "flow": {flow}, CSRFField: {token},
	})
}

var inputRE = regexp.MustCompile(`<input[^>]*>`)
var valueRE = regexp.MustCompile(`value="([^"]*)"`)

// hiddenValue returns the unescaped value of the input named name.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	for _, in := range inputRE.FindAllString(body, -1) {
		if !strings.Contains(in, `name="`+name+`"`) {
			continue
		}
		m := valueRE.FindStringSubmatch(in)
		if m == nil {
			t.Fatalf("input %s has no value: %s", name, in)
		}
		return html.UnescapeString(m[1])
	}
	t.Fatalf("no input named %q in:\n%s", name, body)
	return ""
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	var found *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == name {
			found = c
		}
	}
	return found
}

// esc is how html/template writes a fixed message into a page.
func esc(s string) string { return html.EscapeString(s) }

// mountPages mounts the pages on r as server/routes.go does (the server's
// route test checks that table against the router it builds).
func mountPages(r *mux.Router, h *Handlers) {
	get := []string{http.MethodGet, http.MethodHead}
	page := func(path string, form, post http.HandlerFunc) {
		if form != nil {
			r.HandleFunc(path, form).Methods(get...)
		}
		r.Handle(path, h.CrossOrigin(post)).Methods(http.MethodPost)
	}
	in := h.SignIn
	r.HandleFunc("/", in.Home).Methods(get...)
	page("/login", in.LoginForm, in.Login)
	page("/consent", in.ConsentForm, in.Consent)
	page("/logout", in.LogoutForm, in.Logout)
	if h.ServesEndSession() {
		r.HandleFunc(PathEndSession, in.EndSession).Methods(http.MethodGet, http.MethodPost)
	}
	if fed := h.Federation; fed != nil {
		r.HandleFunc("/login/{id}", fed.UpstreamStart).Methods(http.MethodGet)
		r.HandleFunc("/login/{id}/callback", fed.UpstreamCallback).Methods(http.MethodGet)
	}
	if up := h.SignUp; up != nil {
		page("/register", up.RegisterForm, up.Register)
		page("/verify-email", up.VerifyForm, up.Verify)
		page("/verify-email/resend", nil, up.ResendVerification)
	}
	if rec := h.Recovery; rec != nil {
		page("/forgot-password", rec.ForgotForm, rec.Forgot)
		page("/reset-password", rec.ResetForm, rec.Reset)
	}
	if acc := h.Account; acc != nil {
		r.HandleFunc("/account", acc.Account).Methods(get...)
		page("/account/profile", nil, acc.UpdateProfile)
		page("/account/password", nil, acc.ChangePassword)
		page("/account/apps/revoke", nil, acc.RevokeApp)
		page("/account/sessions/revoke", nil, acc.RevokeSession)
		page("/account/identities/unlink", nil, acc.UnlinkIdentity)
	}
	r.HandleFunc("/static/brand.css", h.Assets.BrandCSS).Methods(get...)
	r.PathPrefix("/static/").Handler(h.Assets.Static()).Methods(get...)
}
