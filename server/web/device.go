package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
)

// DeviceCookieName is the device cookie on an http issuer
// ("__Host-gatehouse_device" on https): the token (ratelimit.DeviceToken)
// of the last account that signed in with a password on this browser.
// While that account is attacked from elsewhere, this browser still gets
// in (OWASP's device cookies).
const DeviceCookieName = "gatehouse_device"

// deviceCookieTTL is how long a browser is remembered after a sign-in.
const deviceCookieTTL = 180 * 24 * time.Hour

// deviceContext returns the request's context carrying the browser's
// device token, for the limiter to judge the sign-in by.
func (h *SignIn) deviceContext(r *http.Request) context.Context {
	ck, err := r.Cookie(session.CookieNameFor(DeviceCookieName, h.csrf.secure))
	if err != nil || ck.Value == "" {
		return r.Context()
	}
	return ratelimit.WithDevice(r.Context(), ck.Value)
}

// rememberDevice gives the browser a device token for account (the
// normalised email) after a successful password sign-in.
func (h *SignIn) rememberDevice(w http.ResponseWriter, account string) {
	token := h.limiter.DeviceToken(account)
	if token == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     session.CookieNameFor(DeviceCookieName, h.csrf.secure),
		Value:    token,
		Path:     "/",
		MaxAge:   int(deviceCookieTTL / time.Second),
		HttpOnly: true,
		Secure:   h.csrf.secure,
		SameSite: http.SameSiteLaxMode,
	})
}
