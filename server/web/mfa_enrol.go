package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/session"
)

// mayChangeFactors reports whether cur's session may add a second factor
// or make recovery codes. A person who has a second factor must have used
// one in this session, up to the best class their factors reach: adding a
// factor raises the session to it, so a session signed in with the
// password alone (one from before the person enrolled, or a stolen
// password) could otherwise reach mfa, or phr with the attacker's own
// passkey, or mint recovery codes, without the factor the person has.
// Someone with no second factor yet may enrol from a password session.
func (h *SecondFactor) mayChangeFactors(ctx context.Context, cur session.Current) (bool, error) {
	best, err := h.mfa.Registry.BestACR(ctx, cur.User.ID)
	if err != nil {
		return false, err
	}
	return mfa.Satisfies(mfa.ACRFor(sessionFactors(cur.Session)), best), nil
}

// mayRemoveFactors reports whether cur's session may remove a second
// factor: when the person has one, the session must have used one (any:
// someone who lost a passkey removes it after signing in with their
// app). Removing raises no session, so the best class is not asked for.
func (h *SecondFactor) mayRemoveFactors(ctx context.Context, cur session.Current) (bool, error) {
	best, err := h.mfa.Registry.BestACR(ctx, cur.User.ID)
	if err != nil || best == "" {
		return err == nil, err
	}
	return mfa.Satisfies(mfa.ACRFor(sessionFactors(cur.Session)), mfa.ACRMFA), nil
}

// stepUpFirst sends the browser to /login/mfa to use a current factor,
// then back to returnTo (a path on this server).
func stepUpFirst(w http.ResponseWriter, r *http.Request, returnTo string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, PathLoginMFA+"?return_to="+url.QueryEscape(returnTo), http.StatusSeeOther)
}

// gateFactorChange answers a request to change factors that cur's session
// may not make (mayChangeFactors) with a step-up to returnTo, or a server
// error; it reports whether the caller may go on.
func (h *SecondFactor) gateFactorChange(w http.ResponseWriter, r *http.Request, cur session.Current, returnTo string) bool {
	ok, err := h.mayChangeFactors(r.Context(), cur)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return false
	}
	if !ok {
		stepUpFirst(w, r, returnTo)
	}
	return ok
}
