// Package providertest holds fake upstream identity providers for tests:
// an OpenID Connect provider (discovery, JWKS, authorization and token
// endpoints issuing signed ID tokens, with knobs to break them) and GitHub
// (its OAuth endpoints and the /user and /user/emails API). Both speak the
// real protocols over HTTP, and check what a real upstream checks (client
// credentials, redirect URI, PKCE verifier, single-use codes).
package providertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// Person is who signs in at a fake upstream.
type Person struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// OIDC is a fake OpenID Connect provider. Its issuer is URL. Change the
// exported fields before a login starts; they are read under a lock.
type OIDC struct {
	URL          string
	ClientID     string
	ClientSecret string

	mu     sync.Mutex
	person Person
	// claims, when set, edits the ID token's claims before signing.
	claims func(map[string]any)
	deny   bool          // answer logins with error=access_denied
	hang   chan struct{} // token requests wait on it (nil: answer at once)
	down   bool          // answer everything with 503
	codes  map[string]pendingCode

	key    *rsa.PrivateKey
	server *httptest.Server
}

type pendingCode struct {
	nonce, challenge, redirectURI string
}

// NewOIDC starts a fake provider for client id/secret, with person signed
// in. It is closed by t.Cleanup.
func NewOIDC(t testing.TB, clientID, clientSecret string, person Person) *OIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("providertest: key: %v", err)
	}
	f := &OIDC{ClientID: clientID, ClientSecret: clientSecret, person: person, key: key, codes: map[string]pendingCode{}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: "RS256"}}}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/openid-configuration", disc)
	mux.Handle("/keys", disc)
	mux.HandleFunc("/auth", f.authorize)
	mux.HandleFunc("/token", f.token)
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		down := f.down
		f.mu.Unlock()
		if down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	f.URL = f.server.URL
	disc.SetIssuer(f.URL)
	t.Cleanup(f.close)
	return f
}

func (f *OIDC) close() {
	f.mu.Lock()
	if f.hang != nil {
		close(f.hang)
		f.hang = nil
	}
	f.mu.Unlock()
	f.server.Close()
}

// SetPerson changes who signs in next.
func (f *OIDC) SetPerson(p Person) { f.mu.Lock(); f.person = p; f.mu.Unlock() }

// EditClaims makes every ID token from now on pass through edit before
// it is signed (to send a wrong nonce, audience or expiry).
func (f *OIDC) EditClaims(edit func(map[string]any)) { f.mu.Lock(); f.claims = edit; f.mu.Unlock() }

// Deny makes the authorization endpoint answer error=access_denied, as
// when the person cancels.
func (f *OIDC) Deny() { f.mu.Lock(); f.deny = true; f.mu.Unlock() }

// SetDown makes the whole server answer 503 (down) or serve again.
func (f *OIDC) SetDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// Hang makes the token endpoint hang until the client gives up or the
// server closes.
func (f *OIDC) Hang() { f.mu.Lock(); f.hang = make(chan struct{}); f.mu.Unlock() }

func (f *OIDC) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != f.ClientID || redirect.Scheme == "" {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	f.mu.Lock()
	deny := f.deny
	if !deny {
		code := randomString()
		f.codes[code] = pendingCode{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: redirect.String()}
		back.Set("code", code)
	}
	f.mu.Unlock()
	if deny {
		back.Set("error", "access_denied")
		back.Set("error_description", "The person cancelled.")
	} else if q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
		http.Error(w, "want response_type=code with an S256 code_challenge", http.StatusBadRequest)
		return
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *OIDC) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, sec, ok := r.BasicAuth()
	if !ok {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.ClientID || sec != f.ClientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	f.mu.Lock()
	code, found := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	person, edit := f.person, f.claims
	f.mu.Unlock()
	if !found || code.redirectURI != r.PostForm.Get("redirect_uri") || s256(r.PostForm.Get("code_verifier")) != code.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": f.URL, "aud": f.ClientID, "sub": person.Subject,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": person.Email, "email_verified": person.EmailVerified, "name": person.Name,
	}
	if code.nonce != "" {
		claims["nonce"] = code.nonce
	}
	if edit != nil {
		edit(claims)
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomString(),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     oidctest.SignIDToken(f.key, "k1", "RS256", string(raw)),
	})
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
