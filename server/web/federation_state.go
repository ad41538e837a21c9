package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/secret"
)

// UpstreamCookieName is the cookie holding a pending upstream login.
const UpstreamCookieName = "gatehouse_upstream"

// upstreamLoginTTL is how long a person has to finish at the upstream.
const upstreamLoginTTL = 10 * time.Minute

// maxUpstreamCookie keeps the cookie within what every browser stores
// (4096 bytes for name, value and attributes).
const maxUpstreamCookie = 3800

// pendingLogin is an upstream login between /login/{id} and its callback:
// what the callback checks (state, nonce), what it sends (the PKCE
// verifier) and the authorization request to resume (flow).
type pendingLogin struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Flow     string `json:"f"`
	ReturnTo string `json:"r,omitempty"` // a local path, when there is no flow
	Expires  int64  `json:"e"`           // unix seconds
}

// errNoPendingLogin covers a missing, forged, expired or foreign cookie.
var errNoPendingLogin = errors.New("web: no valid pending upstream login")

// pendingCodec seals pending logins into a cookie with AES-256-GCM under a
// key derived from the system secret: the browser can neither read the
// nonce and PKCE verifier nor change anything, and any node of a cluster
// opens what another sealed. The provider id is bound as associated data.
type pendingCodec struct {
	aead   cipher.AEAD
	secure bool
}

func newPendingCodec(system []byte, secure bool) *pendingCodec {
	block, err := aes.NewCipher(secret.Derive(system, "upstream-login"))
	if err != nil {
		panic("web: upstream login cipher: " + err.Error()) // a 32-byte key never fails
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("web: upstream login GCM: " + err.Error())
	}
	return &pendingCodec{aead: aead, secure: secure}
}

// set stores p in the browser, scoped to the provider's paths.
func (c *pendingCodec) set(w http.ResponseWriter, p pendingLogin) error {
	plain, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("web: encode pending login: %w", err)
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("web: random: %w", err)
	}
	value := base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(p.Provider)))
	if len(value) > maxUpstreamCookie {
		return fmt.Errorf("web: pending login of %d bytes does not fit a cookie", len(value))
	}
	http.SetCookie(w, c.cookie(p.Provider, value, int(upstreamLoginTTL/time.Second)))
	return nil
}

// take returns the pending login for provider and removes it from the
// browser, so that a callback is answered at most once.
func (c *pendingCodec) take(w http.ResponseWriter, r *http.Request, provider string, now time.Time) (pendingLogin, error) {
	ck, err := r.Cookie(UpstreamCookieName)
	if err != nil {
		return pendingLogin{}, errNoPendingLogin
	}
	http.SetCookie(w, c.cookie(provider, "", -1))
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return pendingLogin{}, errNoPendingLogin
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(provider))
	if err != nil {
		return pendingLogin{}, errNoPendingLogin
	}
	var p pendingLogin
	if err := json.Unmarshal(plain, &p); err != nil || p.Provider != provider || now.Unix() > p.Expires {
		return pendingLogin{}, errNoPendingLogin
	}
	return p, nil
}

func (c *pendingCodec) cookie(provider, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     UpstreamCookieName,
		Value:    value,
		Path:     upstreamPath(provider),
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.secure,
		// Lax: the upstream's redirect back is a top-level GET from
		// another site, which Lax cookies accompany.
		SameSite: http.SameSiteLaxMode,
	}
}

// upstreamPath is where a login with provider starts; its callback is
// below it.
func upstreamPath(provider string) string { return "/login/" + provider }
