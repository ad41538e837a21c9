// Package session manages signed-in browsers: a server-side row per session
// whose random id travels in an HttpOnly cookie (only its SHA-256 is
// stored). What the pages and the authorization endpoint tell each other
// about a sign-in flow is in package signin.
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// CookieName is the browser-session cookie on an http (development)
// issuer; HostCookieName is its name on https, where the __Host- prefix
// makes the browser refuse it unless it is Secure, for Path=/ and without
// Domain, so a sibling subdomain can neither plant nor overwrite it.
const (
	CookieName     = "gatehouse_session"
	HostCookieName = "__Host-" + CookieName
)

// CookieNameFor returns the name of a cookie called name on an http
// issuer: with the __Host- prefix when secure (https).
func CookieNameFor(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// ErrNoSession means the request carries no valid session.
var ErrNoSession = errors.New("session: not signed in")

// Store is what the manager needs from storage.
type Store interface {
	storage.BrowserSessions
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// Options configure a Manager.
type Options struct {
	Store  Store
	Secure bool          // set the cookie's Secure flag (https issuer)
	TTL    time.Duration // session lifetime; default 24h
	Now    func() time.Time
}

// Manager starts, finds and ends browser sessions.
type Manager struct {
	store  Store
	secure bool
	ttl    time.Duration
	now    func() time.Time
}

// NewManager returns a Manager.
func NewManager(o Options) *Manager {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Manager{store: o.Store, secure: o.Secure, ttl: o.TTL, now: o.Now}
}

// cookieName is the session cookie's name: HostCookieName on https.
func (m *Manager) cookieName() string { return CookieNameFor(CookieName, m.secure) }

// Current is a signed-in browser and its user.
type Current struct {
	Session storage.BrowserSession
	User    storage.User
}

// Current returns the request's session; ErrNoSession when there is none, it
// expired, or its user is gone or disabled.
func (m *Manager) Current(r *http.Request) (Current, error) {
	c, err := r.Cookie(m.cookieName())
	if err != nil || c.Value == "" {
		return Current{}, ErrNoSession
	}
	bs, err := m.store.GetBrowserSession(r.Context(), secret.SHA256Hex(c.Value), m.now())
	if errors.Is(err, storage.ErrNotFound) {
		return Current{}, ErrNoSession
	}
	if err != nil {
		return Current{}, fmt.Errorf("session: load: %w", err)
	}
	u, err := m.store.GetUser(r.Context(), bs.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return Current{}, ErrNoSession
	}
	if err != nil {
		return Current{}, fmt.Errorf("session: load user: %w", err)
	}
	return Current{Session: bs, User: u}, nil
}

// Start signs user in on this browser with a fresh session id (replacing
// any previous session, so a planted id never becomes authenticated). It
// returns r with the new cookie in place of the old one, so whatever
// handles the rest of this request (the authorization endpoint, resumed
// after a login) sees the person as signed in.
//
// When the browser was already signed in as user (a new login for
// prompt=login or max_age), the session is renewed rather than ended: it
// keeps its sid, so the apps signed in through it are not logged out.
// Another user's session on the browser ends (back-channel logout).
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, user storage.User) (*http.Request, error) {
	oldID := m.sameUserSession(r, user.ID)
	if oldID == "" {
		if err := m.End(w, r); err != nil {
			return nil, err
		}
	}
	raw := secret.Token(32)
	now := m.now().UTC()
	bs := storage.BrowserSession{
		ID:        secret.SHA256Hex(raw),
		UserID:    user.ID,
		AuthTime:  now,
		CreatedAt: now,
		ExpiresAt: now.Add(m.ttl),
		IP:        clientip.FromRequest(r),
		UserAgent: safetext.Clip(r.UserAgent(), 256),
	}
	err := storage.ErrNotFound
	if oldID != "" {
		err = m.store.RenewBrowserSession(r.Context(), oldID, bs)
	}
	if errors.Is(err, storage.ErrNotFound) {
		// No session to renew (or it ended meanwhile): a new one.
		bs.SID = secret.Token(16)
		err = m.store.CreateBrowserSession(r.Context(), bs)
	}
	if err != nil {
		return nil, fmt.Errorf("session: create: %w", err)
	}
	c := &http.Cookie{
		Name:     m.cookieName(),
		Value:    raw,
		Path:     "/",
		Expires:  bs.ExpiresAt,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: http.SameSiteLaxMode,
	}
	http.SetCookie(w, c)
	return withCookie(r, c), nil
}

// sameUserSession returns the id of the request's unexpired session when
// it belongs to userID, else "".
func (m *Manager) sameUserSession(r *http.Request, userID string) string {
	c, err := r.Cookie(m.cookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	bs, err := m.store.GetBrowserSession(r.Context(), secret.SHA256Hex(c.Value), m.now())
	if err != nil || bs.UserID != userID {
		return ""
	}
	return bs.ID
}

// withCookie returns a copy of r whose session cookie is c.
func withCookie(r *http.Request, c *http.Cookie) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	for _, old := range r.Cookies() {
		if old.Name != c.Name {
			r2.AddCookie(old)
		}
	}
	r2.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	return r2
}

// End deletes the request's session, if any, and clears the cookie.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(m.cookieName())
	if err != nil || c.Value == "" {
		return nil
	}
	if err := m.store.DeleteBrowserSession(r.Context(), secret.SHA256Hex(c.Value)); err != nil {
		return fmt.Errorf("session: delete: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: m.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}
