package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Token types of RFC 8693 section 3 that Gatehouse takes and issues.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
)

// errInvalidTarget refuses an audience or resource the client may not
// have a token for (RFC 8693 section 2.2.2).
var errInvalidTarget = &fosite.RFC6749Error{ErrorField: "invalid_target", CodeField: http.StatusBadRequest,
	DescriptionField: "The requested audience or resource is not one this client may have a token for."}

// exchangeSubject is a validated subject or actor token.
type exchangeSubject struct {
	Subject  string
	ClientID string // the client the token was issued to
	User     bool
	Roles    []string
	// Scopes and Audience are what the token was granted ("" scopes for
	// an ID token, which carries none).
	Scopes   fosite.Arguments
	Audience []string
	// RequestID is the token's family, for an access token; "" for an ID
	// token.
	RequestID string
	Act       map[string]any
	JKT       string
}

// exchangeHandler is the token-exchange grant (RFC 8693), a fosite
// TokenEndpointHandler. The subject token is an access token of this
// server that names the requesting client (issued to it, or with it in
// its audience), or an ID token issued to the requesting client. The new
// access token acts for the subject; it names an actor (act) unless the
// client may impersonate: the actor token's subject, or else the client.
// Scopes only narrow the subject token's and the client's; audiences
// must be allowed for the client. An exchanged access token joins the
// subject token's family, so revoking that family revokes it too.
type exchangeHandler struct {
	issuer
	provider *Provider // set once composed, for introspection
}

var _ fosite.TokenEndpointHandler = (*exchangeHandler)(nil)

// HandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (h *exchangeHandler) HandleTokenEndpointRequest(ctx context.Context, ar fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	client := ar.GetClient()
	if !client.GetGrantTypes().Has(clients.GrantTokenExchange) {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not allowed to use the token-exchange grant.")
	}
	if client.IsPublic() {
		return fosite.ErrUnauthorizedClient.WithHint("A public client cannot exchange tokens.")
	}
	form := ar.GetRequestForm()
	if rt := form.Get("requested_token_type"); rt != "" && rt != TokenTypeAccessToken {
		return fosite.ErrInvalidRequest.WithHint("Only access tokens are issued (requested_token_type urn:ietf:params:oauth:token-type:access_token).")
	}
	subject, err := h.token(ctx, form.Get("subject_token"), form.Get("subject_token_type"), client.GetID(), "subject_token")
	if err != nil {
		return err
	}
	if subject.JKT != "" && subject.JKT != proofJKT(ctx) {
		return fosite.ErrInvalidRequest.WithHint("The subject token is DPoP-bound: send a DPoP proof signed with its key.")
	}
	act, err := h.actor(ctx, ar, subject)
	if err != nil {
		return err
	}
	if err := h.narrow(ctx, ar, subject); err != nil {
		return err
	}
	sess, ok := ar.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
	}
	sess.ClientID, sess.Subject, sess.User, sess.Act = client.GetID(), subject.Subject, subject.User, act
	sess.Exchanged = true
	sess.Roles = slices.Clone(subject.Roles)
	sess.Claims.Subject = subject.Subject
	now := time.Now().UTC().Truncate(time.Second)
	sess.Claims.AuthTime, sess.Claims.RequestedAt = now, now
	if subject.RequestID != "" {
		ar.SetID(subject.RequestID) // the subject's family
	}
	h.setExpiry(ctx, ar, fosite.GrantType(clients.GrantTokenExchange))
	return nil
}

// actor returns the act claim of the new token: the actor token's
// subject (delegation), else the client, unless it may impersonate;
// earlier actors of the subject token nest inside (section 4.1).
func (h *exchangeHandler) actor(ctx context.Context, ar fosite.AccessRequester, subject exchangeSubject) (map[string]any, error) {
	form := ar.GetRequestForm()
	c := ar.GetClient()
	var act map[string]any
	switch {
	case form.Get("actor_token") != "":
		actor, err := h.token(ctx, form.Get("actor_token"), form.Get("actor_token_type"), c.GetID(), "actor_token")
		if err != nil {
			return nil, err
		}
		if actor.JKT != "" && actor.JKT != proofJKT(ctx) {
			return nil, fosite.ErrInvalidRequest.WithHint("The actor token is DPoP-bound: send a DPoP proof signed with its key.")
		}
		act = map[string]any{"sub": actor.Subject}
		if actor.ClientID != "" && actor.ClientID != actor.Subject {
			act["client_id"] = actor.ClientID
		}
	case form.Get("actor_token_type") != "":
		return nil, fosite.ErrInvalidRequest.WithHint("actor_token_type was sent without an actor_token.")
	default:
		if gc, ok := c.(*client); ok && gc.allowImpersonation {
			return subject.Act, nil
		}
		act = map[string]any{"sub": c.GetID()}
	}
	if subject.Act != nil {
		act["act"] = subject.Act
	}
	return act, nil
}

