package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// flowRequest rebuilds the original authorization request from flow as a
// GET on the authorization endpoint, and reports whether flow carries a
// valid proof that the person signed in during this flow.
func (a *Authorize) flowRequest(r *http.Request, flow string) (*http.Request, bool, error) {
	q, err := url.ParseQuery(flow)
	if err != nil {
		return nil, false, fmt.Errorf("oauth: malformed flow: %w", err)
	}
	proof := q.Get(loginProofParam)
	q.Del(loginProofParam)
	proven := false
	if proof != "" {
		cur, err := a.Sessions.Current(r)
		proven = err == nil && hmac.Equal([]byte(proof), []byte(a.loginProof(cur.Session.ID, q.Encode())))
	}
	ctx := r.Context()
	if parProof := q.Get(parProofParam); parProof != "" {
		q.Del(parProofParam)
		if hmac.Equal([]byte(parProof), []byte(a.parProof(q.Encode()))) {
			ctx = context.WithValue(ctx, pushedKey{}, true)
		}
	}
	r2 := r.Clone(ctx)
	r2.Method = http.MethodGet
	r2.URL = &url.URL{Path: PathAuthorize, RawQuery: q.Encode()}
	r2.Body, r2.ContentLength, r2.Form, r2.PostForm = http.NoBody, 0, nil, nil
	r2.Header.Del("Content-Type")
	return r2, proven, nil
}

// stripRequestObjects removes the OIDC request and request_uri parameters,
// which Gatehouse does not support, and returns the error to answer with
// once the client and redirect URI are validated (nil when neither was
// sent). Left in, fosite would fail on them before validating the redirect
// URI, and the person would see an error page instead of the client
// getting request_not_supported (OpenID Connect Core section 6).
func stripRequestObjects(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return nil // fosite reports the malformed request itself
	}
	var err error
	switch {
	case r.Form.Has("request"):
		err = fosite.ErrRequestNotSupported
	case r.Form.Has("request_uri"):
		err = fosite.ErrRequestURINotSupported
	default:
		return nil
	}
	r.Form.Del("request")
	r.Form.Del("request_uri")
	return err
}

// UnheldScopes are standard OpenID Connect scopes (Core section 5.4) whose
// claims Gatehouse does not hold. An OpenID request asking for them gets
// the rest: Core section 3.1.2.1 has a server ignore scope values it does
// not understand, and relying parties (authlib, the OpenID Foundation's
// test plans) ask for them by default.
var UnheldScopes = []string{"address", "phone"}

// dropUnheldScopes removes UnheldScopes from the scope of an OpenID
// request, before fosite checks the scopes against the client's.
func dropUnheldScopes(form url.Values) {
	if len(form["scope"]) != 1 {
		return // absent, or repeated: refused as such later
	}
	scopes := strings.Fields(form.Get("scope"))
	if !slices.Contains(scopes, "openid") {
		return
	}
	kept := slices.DeleteFunc(scopes, func(s string) bool { return slices.Contains(UnheldScopes, s) })
	form.Set("scope", strings.Join(kept, " "))
}

// checkCodeRequest rejects, before anyone is asked to sign in, clients
// not registered for the code grant and requests without an S256 PKCE
// code challenge.
func checkCodeRequest(ar fosite.AuthorizeRequester) error {
	if !ar.GetClient().GetGrantTypes().Has("authorization_code") {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not allowed to use the authorization_code grant.")
	}
	form := ar.GetRequestForm()
	if err := checkMaxAge(form.Get("max_age")); err != nil {
		return err
	}
	if err := checkPrompt(form.Get("prompt")); err != nil {
		return err
	}
	if err := checkPKCE(ar.GetClient(), form); err != nil {
		return err
	}
	if err := checkSingleValues(form); err != nil {
		return err
	}
	if n := form.Get("nonce"); n != "" && len(n) < fosite.MinParameterEntropy {
		// Refused here, not at the code exchange after the person has
		// signed in and consented.
		return fosite.ErrInvalidRequest.WithHintf("The nonce must be at least %d characters.", fosite.MinParameterEntropy)
	}
	if hint := form.Get("id_token_hint"); hint != "" && isAccessToken(hint) {
		return fosite.ErrInvalidRequest.WithHint("The id_token_hint is an access token, not an ID token.")
	}
	return nil
}

// SupportedPrompts are the prompt values Gatehouse acts on, as discovery
// lists them.
var SupportedPrompts = []string{"none", "login", "consent", "select_account"}

