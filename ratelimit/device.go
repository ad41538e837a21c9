package ratelimit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/gatehouse-id/gatehouse/secret"
)

// Device tokens are OWASP's "device cookies": a browser that has signed in
// to an account holds a token naming that account, signed with a key
// derived from the system secret. While the account is attacked from
// elsewhere (its total budget used), such a browser still gets in: its
// failures are counted on its own small budget instead of the account's.
//
// A token is "<id>.<mac>": a random id and HMAC-SHA256(key, account, id),
// both base64url. The account is not in the token, so the cookie does not
// reveal who signed in on the browser.

type deviceCtxKey struct{}

// WithDevice returns ctx carrying the device token the browser presented
// (its device cookie); CheckLogin and LoginFailed verify it against the
// account being signed in to.
func WithDevice(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, deviceCtxKey{}, token)
}

// DeviceToken returns a new device token for a browser that has just
// signed in to account (the normalised email). Empty when the Limiter has
// no DeviceKey.
func (l *Limiter) DeviceToken(account string) string {
	if l == nil || len(l.o.DeviceKey) == 0 {
		return ""
	}
	id := secret.Token(16)
	return id + "." + l.deviceMAC(account, id)
}

// device returns the id of the device token in ctx when it is valid for
// account.
func (l *Limiter) device(ctx context.Context, account string) (string, bool) {
	token, _ := ctx.Value(deviceCtxKey{}).(string)
	if len(l.o.DeviceKey) == 0 || token == "" || len(token) > 128 {
		return "", false
	}
	id, mac, ok := strings.Cut(token, ".")
	if !ok || id == "" {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(l.deviceMAC(account, id))) {
		return "", false
	}
	return id, true
}

func (l *Limiter) deviceMAC(account, id string) string {
	m := hmac.New(sha256.New, l.o.DeviceKey)
	m.Write([]byte("device\x00" + account + "\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// deviceKey names the failure counter of one device token on an account.
func deviceKey(account, id string) string {
	return accountKey(ActionLogin, account) + ":dev:" + secret.SHA256Hex(id)
}
