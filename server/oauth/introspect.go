package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ory/fosite"
)

// Introspect is the RFC 7662 introspection endpoint. Only a confidential
// client that proves its secret (client_secret_basic or client_secret_post)
// is heard, never the holder of a bearer token; it learns about the tokens
// issued to it, or about any token when it is registered as a resource
// server (introspect_any). Every other token reads {"active": false}. The
// answer consults storage, so revoked tokens are inactive at once.
type Introspect struct {
	Provider *Provider
	Logger   *slog.Logger
}

// IntrospectionAuthMethods are the client authentication methods the
// introspection endpoint accepts, as discovery advertises them.
var IntrospectionAuthMethods = []string{"client_secret_basic", "client_secret_post"}

// ServeHTTP handles one introspection request.
func (h *Introspect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller, err := h.authenticate(ctx, r)
	if err != nil {
		h.unauthorized(ctx, w, err)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		h.Provider.WriteIntrospectionError(ctx, w, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	use, ar, err := h.Provider.IntrospectToken(ctx, token, fosite.TokenUse(r.PostForm.Get("token_type_hint")), NewSession())
	if err != nil {
		if !isInactive(err) {
			logError(ctx, h.Logger, "introspection", err)
		}
		h.Provider.WriteIntrospectionError(ctx, w, fosite.ErrInactiveToken.WithWrap(err))
		return
	}
	if !mayIntrospect(caller, ar.GetClient()) {
		// RFC 7662 section 4: the server decides who may ask; a client
		// that may not is told no more than about an unknown token.
		_ = writeIntrospection(w, map[string]any{"active": false}) // cannot fail
		return
	}
	if err := writeIntrospection(w, h.describe(use, ar)); err != nil {
		logError(ctx, h.Logger, "introspection", err)
		h.Provider.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), fosite.ErrServerError.WithWrap(err))
	}
}

// describe is the answer about an active token: fosite's members (its
// extra claims, then exp, client_id, scope, iat, sub, aud and username,
// which the extra claims cannot override) and, from RFC 7662 section 2.2,
// iss and, for an access token, token_type as the token response gave it
// (RFC 6749 section 5.1): "DPoP" for a token bound to a key (RFC 9449),
// else "bearer". A refresh token has no token type, so a resource server
// that checks it never takes one for an access token; its exp is its own
// expiry, where fosite's writer reports its access token's.
func (h *Introspect) describe(use fosite.TokenUse, ar fosite.AccessRequester) map[string]any {
	sess := ar.GetSession()
	out := map[string]any{}
	if extra, ok := sess.(fosite.ExtraClaimsSession); ok {
		for name, v := range extra.GetExtraClaims() {
			switch name {
			case "exp", "client_id", "scope", "iat", "sub", "aud", "username", "iss", "token_type":
			default:
				out[name] = v
			}
		}
	}
	out["active"] = true
	out["iss"] = h.Provider.issuer
	exp := sess.GetExpiresAt(fosite.AccessToken)
	if use == fosite.RefreshToken {
		exp = sess.GetExpiresAt(fosite.RefreshToken)
	} else {
		out["token_type"] = fosite.BearerAccessToken
		if s, ok := sess.(*Session); ok && s.JKT != "" {
			out["token_type"] = dpopTokenType
		}
	}
	if !exp.IsZero() {
		out["exp"] = exp.Unix()
	}
	if id := ar.GetClient().GetID(); id != "" {
		out["client_id"] = id
	}
	if scopes := ar.GetGrantedScopes(); len(scopes) > 0 {
		out["scope"] = strings.Join(scopes, " ")
	}
	if at := ar.GetRequestedAt(); !at.IsZero() {
		out["iat"] = at.Unix()
	}
	if sub := sess.GetSubject(); sub != "" {
		out["sub"] = sub
	}
	if aud := ar.GetGrantedAudience(); len(aud) > 0 {
		out["aud"] = []string(aud)
	}
	if name := sess.GetUsername(); name != "" {
		out["username"] = name
	}
	return out
}

// authenticate returns the calling client, which must be confidential and
// prove its secret. fosite's NewIntrospectionRequest is not used: it takes
// an access_token parameter or a bearer header as the caller's credentials
// and then skips the client check, so anyone holding any access token
// could ask about every other token.
func (h *Introspect) authenticate(ctx context.Context, r *http.Request) (fosite.Client, error) {
	if r.Method != http.MethodPost {
		return nil, fosite.ErrInvalidRequest.WithHint("Introspection requests are POSTed.")
	}
	if err := r.ParseForm(); err != nil {
		return nil, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed.").WithWrap(err)
	}
	if err := checkSingleValues(r.PostForm); err != nil {
		return nil, err
	}
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "DPoP") || r.PostForm.Has("access_token") {
		return nil, fosite.ErrInvalidClient.WithHint("Authenticate as a confidential client (client_secret_basic or client_secret_post), not with a token.")
	}
	if err := checkClientAuth(r); err != nil {
		return nil, err
	}
	c, err := h.Provider.authenticateClient(ctx, r, r.PostForm)
	if err != nil {
		return nil, err
	}
	if c.IsPublic() {
		return nil, fosite.ErrInvalidClient.WithHint("A public client cannot introspect tokens.")
	}
	return c, nil
}

// unauthorized answers a failed client authentication: 401 invalid_client
// with a Basic challenge. A malformed request keeps its own error.
func (h *Introspect) unauthorized(ctx context.Context, w http.ResponseWriter, err error) {
	rfc := publicError(err)
	if rfc.CodeField >= http.StatusInternalServerError {
		logError(ctx, h.Logger, "introspection client authentication", err)
		h.Provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	if rfc.ErrorField == fosite.ErrInvalidRequest.ErrorField {
		h.Provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	h.Provider.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), fosite.ErrInvalidClient.WithWrap(err))
}