// narrow grants the requested scopes, each held by the subject token (for
// an access token) and allowed for the client, or by default what both
// allow; never offline_access (no refresh token is issued). Audiences and
// resources (an alias) must be allowed for the client; by default the
// subject token's that are.
func (h *exchangeHandler) narrow(ctx context.Context, ar fosite.AccessRequester, subject exchangeSubject) error {
	client := ar.GetClient()
	allowed := func(s string) bool {
		return s != "offline_access" && h.config.GetScopeStrategy(ctx)(client.GetScopes(), s) &&
			(subject.RequestID == "" || subject.Scopes.Has(s))
	}
	requested := ar.GetRequestedScopes()
	if len(requested) == 0 && subject.RequestID != "" {
		requested = subject.Scopes
	}
	for _, s := range requested {
		if !allowed(s) {
			if len(ar.GetRequestedScopes()) == 0 {
				continue // a default: left out quietly
			}
			return fosite.ErrInvalidScope.WithHintf("The scope %q is beyond what the subject token and the client allow.", s)
		}
		ar.GrantScope(s)
	}
	audience := slices.Concat(ar.GetRequestedAudience(), ar.GetRequestForm()["resource"])
	audOK := func(a string) bool {
		return h.config.GetAudienceStrategy(ctx)(client.GetAudience(), []string{a}) == nil
	}
	for _, a := range audience {
		if !audOK(a) {
			return errInvalidTarget
		}
		ar.GrantAudience(a)
	}
	if err := h.provider.checkResources(client, audience, ar.GetGrantedScopes()); err != nil {
		return err
	}
	if len(audience) == 0 {
		for _, a := range subject.Audience {
			if audOK(a) {
				ar.GrantAudience(a)
			}
		}
	}
	if len(ar.GetGrantedAudience()) == 0 {
		ar.GrantAudience(client.GetID())
	}
	return nil
}

// token validates a subject or actor token of typ for clientID.
func (h *exchangeHandler) token(ctx context.Context, raw, typ, clientID, param string) (exchangeSubject, error) {
	if raw == "" {
		return exchangeSubject{}, fosite.ErrInvalidRequest.WithHintf("The %s parameter is missing.", param)
	}
	switch typ {
	case TokenTypeAccessToken:
		return h.accessToken(ctx, raw, clientID, param)
	case TokenTypeIDToken:
		return h.idToken(ctx, raw, clientID, param)
	case "":
		return exchangeSubject{}, fosite.ErrInvalidRequest.WithHintf("The %s_type parameter is missing.", param)
	}
	return exchangeSubject{}, fosite.ErrInvalidRequest.WithHintf("The %s_type is not one this server takes (access_token or id_token).", param)
}

// accessToken validates an access token of this server (signature,
// expiry, revocation) that was issued to clientID or names it in its
// audience.
func (h *exchangeHandler) accessToken(ctx context.Context, raw, clientID, param string) (exchangeSubject, error) {
	sess := NewSession()
	use, ar, err := h.provider.IntrospectToken(ctx, raw, fosite.AccessToken, sess)
	if errors.Is(err, ErrStorageUnavailable) {
		return exchangeSubject{}, err
	}
	if err != nil || use != fosite.AccessToken {
		return exchangeSubject{}, fosite.ErrInvalidRequest.WithHintf("The %s is not an active access token of this server.", param)
	}
	if ar.GetClient().GetID() != clientID && !slices.Contains(ar.GetGrantedAudience(), clientID) {
		return exchangeSubject{}, fosite.ErrInvalidRequest.WithHintf("The %s was neither issued to this client nor has it in its audience.", param)
	}
	return exchangeSubject{
		Subject: sess.Subject, ClientID: sess.ClientID, User: sess.User, Roles: sess.Roles,
		Scopes: ar.GetGrantedScopes(), Audience: ar.GetGrantedAudience(), RequestID: ar.GetID(),
		Act: sess.Act, JKT: sess.JKT,
	}, nil
}

