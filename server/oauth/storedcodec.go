package oauth

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/internal/jsonobj"
)

// The stored form of a request (storedRequest, with its session) is
// written here, field by field, rather than by encoding/json, and read back
// by encoding/json (Store.toRequest). Every token session is written once:
// encoding/json reached each of its fields through reflect and wrote the
// empty ID-token claims of every client-credentials token (about 300
// bytes), together about 1 % of such a request's CPU time and half of its
// row. The claims and the JWT headers are left out when empty: reading
// then keeps the empty ones NewSession made (toRequest makes them for a
// session without). Rows written before read as they always did.

// marshalStored returns the stored form of req, with form as its
// (sanitised, encoded) request form.
func marshalStored(req fosite.Requester, form string) ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"id":`...)
	b = jsonobj.AppendString(b, req.GetID())
	b = append(b, `,"requested_at":`...)
	b, err := appendTime(b, req.GetRequestedAt().UTC())
	if err != nil {
		return nil, err
	}
	b = append(b, `,"client_id":`...)
	b = jsonobj.AppendString(b, req.GetClient().GetID())
	b = append(b, `,"requested_scope":`...)
	b = jsonobj.AppendStrings(b, req.GetRequestedScopes())
	b = append(b, `,"granted_scope":`...)
	b = jsonobj.AppendStrings(b, req.GetGrantedScopes())
	b = append(b, `,"requested_audience":`...)
	b = jsonobj.AppendStrings(b, req.GetRequestedAudience())
	b = append(b, `,"granted_audience":`...)
	b = jsonobj.AppendStrings(b, req.GetGrantedAudience())
	b = append(b, `,"form":`...)
	b = jsonobj.AppendString(b, form)
	b = append(b, `,"session":`...)
	if b, err = appendSession(b, req.GetSession()); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendSession appends sess as JSON that encoding/json reads back into
// an equal session. Any session other than a whole *Session is written by
// encoding/json.
func appendSession(b []byte, sess fosite.Session) ([]byte, error) {
	s, ok := sess.(*Session)
	if !ok || s == nil || s.DefaultSession == nil {
		return appendMarshal(b, sess, "session")
	}
	b = append(b, '{')
	var err error
	if !emptyClaims(s.Claims) {
		b = append(b, `"id_token_claims":`...)
		if b, err = appendMarshal(b, s.Claims, "ID-token claims"); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	if s.Headers != nil && len(s.Headers.Extra) > 0 {
		b = append(b, `"headers":`...)
		if b, err = appendMarshal(b, s.Headers, "JWT headers"); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	b = append(b, `"expires_at":`...)
	if b, err = appendExpiries(b, s.ExpiresAt); err != nil {
		return nil, err
	}
	b = append(b, `,"username":`...)
	b = jsonobj.AppendString(b, s.Username)
	b = append(b, `,"subject":`...)
	b = jsonobj.AppendString(b, s.Subject)
	b = append(b, `,"client_id":`...)
	b = jsonobj.AppendString(b, s.ClientID)
	if s.User {
		b = append(b, `,"user":true`...)
	}
	if len(s.Roles) > 0 {
		b = append(b, `,"roles":`...)
		b = jsonobj.AppendStrings(b, s.Roles)
	}
	if s.SID != "" {
		b = append(b, `,"sid":`...)
		b = jsonobj.AppendString(b, s.SID)
	}
	if s.JKT != "" {
		b = append(b, `,"jkt":`...)
		b = jsonobj.AppendString(b, s.JKT)
	}
	if len(s.Act) > 0 {
		b = append(b, `,"act":`...)
		if b, err = jsonobj.Append(b, s.Act); err != nil {
			return nil, fmt.Errorf("oauth: marshal act: %w", err)
		}
	}
	if s.Exchanged {
		b = append(b, `,"exchanged":true`...)
	}
	return append(b, '}'), nil
}

// fillEmpty gives a session read into a *Session without a DefaultSession
// or its claims or headers (left out when empty, or null) the empty ones
// NewSession makes, as fosite's OpenID handlers expect.
func fillEmpty(sess fosite.Session) {
	s, ok := sess.(*Session)
	if !ok || s == nil {
		return
	}
	if s.DefaultSession == nil {
		s.DefaultSession = &openid.DefaultSession{}
	}
	if s.Claims == nil {
		s.Claims = &jwt.IDTokenClaims{}
	}
	if s.Headers == nil {
		s.Headers = &jwt.Headers{}
	}
}

// appendMarshal appends v as encoding/json writes it; what names v in the
// error.
func appendMarshal(b []byte, v any, what string) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("oauth: marshal %s: %w", what, err)
	}
	return append(b, raw...), nil
}

// emptyClaims reports whether c holds no claim at all. Every field of
// jwt.IDTokenClaims is checked (TestStoredSessionFields fails when fosite
// adds one).
func emptyClaims(c *jwt.IDTokenClaims) bool {
	return c == nil || c.JTI == "" && c.Issuer == "" && c.Subject == "" && len(c.Audience) == 0 &&
		c.Nonce == "" && c.ExpiresAt.IsZero() && c.IssuedAt.IsZero() && c.RequestedAt.IsZero() &&
		c.AuthTime.IsZero() && c.AccessTokenHash == "" && c.AuthenticationContextClassReference == "" &&
		len(c.AuthenticationMethodsReferences) == 0 && c.CodeHash == "" && len(c.Extra) == 0
}

// appendExpiries appends m as encoding/json writes it: keys sorted.
func appendExpiries(b []byte, m map[fosite.TokenType]time.Time) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [4]fosite.TokenType
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonobj.AppendString(b, string(k))
		b = append(b, ':')
		var err error
		if b, err = appendTime(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendTime appends t as time.Time's MarshalJSON writes it.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("oauth: marshal time: %w", err)
	}
	return append(b, '"'), nil
}
