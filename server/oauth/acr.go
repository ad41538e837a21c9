package oauth

import (
	"context"
	"net/url"
	"slices"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Where the authorization endpoint sends a signed-in person whose session
// is below what the request needs: the second-factor page, or the security
// page to set one up.
const (
	pathLoginMFA = "/login/mfa"
	pathSecurity = "/account/security"
)

// FactorChecker tells which second factors a person has; *mfa.Registry
// implements it.
type FactorChecker interface {
	// BestACR returns the highest acr the user can reach with a second
	// factor ("" without one).
	BestACR(ctx context.Context, userID string) (string, error)
}

// SecondFactorPolicy is who must use a second factor: the
// authorization endpoint and the password grant apply it.
type SecondFactorPolicy struct {
	// Factors lists people's second factors; nil turns second factors
	// off.
	Factors FactorChecker
	// RequiredRoles are mfa.required_roles: a person holding one must
	// have and use a second factor.
	RequiredRoles []string
}

// forced reports whether user must use a second factor whatever the
// request asks: a required role, or a client registered with require_mfa.
func (p SecondFactorPolicy) forced(user storage.User, c fosite.Client) bool {
	if cl, ok := c.(*client); ok && cl.requireMFA {
		return true
	}
	for _, role := range user.Roles {
		if slices.Contains(p.RequiredRoles, role) {
			return true
		}
	}
	return false
}

// requestedACR is the class an authorization request asks for: the
// lowest known value of acr_values, at least mfa for a client registered
// with require_mfa.
func requestedACR(ar fosite.Requester) string {
	want := mfa.Requested(ar.GetRequestForm().Get("acr_values"))
	if cl, ok := ar.GetClient().(*client); ok && cl.requireMFA {
		want = mfa.Higher(want, mfa.ACRMFA)
	}
	return want
}

// sessionACR is a browser session's class; a session from before second
// factors was a password sign-in.
func sessionACR(bs storage.BrowserSession) string {
	if bs.ACR == "" {
		return mfa.ACRPassword
	}
	return bs.ACR
}

// sessionAMR is a browser session's amr claim.
func sessionAMR(bs storage.BrowserSession) []string {
	if len(bs.Factors) == 0 {
		return []string{mfa.AMRPassword}
	}
	return mfa.AMR(bs.Factors)
}

// stepUp decides whether a signed-in person must do more before a code
// is issued: it returns the page to send them to ("" for none). A session
// below what the request needs goes to the second-factor page when the
// person has a factor that reaches higher; someone who must use a second
// factor (required role, require_mfa client) and has none goes to set one
// up. A request asking for more than the person can reach (acr_values=phr
// without a passkey) gets what they can reach: the acr claim says which.
func (a *Authorize) stepUp(ctx context.Context, ar fosite.AuthorizeRequester, user storage.User, bs storage.BrowserSession, flow string) (string, error) {
	p := a.SecondFactors
	if p.Factors == nil {
		return "", nil
	}
	want := requestedACR(ar)
	forced := p.forced(user, ar.GetClient())
	if forced {
		want = mfa.Higher(want, mfa.ACRMFA)
	}
	have := sessionACR(bs)
	if mfa.Satisfies(have, want) {
		return "", nil
	}
	best, err := p.Factors.BestACR(ctx, user.ID)
	if err != nil {
		return "", err
	}
	target := want
	if mfa.Level(best) < mfa.Level(target) {
		target = best
	}
	q := url.Values{"flow": {flow}}.Encode()
	switch {
	case target != "" && !mfa.Satisfies(have, target):
		return pathLoginMFA + "?" + q, nil
	case forced && best == "":
		return pathSecurity + "?" + q, nil
	}
	return "", nil
}
