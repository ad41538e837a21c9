package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ory/fosite"

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
	r2 := r.Clone(r.Context())
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

// checkCodeRequest rejects, before anyone is asked to sign in, clients
// not registered for the code grant and requests without an S256 PKCE
// code challenge.
func checkCodeRequest(ar fosite.AuthorizeRequester) error {
	if !ar.GetClient().GetGrantTypes().Has("authorization_code") {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not allowed to use the authorization_code grant.")
	}
	form := ar.GetRequestForm()
	if form.Get("code_challenge") == "" {
		return fosite.ErrInvalidRequest.WithHint("PKCE is required: send code_challenge with code_challenge_method=S256.")
	}
	if form.Get("code_challenge_method") != "S256" {
		return fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported.")
	}
	return nil
}

// tooOld reports whether max_age demands a fresh login.
func (a *Authorize) tooOld(form url.Values, bs storage.BrowserSession) bool {
	raw := form.Get("max_age")
	if raw == "" {
		return false
	}
	maxAge, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || maxAge < 0 {
		return false // fosite has rejected malformed values already
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
