package admin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

const (
	redirectURI   = "https://console.example/callback"
	adminEmail    = "root@example.com"
	adminPassword = "admin password 123"
	userEmail     = "bob@example.com"
	userPassword  = "bob password 1234"
	scopeAdmin    = "gatehouse:admin"
)

// logBuffer collects the server's log lines; the server writes from
// several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a server with an admin (root), a plain user (bob) and a
// confidential client "console" registered for gatehouse:admin and every
// grant, whose logs are captured.
type fixture struct {
	env    *servertest.Env
	logs   *logBuffer
	admin  storage.User
	user   storage.User
	secret string // console's client secret
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	logs := &logBuffer{}
	env := servertest.Start(t, servertest.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	_, sec := env.CreateClient(t, clients.Spec{
		ID:           "console",
		RedirectURIs: []string{redirectURI},
		GrantTypes:   []string{"authorization_code", "refresh_token", "password", "client_credentials"},
		Scopes:       []string{"openid", "profile", "email", "offline_access", scopeAdmin},
	})
	return &fixture{
		env:    env,
		logs:   logs,
		admin:  env.CreateUser(t, adminEmail, adminPassword, "Root", "admin"),
		user:   env.CreateUser(t, userEmail, userPassword, "Bob"),
		secret: sec,
	}
}

func (f *fixture) config(scopes ...string) *oauth2.Config {
	return f.env.OAuth2Config("console", f.secret, redirectURI, scopes...)
}

// password gets tokens by the password grant.
func (f *fixture) password(t *testing.T, email, password string, scopes ...string) (*oauth2.Token, error) {
	t.Helper()
	return f.config(scopes...).PasswordCredentialsToken(t.Context(), email, password)
}

// mustPassword is password failing t on error.
func (f *fixture) mustPassword(t *testing.T, email, password string, scopes ...string) *oauth2.Token {
	t.Helper()
	tok, err := f.password(t, email, password, scopes...)
	if err != nil {
		t.Fatalf("password grant for %s %v: %v", email, scopes, err)
	}
	return tok
}

// adminToken is an access token of root with gatehouse:admin.
func (f *fixture) adminToken(t *testing.T) string {
	t.Helper()
	return f.mustPassword(t, adminEmail, adminPassword, "openid", scopeAdmin).AccessToken
}

// refresh redeems a refresh token.
func (f *fixture) refresh(t *testing.T, rt string) (*oauth2.Token, error) {
	t.Helper()
	return f.config().TokenSource(t.Context(), &oauth2.Token{RefreshToken: rt}).Token()
}

// response is one answer of the admin API.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// call sends method path with the bearer token (none when "") and body
// (JSON-encoded unless nil or a string, sent as it is).
func (f *fixture) call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.env.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	servertest.CheckNoLeak(t, raw)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		_ = json.Unmarshal(raw, &r.JSON)
	}
	return r
}

// ok is call expecting status want and a JSON body (unless 204).
func (f *fixture) ok(t *testing.T, token, method, path string, body any, want int) response {
	t.Helper()
	r := f.call(t, token, method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	if want != http.StatusNoContent && r.JSON == nil {
		t.Fatalf("%s %s: body is not a JSON object: %s", method, path, r.Body)
	}
	return r
}

// wantError checks a JSON error answer.
func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if got, _ := r.JSON["error"].(string); got != code {
		t.Errorf("error %q, want %q; body %s", got, code, r.Body)
	}
	if d, _ := r.JSON["error_description"].(string); d == "" {
		t.Errorf("no error_description; body %s", r.Body)
	}
}

// events returns the stored audit events of type typ, newest first.
func (f *fixture) events(t *testing.T, typ string) []storage.AuditEvent {
	t.Helper()
	list, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: typ, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// revoke revokes token at the revocation endpoint as console.
func (f *fixture) revoke(t *testing.T, token string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.env.URL+"/oauth2/revoke",
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("console", f.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
}

// clientcredentialsConfig is console acting for itself.
func clientcredentialsConfig(f *fixture, scopes []string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID: "console", ClientSecret: f.secret, TokenURL: f.env.URL + "/oauth2/token",
		Scopes: scopes, AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// isRetrieveError reports whether err is a token endpoint error answer
// with status and code.
func isRetrieveError(err error, status int, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.Response.StatusCode == status && re.ErrorCode == code
}

// sameStrings reports whether a decoded JSON array holds exactly want.
func sameStrings(v any, want ...string) bool {
	arr, _ := v.([]any)
	got := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		got = append(got, s)
	}
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// noSecrets fails t when body holds a password or secret hash, or any of
// the plain secrets given.
func noSecrets(t *testing.T, body []byte, plain ...string) {
	t.Helper()
	for _, m := range append([]string{"$2a$", "$2b$", "password_hash", "secret_hash", "PasswordHash", "SecretHash"}, plain...) {
		if m != "" && strings.Contains(string(body), m) {
			t.Errorf("%q in %s", m, body)
		}
	}
}

func timeNow() time.Time { return time.Now() }

// pkceOption is an S256 challenge for a flow never redeemed.
func pkceOption() oauth2.AuthCodeOption {
	return oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
}

// ccToken gets a client-credentials token for client id with secret.
func (f *fixture) ccToken(t *testing.T, id, secret string, scopes ...string) (*oauth2.Token, error) {
	t.Helper()
	cfg := clientcredentialsConfig(f, scopes)
	cfg.ClientID, cfg.ClientSecret = id, secret
	return cfg.Token(t.Context())
}
