package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// passkeyCookiePrefix names the ceremony cookies: one per kind, so a
// sign-in in one tab does not end a registration in another.
const passkeyCookiePrefix = "gatehouse_passkey_"

// errNoCeremony: the request carries no ceremony of the kind, or a forged,
// expired or already used one.
var errNoCeremony = errors.New("web: no passkey ceremony")

// ceremonies keeps each passkey ceremony between its options and the
// browser's answer in a short-lived cookie, HMAC-signed so the browser
// cannot alter it, and spends it once: its id (the random challenge) is
// recorded in storage's used JTIs until it expires, so no node accepts it
// a second time.
type ceremonies struct {
	key    []byte
	secure bool
	jtis   storage.JTIs
	now    func() time.Time
}

func newCeremonies(system []byte, secure bool, jtis storage.JTIs, now func() time.Time) *ceremonies {
	return &ceremonies{key: secret.Derive(system, "passkey-ceremony"), secure: secure, jtis: jtis, now: now}
}

func (c *ceremonies) cookieName(kind passkeys.Kind) string {
	return session.CookieNameFor(passkeyCookiePrefix+string(kind), c.secure)
}

func (c *ceremonies) mac(kind passkeys.Kind, payload string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(string(kind) + "\n" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// save sets the ceremony's cookie.
func (c *ceremonies) save(w http.ResponseWriter, pc passkeys.Ceremony) error {
	raw, err := json.Marshal(pc)
	if err != nil {
		return fmt.Errorf("web: encode passkey ceremony: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{
		Name:     c.cookieName(pc.Kind),
		Value:    payload + "." + c.mac(pc.Kind, payload),
		Path:     "/",
		MaxAge:   int(passkeys.CeremonyTTL / time.Second),
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// take returns the request's ceremony of kind and spends it: the cookie is
// cleared and the ceremony can never be taken again, on any node.
// errNoCeremony when there is none to take; other errors are storage's.
func (c *ceremonies) take(w http.ResponseWriter, r *http.Request, kind passkeys.Kind) (passkeys.Ceremony, error) {
	ck, err := r.Cookie(c.cookieName(kind))
	if err != nil {
		return passkeys.Ceremony{}, errNoCeremony
	}
	http.SetCookie(w, &http.Cookie{Name: ck.Name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	payload, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(c.mac(kind, payload))) {
		return passkeys.Ceremony{}, errNoCeremony
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return passkeys.Ceremony{}, errNoCeremony
	}
	var pc passkeys.Ceremony
	if err := json.Unmarshal(raw, &pc); err != nil || pc.Kind != kind || pc.ID() == "" {
		return passkeys.Ceremony{}, errNoCeremony
	}
	now := c.now()
	if !now.Before(pc.Expires) {
		return passkeys.Ceremony{}, errNoCeremony
	}
	err = c.jtis.UseJTI(r.Context(), "passkey:"+secret.SHA256Hex(pc.ID()), pc.Expires, now)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return passkeys.Ceremony{}, errNoCeremony
	}
	if err != nil {
		return passkeys.Ceremony{}, fmt.Errorf("web: spend passkey ceremony: %w", err)
	}
	return pc, nil
}
