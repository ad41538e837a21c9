package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/ratelimit"
)

// TokenMetrics counts issued tokens (Prometheus); optional.
type TokenMetrics interface {
	TokenIssued(grantType string)
}

// recordIssued records a successful token response: audit.TokenRefreshed
// for the refresh grant, audit.TokenIssued for the others, with the grant
// type, client and user; never a token.
func (t *Token) recordIssued(r *http.Request, ar fosite.AccessRequester, sess *Session) {
	grant := grantType(ar)
	if t.Metrics != nil {
		t.Metrics.TokenIssued(grant)
	}
	typ := audit.TokenIssued
	if grant == "refresh_token" {
		typ = audit.TokenRefreshed
	}
	t.Audit.RecordRequest(r, typ, audit.Success, sessionUser(sess), ar.GetClient().GetID(), map[string]string{"grant_type": grant})
}

// recordReuse records audit.RefreshReuse when fosite refused a refresh
// token that was already used (it has then revoked the token's family).
// The stored session of the reused token names the user.
func (t *Token) recordReuse(r *http.Request, ar fosite.AccessRequester, err error) {
	if ar == nil || !ar.GetGrantTypes().ExactOne("refresh_token") || !errors.Is(err, fosite.ErrInactiveToken) {
		return
	}
	var clientID string
	if c := ar.GetClient(); c != nil {
		clientID = c.GetID()
	}
	sess, _ := ar.GetSession().(*Session)
	t.Audit.RecordRequest(r, audit.RefreshReuse, audit.Denied, sessionUser(sess), clientID, map[string]string{"grant_type": "refresh_token"})
}

// rateLimited turns a *ratelimit.LimitedError from the password grant
// (fosite wraps it in server_error) into 429 invalid_grant with
// Retry-After. invalid_grant is the RFC 6749 section 5.2 code for resource
// owner credentials that cannot be used; 429 and Retry-After (RFC 6585,
// RFC 9110) tell the client to wait. slow_down belongs to device-flow
// polling (RFC 8628) and invalid_request to malformed requests, which
// this is not. A new metadata document client refused by its budget
// (MetadataDocuments.LimitNew) is 429 invalid_client: it could not be
// resolved, for now.
func rateLimited(w http.ResponseWriter, err error) error {
	var limited *ratelimit.LimitedError
	if !errors.As(err, &limited) {
		return err
	}
	w.Header().Set("Retry-After", strconv.Itoa(limited.RetryAfterSeconds()))
	if limited.Action == ratelimit.ActionClientMetadataDocument {
		// The client could not be resolved (RFC 6749 section 5.2), for now.
		return &fosite.RFC6749Error{
			ErrorField:       fosite.ErrInvalidClient.ErrorField,
			DescriptionField: "Too many new clients from this address. Try again later.",
			HintField:        "Retry after " + strconv.Itoa(limited.RetryAfterSeconds()) + " seconds.",
			CodeField:        http.StatusTooManyRequests,
		}
	}
	return &fosite.RFC6749Error{
		ErrorField:       fosite.ErrInvalidGrant.ErrorField,
		DescriptionField: "Too many failed sign-in attempts. Try again later.",
		HintField:        "Retry after " + strconv.Itoa(limited.RetryAfterSeconds()) + " seconds.",
		CodeField:        http.StatusTooManyRequests,
	}
}

// recordRevoked records a successful revocation request for the
// authenticated client. (RFC 7009 answers 200 for unknown tokens too, so
// the event says the client asked, not that a token existed.)
func recordRevoked(rec *audit.Recorder, r *http.Request) {
	clientID, _, ok := r.BasicAuth()
	if ok {
		clientID, _ = url.QueryUnescape(clientID)
	} else {
		clientID = r.PostForm.Get("client_id")
	}
	details := map[string]string{}
	if hint := r.PostForm.Get("token_type_hint"); hint == "access_token" || hint == "refresh_token" {
		details["token_type_hint"] = hint
	}
	rec.RecordRequest(r, audit.TokenRevoked, audit.Success, "", clientID, details)
}

func grantType(ar fosite.AccessRequester) string {
	for _, g := range SupportedGrantTypes {
		if ar.GetGrantTypes().ExactOne(g) {
			return g
		}
	}
	return ""
}

// sessionUser is the user a session's tokens belong to ("" for a
// client's own tokens).
func sessionUser(s *Session) string {
	if s == nil || !s.User {
		return ""
	}
	return s.GetSubject()
}

// recordPasswordFailure records audit.LoginFailure for a password grant
// refused for its credentials, as the login page does for its form: the
// email only when it is a well-formed address (people type passwords into
// the wrong field), never the password.
func (t *Token) recordPasswordFailure(r *http.Request, ar fosite.AccessRequester, err error) {
	if r.PostForm.Get("grant_type") != "password" || !errors.Is(err, accounts.ErrInvalidCredentials) {
		return
	}
	var clientID string
	if ar != nil && ar.GetClient() != nil {
		clientID = ar.GetClient().GetID()
	}
	details := map[string]string{"method": "password_grant", "email_valid": "false"}
	if email, err := accounts.NormalizeEmail(r.PostForm.Get("username")); err == nil {
		details = map[string]string{"method": "password_grant", "email": email}
	}
	t.Audit.RecordRequest(r, audit.LoginFailure, audit.Failure, "", clientID, details)
}

// recordExchange records audit.TokenExchanged for a token exchange: the
// subject (user), the client, the actor and the client the subject token
// was issued to; never a token.
func (t *Token) recordExchange(r *http.Request, ar fosite.AccessRequester, sess *Session) {
	if !ar.GetGrantTypes().ExactOne(clients.GrantTokenExchange) {
		return
	}
	details := map[string]string{"subject": sess.Subject, "subject_token_type": ar.GetRequestForm().Get("subject_token_type")}
	if sess.Act != nil {
		actor, _ := sess.Act["sub"].(string)
		details["actor"] = actor
	}
	if sess.User {
		details["user"] = sess.Subject
	}
	t.Audit.RecordRequest(r, audit.TokenExchanged, audit.Success, sessionUser(sess), ar.GetClient().GetID(), details)
}
