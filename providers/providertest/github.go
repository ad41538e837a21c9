package providertest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// GitHubUser is the account signed in at the fake GitHub.
type GitHubUser struct {
	ID     int64
	Login  string
	Name   string
	Emails []GitHubEmail
}

// GitHubEmail is one entry of GET /user/emails.
type GitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// GitHub is a fake GitHub (Enterprise) server: the OAuth endpoints under
// /login/oauth/ and the REST API under /api/v3, as GitHub Enterprise
// Server lays them out. Like GitHub, its token endpoint answers errors with
// HTTP 200 and an error field.
type GitHub struct {
	URL          string
	ClientID     string
	ClientSecret string

	mu         sync.Mutex
	user       GitHubUser
	tokenError string
	codes      map[string]pendingCode // challenge and redirect URI
	tokens     map[string]bool
}

// NewGitHub starts a fake GitHub for the OAuth app id/secret with user
// signed in. It is closed by t.Cleanup.
func NewGitHub(t testing.TB, clientID, clientSecret string, user GitHubUser) *GitHub {
	t.Helper()
	g := &GitHub{ClientID: clientID, ClientSecret: clientSecret, user: user, codes: map[string]pendingCode{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /api/v3/user", g.api(func(u GitHubUser) any {
		return map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "avatar_url": "https://avatars.example/u/1"}
	}))
	mux.HandleFunc("GET /api/v3/user/emails", g.api(func(u GitHubUser) any {
		if u.Emails == nil {
			return []GitHubEmail{}
		}
		return u.Emails
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// AuthURL, TokenURL and APIURL are the configuration values for this fake.
func (g *GitHub) AuthURL() string  { return g.URL + "/login/oauth/authorize" }
func (g *GitHub) TokenURL() string { return g.URL + "/login/oauth/access_token" }
func (g *GitHub) APIURL() string   { return g.URL + "/api/v3" }

// FailTokens makes the token endpoint answer HTTP 200 with error code.
func (g *GitHub) FailTokens(code string) { g.mu.Lock(); g.tokenError = code; g.mu.Unlock() }

func (g *GitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != g.ClientID || redirect.Scheme == "" {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	code := randomString()
	g.mu.Lock()
	g.codes[code] = pendingCode{challenge: q.Get("code_challenge"), redirectURI: redirect.String()}
	g.mu.Unlock()
	redirect.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (g *GitHub) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		g.tokenAnswer(w, r, url.Values{"error": {"bad_request"}})
		return
	}
	f := r.PostForm
	g.mu.Lock()
	code, found := g.codes[f.Get("code")]
	delete(g.codes, f.Get("code"))
	failWith := g.tokenError
	g.mu.Unlock()
	switch {
	case f.Get("client_id") != g.ClientID || f.Get("client_secret") != g.ClientSecret:
		g.tokenAnswer(w, r, url.Values{"error": {"incorrect_client_credentials"}})
	case !found || (code.challenge != "" && s256(f.Get("code_verifier")) != code.challenge):
		g.tokenAnswer(w, r, url.Values{"error": {"bad_verification_code"}, "error_description": {"The code passed is incorrect or expired."}})
	case code.redirectURI != f.Get("redirect_uri"):
		g.tokenAnswer(w, r, url.Values{"error": {"redirect_uri_mismatch"}})
	case failWith != "":
		g.tokenAnswer(w, r, url.Values{"error": {failWith}})
	default:
		tok := "gho_" + randomString()
		g.mu.Lock()
		g.tokens[tok] = true
		g.mu.Unlock()
		g.tokenAnswer(w, r, url.Values{"access_token": {tok}, "token_type": {"bearer"}, "scope": {"read:user,user:email"}})
	}
}

// tokenAnswer answers with HTTP 200, whatever the outcome, in JSON when
// asked for it and form-encoded otherwise, as GitHub does.
func (g *GitHub) tokenAnswer(w http.ResponseWriter, r *http.Request, v url.Values) {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		m := map[string]string{}
		for k := range v {
			m[k] = v.Get(k)
		}
		writeJSON(w, http.StatusOK, m)
		return
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	_, _ = w.Write([]byte(v.Encode()))
}

func (g *GitHub) api(body func(GitHubUser) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		g.mu.Lock()
		valid, u := ok && g.tokens[tok], g.user
		g.mu.Unlock()
		if !valid {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		writeJSON(w, http.StatusOK, body(u))
	}
}
