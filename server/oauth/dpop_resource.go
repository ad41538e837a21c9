package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// AccessTokenFromHeader returns the access token of the Authorization
// header, sent with the Bearer or the DPoP scheme, and whether the scheme
// was DPoP; "" when the header carries neither.
func AccessTokenFromHeader(r *http.Request) (token string, dpop bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case !ok:
		return "", false
	case strings.EqualFold(scheme, "Bearer"):
		return strings.TrimSpace(tok), false
	case strings.EqualFold(scheme, "DPoP"):
		return strings.TrimSpace(tok), true
	}
	return "", false
}

// checkBinding checks, at a resource endpoint of this server, how token
// was presented: a DPoP-bound token (jkt set) only with the DPoP scheme
// and a valid proof of that key for this request, with ath (RFC 9449
// section 7); the DPoP scheme only with a bound token. It returns nil, a
// *DPoPError (which is an ErrInvalidToken), or a storage failure.
func (p *Provider) checkBinding(ctx context.Context, r *http.Request, token, jkt string) error {
	_, dpopScheme := AccessTokenFromHeader(r)
	switch {
	case jkt == "" && !dpopScheme:
		return nil
	case p.dpop == nil:
		return &DPoPError{Code: "invalid_token", Description: "DPoP-bound tokens are not accepted here."}
	case jkt == "":
		return &DPoPError{Code: "invalid_token", Description: "The access token is not DPoP-bound: send it with the Bearer scheme."}
	case !dpopScheme:
		return &DPoPError{Code: "invalid_token", Description: "The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof."}
	}
	// The escaped path: a percent-encoded segment (a client ID that is a
	// URL) is compared as sent, never as its decoded segments.
	proof, err := p.dpop.verify(ctx, r, p.issuer+r.URL.EscapedPath(), token)
	if err != nil {
		return err
	}
	if proof.JKT != jkt {
		return invalidProof("The DPoP proof is signed with another key than the token is bound to.")
	}
	return nil
}

// DPoPChallenge returns the WWW-Authenticate value and the DPoP-Nonce
// header (or "") answering err, when err is a refused DPoP proof or a
// token presented the wrong way; ok is false for any other error.
func (v *BearerVerifier) DPoPChallenge(err error) (wwwAuthenticate, nonce string, ok bool) {
	var de *DPoPError
	if v.Provider.dpop == nil || !errors.As(err, &de) {
		return "", "", false
	}
	return v.Provider.dpop.challenge(de.Code, de.Description), de.Nonce, true
}

// SetDPoPChallenge sets the headers of DPoPChallenge on w and reports
// whether it did.
func (v *BearerVerifier) SetDPoPChallenge(w http.ResponseWriter, err error) bool {
	h, nonce, ok := v.DPoPChallenge(err)
	if !ok {
		return false
	}
	w.Header().Set("WWW-Authenticate", h)
	if nonce != "" {
		w.Header().Set("DPoP-Nonce", nonce)
	}
	return true
}
