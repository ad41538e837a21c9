package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
)

// rpListener is a relying party's back-channel logout endpoint: a real
// HTTP server that records every logout token posted to it, answering
// 503 to the first failFirst posts and while failing is set.
type rpListener struct {
	srv *httptest.Server
	mu  sync.Mutex
	// posts are every logout_token received, failed answers included.
	posts     []string
	received  []string // the tokens answered 200
	failFirst int
	failing   bool
	changed   chan struct{}
}

func newRPListener(t *testing.T, failFirst int) *rpListener {
	t.Helper()
	l := &rpListener{failFirst: failFirst, changed: make(chan struct{}, 1000)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/bcl" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		tok := r.PostFormValue("logout_token")
		l.mu.Lock()
		l.posts = append(l.posts, tok)
		fail := l.failing || len(l.posts) <= l.failFirst
		if !fail {
			l.received = append(l.received, tok)
		}
		l.mu.Unlock()
		l.changed <- struct{}{}
		if fail {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// uri is the listener's back-channel logout URI.
func (l *rpListener) uri() string { return l.srv.URL + "/bcl" }

func (l *rpListener) setFailing(v bool) {
	l.mu.Lock()
	l.failing = v
	l.mu.Unlock()
}

// snapshot returns copies of the posts and the accepted tokens.
func (l *rpListener) snapshot() (posts, received []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.posts...), append([]string(nil), l.received...)
}

// waitFor waits until cond holds for the listener's posts and accepted
// tokens. The deadline only turns a hang into a failure.
func (l *rpListener) waitFor(t *testing.T, what string, cond func(posts, received []string) bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if cond(l.snapshot()) {
			return
		}
		select {
		case <-l.changed:
		case <-deadline:
			posts, received := l.snapshot()
			t.Fatalf("timed out waiting for %s: %d posts, %d accepted", what, len(posts), len(received))
		}
	}
}

// waitSID waits for an accepted logout token with sid and returns it.
func (l *rpListener) waitSID(t *testing.T, sid string) string {
	t.Helper()
	var found string
	l.waitFor(t, "a logout token for sid "+sid, func(_, received []string) bool {
		for _, raw := range received {
			if jwtClaims(t, raw)["sid"] == sid {
				found = raw
				return true
			}
		}
		return false
	})
	return found
}

// backchannelConfig lets the server post to loopback listeners and look
// for due deliveries often.
func backchannelConfig(c *server.Config) {
	c.BackchannelLogout.AllowedHosts = []string{"127.0.0.1"}
	c.BackchannelLogout.Interval = server.Duration(50 * time.Millisecond)
}

// bclFixture is a server that delivers back-channel logouts, with client
// "rp" (every grant and user scope) whose back-channel logout URI is l's.
func bclFixture(t *testing.T, l *rpListener, opts ...servertest.Option) (*fixture, string, string) {
	t.Helper()
	f := newFixture(t, append([]servertest.Option{servertest.WithConfig(backchannelConfig)}, opts...)...)
	spec := appLikeSpec("rp")
	spec.PostLogoutRedirectURIs = []string{loggedOutURI}
	spec.BackchannelLogoutURI = l.uri()
	spec.BackchannelLogoutSessionRequired = true
	id, sec := f.env.CreateClient(t, spec)
	return f, id, sec
}

// rpSignIn signs browser b in through client id with openid and
// offline_access and returns the tokens and the ID token's sid.
func rpSignIn(t *testing.T, f *fixture, b *servertest.Browser, id, sec string) (refreshToken, rawIDToken, sid string) {
	t.Helper()
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid", "offline_access")
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatal(err)
	}
	idt, _ := verifyIDToken(t, f.env, id, idToken(tok))
	var c struct {
		SID string `json:"sid"`
	}
	if err := idt.Claims(&c); err != nil || c.SID == "" {
		t.Fatalf("ID token has no sid (%v)", err)
	}
	return tok.RefreshToken, idToken(tok), c.SID
}

// logoutClaims are the claims a relying party reads from a logout token.
type logoutClaims struct {
	jwt.Claims
	SID    string                    `json:"sid"`
	Events map[string]map[string]any `json:"events"`
	Nonce  *string                   `json:"nonce"`
}

// verifyLogoutToken checks raw as a relying party must (Back-Channel
// Logout 1.0 section 2.6): a JWT signed by a key of the issuer's JWKS, typ
// logout+jwt, iss, aud (the client), iat, exp, jti, sid, the logout event
// and no nonce.
func verifyLogoutToken(t *testing.T, env *servertest.Env, raw, clientID string) logoutClaims {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("logout token is not a signed JWT: %v", err)
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "logout+jwt" {
		t.Errorf("logout token typ %q, want logout+jwt", typ)
	}
	set, _ := jwks(t, env)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	var c logoutClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: env.URL, AnyAudience: jwt.Audience{clientID}, Time: time.Now()}, time.Minute); err != nil {
		t.Errorf("logout token claims: %v", err)
	}
	if c.IssuedAt == nil || c.Expiry == nil || c.ID == "" || c.Subject == "" || c.SID == "" {
		t.Errorf("logout token lacks iat, exp, jti, sub or sid: %+v", c)
	}
	if ev, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || len(ev) != 0 || len(c.Events) != 1 {
		t.Errorf("logout token events %v", c.Events)
	}
	if c.Nonce != nil {
		t.Errorf("logout token has a nonce")
	}
	return c
}

// sharedDatabase returns a database several servers of one test can use in
// turn: a SQLite file, or one PostgreSQL schema when the end-to-end tests
// run on PostgreSQL.
func sharedDatabase(t *testing.T) string {
	t.Helper()
	if os.Getenv(servertest.DatabaseEnv) == "postgres" {
		return pgtest.DSN(t)
	}
	return filepath.Join(t.TempDir(), "shared.db")
}
