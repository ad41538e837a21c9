package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// PendingCookieName is the cookie (with the __Host- prefix on https) that
// carries a sign-in between its first factor and /login/mfa: sealed
// (AES-GCM under a key derived from the system secret), so any node can
// read it and nobody can forge or alter it.
const PendingCookieName = "gatehouse_mfa"

// pendingTTL is how long a person has for the second factor.
const pendingTTL = 10 * time.Minute

// pendingState is what the cookie holds.
type pendingState struct {
	UserID  string                  `json:"u"`
	Factors []storage.SessionFactor `json:"f"`
	Expires int64                   `json:"e"`
}

// mfaPendingCodec seals and opens the pending sign-in cookie.
type mfaPendingCodec struct {
	sealer *secret.Sealer
	secure bool
	now    func() time.Time
}

func newMFAPendingCodec(system []byte, secure bool, now func() time.Time) *mfaPendingCodec {
	s, err := secret.NewSealer(system, "mfa-pending-signin")
	if err != nil {
		panic("web: pending sign-in sealer: " + err.Error()) // a 32-byte key never fails
	}
	return &mfaPendingCodec{sealer: s, secure: secure, now: now}
}

func (c *mfaPendingCodec) name() string { return session.CookieNameFor(PendingCookieName, c.secure) }

// set gives the browser the pending sign-in of userID after factors.
func (c *mfaPendingCodec) set(w http.ResponseWriter, userID string, factors []storage.SessionFactor) {
	raw, _ := json.Marshal(pendingState{UserID: userID, Factors: factors, Expires: c.now().Add(pendingTTL).Unix()})
	http.SetCookie(w, &http.Cookie{
		Name:     c.name(),
		Value:    base64.RawURLEncoding.EncodeToString(c.sealer.Seal(raw, PendingCookieName)),
		Path:     "/",
		MaxAge:   int(pendingTTL / time.Second),
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// get returns the request's unexpired pending sign-in.
func (c *mfaPendingCodec) get(r *http.Request) (pendingState, bool) {
	ck, err := r.Cookie(c.name())
	if err != nil || ck.Value == "" {
		return pendingState{}, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return pendingState{}, false
	}
	raw, err := c.sealer.Open(sealed, PendingCookieName)
	if err != nil {
		return pendingState{}, false
	}
	var p pendingState
	if json.Unmarshal(raw, &p) != nil || p.UserID == "" || c.now().Unix() >= p.Expires {
		return pendingState{}, false
	}
	return p, true
}

// clear removes the cookie.
func (c *mfaPendingCodec) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: c.name(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}
