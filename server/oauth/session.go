package oauth

import (
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Session is the one fosite session type Gatehouse uses: the OpenID Connect
// session (ID-token claims, expiry times, subject) plus what goes into
// RFC 9068 access tokens. It never holds a key id: the signer sets kid from
// the key that actually signs.
type Session struct {
	*openid.DefaultSession
	// ClientID is the client the tokens were issued to.
	ClientID string `json:"client_id"`
	// User is true for tokens issued to a person, false for a client
	// acting for itself (client credentials), whose subject is its id.
	User bool `json:"user,omitempty"`
	// Roles are the user's roles at issue time (empty for client tokens).
	Roles []string `json:"roles,omitempty"`
	// SID is the browser session the tokens were issued in (its sid
	// claim): "" outside a browser flow (the password grant).
	SID string `json:"sid,omitempty"`
	// JKT binds the tokens to a DPoP key (RFC 9449): the key's SHA-256
	// JWK thumbprint, the access token's cnf.jkt. Empty: bearer tokens.
	// An authorization code's is the key its request named (dpop_jkt, or
	// the proof on the pushed request; section 10): only a proof of that
	// key redeems it.
	JKT string `json:"jkt,omitempty"`
	// Act is the actor of an exchanged token (RFC 8693 section 4.1), nested
	// for a chain of delegations; nil for every other token.
	Act map[string]any `json:"act,omitempty"`
	// Exchanged marks a token issued by token exchange. It joins the
	// subject token's grant (revoking that revokes it too), but its own
	// client revoking it ends it alone (Revoke.revokeExchanged).
	Exchanged bool `json:"exchanged,omitempty"`
}

var (
	_ fosite.Session = (*Session)(nil)
	_ openid.Session = (*Session)(nil)
)

// NewSession returns an empty session, ready for fosite to fill.
func NewSession() *Session {
	return &Session{DefaultSession: &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{},
		Headers: &jwt.Headers{},
	}}
}

// newUserSession returns the session of tokens issued to user for clientID:
// the ID-token claims the granted scopes allow, and the roles claim.
func newUserSession(user storage.User, clientID string, scopes fosite.Arguments, authTime, requestedAt time.Time) *Session {
	s := NewSession()
	s.ClientID = clientID
	s.setUser(user, scopes)
	s.Claims.AuthTime = authTime.UTC().Truncate(time.Second)
	s.Claims.RequestedAt = requestedAt.UTC().Truncate(time.Second)
	return s
}

// setUser (re)writes every user-derived claim, so refreshed tokens carry
// the user's current email, name and roles.
func (s *Session) setUser(user storage.User, scopes fosite.Arguments) {
	s.User = true
	s.Subject = user.ID
	s.Username = user.Email
	s.Roles = append([]string{}, user.Roles...)
	s.Claims.Subject = user.ID
	extra := map[string]any{"roles": s.Roles}
	if scopes.Has("email") {
		extra["email"] = user.Email
		extra["email_verified"] = user.EmailVerified
	}
	if scopes.Has("profile") {
		for k, v := range profileClaims(user) {
			extra[k] = v
		}
	}
	if s.SID != "" {
		extra["sid"] = s.SID
	}
	s.Claims.Extra = extra
}

// setSID puts the browser session's sid in the session and its ID tokens.
func (s *Session) setSID(sid string) {
	s.SID = sid
	if sid != "" {
		s.Claims.Extra["sid"] = sid
	}
}

// GetJWTClaims returns the access-token claims. fosite mutates the result
// (With sets exp, scope and aud), so it is built fresh on every call.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	extra := map[string]any{"client_id": s.ClientID}
	if s.User {
		extra["roles"] = append([]string{}, s.Roles...)
	}
	s.addBinding(extra)
	return &jwt.JWTClaims{
		JTI:     newJTI(), // ordered by time: see accessTokenKey
		Subject: s.Subject,
		Extra:   extra,
	}
}

// GetJWTHeader returns the access-token header: typ at+jwt (RFC 9068).
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]any{"typ": "at+jwt"}}
}

// GetExtraClaims adds the roles, the DPoP binding (cnf) and the actor
// (act) to introspection responses.
func (s *Session) GetExtraClaims() map[string]any {
	extra := map[string]any{}
	if len(s.Roles) > 0 {
		extra["roles"] = s.Roles
	}
	s.addBinding(extra)
	if len(extra) == 0 {
		return nil
	}
	return extra
}

// addBinding adds cnf (a DPoP key) and act (an exchanged token's actor).
func (s *Session) addBinding(extra map[string]any) {
	if s.JKT != "" {
		extra["cnf"] = map[string]any{"jkt": s.JKT}
	}
	if s.Act != nil {
		extra["act"] = s.Act
	}
}

// Clone returns a deep copy.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(*Session)
}