// checkPrompt refuses unknown prompt values and none with any other
// (OpenID Connect Core section 3.1.2.1), before the session is looked at:
// "none login" would otherwise read as login_required.
func checkPrompt(raw string) error {
	values := strings.Fields(raw)
	for _, v := range values {
		if !slices.Contains(SupportedPrompts, v) {
			return fosite.ErrInvalidRequest.WithHintf("The prompt value %q is not supported.", v)
		}
	}
	if slices.Contains(values, "none") && len(values) > 1 {
		return fosite.ErrInvalidRequest.WithHint("The prompt value none cannot be combined with another value.")
	}
	return nil
}

// checkPKCE requires an S256 code challenge, except of a confidential
// client registered with PKCE optional that sends none. A challenge sent
// is always checked at the token endpoint (fosite keeps it with the code),
// so leaving PKCE out is never a downgrade of a flow that began with it.
func checkPKCE(c fosite.Client, form url.Values) error {
	if form.Get("code_challenge") == "" && form.Get("code_challenge_method") == "" {
		if gc, ok := c.(*client); ok && gc.pkceOptional && !c.IsPublic() {
			return nil
		}
	}
	if form.Get("code_challenge") == "" {
		return fosite.ErrInvalidRequest.WithHint("PKCE is required: send code_challenge with code_challenge_method=S256.")
	}
	if form.Get("code_challenge_method") != "S256" {
		return fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported.")
	}
	if c := form.Get("code_challenge"); len(c) != 43 || strings.Trim(c, base64URLAlphabet) != "" {
		// RFC 7636 section 4.2: an S256 challenge is the 43-character
		// base64url SHA-256 of the verifier; anything else could never be
		// redeemed.
		return fosite.ErrInvalidRequest.WithHint("The code_challenge is not a base64url-encoded SHA-256 hash.")
	}
	return nil
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// isAccessToken reports whether a compact JWT's header says typ at+jwt
// (RFC 9068 section 4: never accept one where an ID token is expected).
func isAccessToken(token string) bool {
	header, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	var h struct {
		Typ string `json:"typ"`
	}
	return json.Unmarshal(raw, &h) == nil && strings.EqualFold(strings.TrimPrefix(strings.ToLower(h.Typ), "application/"), "at+jwt")
}

// checkRedirectShape refuses a requested redirect_uri that no registered
// one may stand for (clients.CheckRedirectURIShape): fosite matches a
// loopback URI on any port by its decoded path, whatever its userinfo.
func checkRedirectShape(raw string) error {
	if raw == "" {
		return nil
	}
	if err := clients.CheckRedirectURIShape(raw); err != nil {
		return fosite.ErrInvalidRequest.WithHintf("The redirect_uri %s.", err.Error())
	}
	return nil
}

// maxMaxAge is the largest max_age in seconds that a time.Duration holds
// (about 292 years): fosite multiplies max_age into one, so a larger value
// would overflow into "too old".
const maxMaxAge = int64(math.MaxInt64 / time.Second)

// clampMaxAge lowers a max_age beyond maxMaxAge to it, before fosite reads
// it: no session is that old either way. r's form must be parsed.
func clampMaxAge(r *http.Request) {
	raw := r.Form.Get("max_age")
	if raw == "" || checkMaxAge(raw) != nil {
		return
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err != nil || n > maxMaxAge {
		r.Form.Set("max_age", strconv.FormatInt(maxMaxAge, 10))
	}
}

// checkMaxAge refuses a max_age that is not a non-negative integer
// (OpenID Connect Core section 3.1.2.1: seconds); empty is absent.
func checkMaxAge(raw string) error {
	if raw != "" && strings.Trim(raw, "0123456789") != "" {
		return fosite.ErrInvalidRequest.WithHint("The max_age parameter must be a non-negative integer (seconds).")
	}
	return nil
}

// tooOld reports whether max_age demands a fresh login. A max_age beyond
// what a time.Duration holds (about 292 years) never does.
func (a *Authorize) tooOld(form url.Values, bs storage.BrowserSession) bool {
	raw := form.Get("max_age")
	if raw == "" || checkMaxAge(raw) != nil {
		return false
	}
	maxAge, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || maxAge > maxMaxAge {
		return false // more seconds than any session can be old
	}
	return a.Now().Sub(bs.AuthTime) > time.Duration(maxAge)*time.Second
}

// loginProof binds "signed in during this flow" to the browser session and
// the exact flow.
func (a *Authorize) loginProof(sessionID, flow string) string {
	mac := hmac.New(sha256.New, a.proofKey)
	mac.Write([]byte(sessionID + "\x00" + flow))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}