// idToken validates an ID token this server signed for clientID, unexpired.
func (h *exchangeHandler) idToken(ctx context.Context, raw, clientID, param string) (exchangeSubject, error) {
	bad := fosite.ErrInvalidRequest.WithHintf("The %s is not a valid, unexpired ID token this server issued to this client.", param)
	if isAccessToken(raw) {
		return exchangeSubject{}, bad
	}
	tok, err := h.provider.signer.Decode(ctx, raw)
	if err != nil || tok == nil || !tok.Valid() {
		return exchangeSubject{}, bad
	}
	claims := tok.Claims
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	exp, ok := numericClaim(claims["exp"])
	if !ok || iss != h.provider.issuer || sub == "" || time.Now().After(time.Unix(exp, 0)) || !claimsAudience(claims["aud"], clientID) {
		return exchangeSubject{}, bad
	}
	if typ, _ := tok.Header["typ"].(string); (typ != "" && !strings.EqualFold(typ, "JWT")) || claims["auth_time"] == nil {
		return exchangeSubject{}, bad // another kind of JWT this server signs
	}
	return h.idTokenGrant(ctx, sub, clientID, claims, param)
}

// idTokenGrant is what an ID token of sub for clientID may be exchanged
// for. An ID token carries no grant and cannot be revoked, so it stands
// for the grant its browser session (its sid) gave the client: the
// session must still be live and have given clientID tokens, the
// exchanged token joins that grant (ending the session revokes it), and
// the scopes are at most what the person consented to for the client,
// never the admin scope.
func (h *exchangeHandler) idTokenGrant(ctx context.Context, sub, clientID string, claims map[string]any, param string) (exchangeSubject, error) {
	ended := fosite.ErrInvalidRequest.WithHintf("The %s belongs to a browser session that has ended, or that gave this client no tokens.", param)
	sid, _ := claims["sid"].(string)
	if sid == "" {
		return exchangeSubject{}, ended
	}
	db := h.provider.store.db
	given, err := db.ListSessionClients(ctx, sid)
	if err != nil {
		return exchangeSubject{}, fosite.ErrServerError.WithWrap(storageFailure(err))
	}
	var requestID string
	for _, sc := range given {
		if sc.ClientID == clientID {
			requestID = sc.RequestID // the latest grant of the session to the client
		}
	}
	if requestID == "" {
		return exchangeSubject{}, ended
	}
	scopes := fosite.Arguments{"openid"}
	consent, err := db.GetConsent(ctx, sub, clientID)
	switch {
	case err == nil:
		scopes = fosite.Arguments(slices.DeleteFunc(slices.Clone(consent.Scopes), func(s string) bool { return s == ScopeAdmin }))
	case !errors.Is(err, storage.ErrNotFound):
		return exchangeSubject{}, fosite.ErrServerError.WithWrap(storageFailure(err))
	}
	return exchangeSubject{Subject: sub, ClientID: clientID, User: true, Scopes: scopes, RequestID: requestID}, nil
}

// numericClaim reads a JWT NumericDate as the decoder left it.
func numericClaim(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// claimsAudience reports whether a JWT aud (a string or a list) holds id.
func claimsAudience(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		for _, v := range a {
			if s, _ := v.(string); s == id {
				return true
			}
		}
	}
	return false
}

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler:
// an access token, no refresh token, and issued_token_type.
func (h *exchangeHandler) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	if err := h.issue(ctx, ar, resp, false); err != nil {
		return err
	}
	resp.SetExtra("issued_token_type", TokenTypeAccessToken)
	return nil
}

// CanSkipClientAuth implements fosite.TokenEndpointHandler.
func (h *exchangeHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return false
}

// CanHandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (h *exchangeHandler) CanHandleTokenEndpointRequest(_ context.Context, ar fosite.AccessRequester) bool {
	return ar.GetGrantTypes().ExactOne(clients.GrantTokenExchange)
}

// proofKey carries the token request's DPoP key thumbprint to the grant
// handlers.
type proofKey struct{}

func withProofJKT(ctx context.Context, jkt string) context.Context {
	if jkt == "" {
		return ctx
	}
	return context.WithValue(ctx, proofKey{}, jkt)
}

func proofJKT(ctx context.Context) string {
	s, _ := ctx.Value(proofKey{}).(string)
	return s
}
