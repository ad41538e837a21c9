package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Paths of the second-factor pages.
const (
	PathLoginMFA      = "/login/mfa"
	PathSecurity      = "/account/security"
	PathTOTP          = "/account/totp"
	PathTOTPRemove    = "/account/totp/remove"
	PathRecoveryCodes = "/account/recovery-codes"
)

// SecondFactor serves /login/mfa and the second-factor parts of the
// account (/account/security, /account/totp, /account/recovery-codes).
// It is also the hook other factor kinds (passkeys) use; see
// ../shared/mfa-hooks.md: Pending and Complete finish a sign-in waiting
// for its second factor, SignInWith signs in without a password,
// ConfirmIdentity is the check before removing a factor, and
// AddSecuritySection adds a part to the security page.
type SecondFactor struct {
	*base
	*flows
	store    storage.Store
	accounts *accounts.Service
	mail     *mailLinks // nil: no mail (no store)
	// totp offers TOTP enrolment (mfa.totp); passkeys says passkeys are
	// offered (mfa.passkeys), for the pages' texts.
	totp     bool
	passkeys bool

	mu       sync.RWMutex
	sections []SecuritySection
}

// ErrNoPendingSignIn means the request carries neither a sign-in waiting
// for its second factor nor a session to step up.
var ErrNoPendingSignIn = errors.New("web: no sign-in waiting for a second factor")

// ErrNotConfirmed means ConfirmIdentity got neither the right password nor
// a valid second-factor code.
var ErrNotConfirmed = errors.New("web: identity not confirmed")

// PendingSignIn is a sign-in waiting for its second factor: after a first
// factor (password or upstream provider) on this browser, or a signed-in
// session being stepped up to a higher acr.
type PendingSignIn struct {
	User storage.User
	// Factors are what the person has proven so far (the first factor;
	// for a step-up, the session's factors).
	Factors []storage.SessionFactor
	// StepUp: the person is signed in already; completing replaces the
	// session with one that also records the new factor.
	StepUp bool
	// Flow is the pending authorization request (query or form field
	// "flow", checked with the authorization endpoint); ReturnTo a local
	// path to go to without one (field "return_to").
	Flow     string
	ReturnTo string
	// ClientID is the flow's client and Want the acr its request asks for
	// ("" for none; mfa.ACRPhishingResistant asks for a passkey).
	ClientID string
	Want     string
}

// Pending returns the sign-in waiting for a second factor on this browser,
// or, without one, the signed-in session to step up. Flow and ReturnTo
// come from the query or the parsed form (fields "flow" and "return_to";
// a caller reading a JSON body may set them itself). ErrNoPendingSignIn
// when there is neither; any other error is the database's.
func (h *SecondFactor) Pending(r *http.Request) (PendingSignIn, error) {
	p := PendingSignIn{Flow: formOrQuery(r, "flow"), ReturnTo: localPath(formOrQuery(r, "return_to"))}
	if st, ok := h.pending.get(r); ok {
		u, err := h.store.GetUser(r.Context(), st.UserID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
			return PendingSignIn{}, ErrNoPendingSignIn
		}
		if err != nil {
			return PendingSignIn{}, err
		}
		p.User, p.Factors = u, st.Factors
		return p, nil
	}
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		return PendingSignIn{}, ErrNoPendingSignIn
	}
	if err != nil {
		return PendingSignIn{}, err
	}
	p.User, p.StepUp, p.Factors = cur.User, true, sessionFactors(cur.Session)
	return p, nil
}

// sessionFactors are a session's factors; a session from before second
// factors counts as a password sign-in at its auth time.
func sessionFactors(bs storage.BrowserSession) []storage.SessionFactor {
	if len(bs.Factors) > 0 {
		return bs.Factors
	}
	return []storage.SessionFactor{{Method: mfa.AMRPassword, At: bs.AuthTime}}
}

// Complete finishes p with a second factor of kind (mfa.KindTOTP,
// mfa.KindPasskey…) proven now by methods (amr values, e.g. "hwk",
// "user"): a new session recording them (its acr follows, e.g. phr for
// a passkey), the audit event mfa.success, and on to the authorization
// request, ReturnTo or the signed-in page. It answers with a redirect or
// a page, so call it from a form post (a ceremony's script submits a
// form), not from fetch.
func (h *SecondFactor) Complete(w http.ResponseWriter, r *http.Request, p PendingSignIn, kind string, methods ...string) {
	factors := mfa.AddFactors(p.Factors, h.clock(), methods...)
	h.startSession(w, r, p.User, factors, signInEvent{
		Type: audit.MFASuccess, ClientID: flowClient(p.Flow), Details: map[string]string{"factor": kind},
	}, p.Flow, p.ReturnTo)
}

// Fail records a failed second factor of kind for p (mfa.failure, with
// reason) and counts it against the account's guessing budget.
func (h *SecondFactor) Fail(r *http.Request, p PendingSignIn, kind, reason string) {
	h.audit.RecordRequest(r, audit.MFAFailure, audit.Failure, p.User.ID, flowClient(p.Flow), map[string]string{"factor": kind, "reason": reason})
}

// SignInWith signs user in with no earlier factor, by methods (amr values)
// of a factor of kind proven now: a discoverable passkey, with
// user verification, signs in without a password. The rest is Complete.
func (h *SecondFactor) SignInWith(w http.ResponseWriter, r *http.Request, user storage.User, kind string, methods []string, flow, returnTo string) {
	factors := mfa.AddFactors(nil, h.clock(), methods...)
	h.startSession(w, r, user, factors, signInEvent{
		Type: audit.LoginSuccess, ClientID: flowClient(flow), Details: map[string]string{"method": kind},
	}, flow, localPath(returnTo))
}

// ConfirmIdentity is the check before removing a factor: the form (parsed)
// holds the person's password (field "password") or a current
// second-factor code (field "code": TOTP or recovery code). nil when one
// is right; ErrNotConfirmed when neither is; the rate limiter's error
// (ratelimit.ErrLimited) when the account is over its budget.
func (h *SecondFactor) ConfirmIdentity(r *http.Request, cur session.Current) error {
	ctx := r.Context()
	if pw := r.PostForm.Get("password"); pw != "" && len(cur.User.PasswordHash) > 0 {
		_, err := h.accounts.Authenticate(ctx, cur.User.Email, pw)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, accounts.ErrInvalidCredentials):
			return err
		}
	}
	if code := strings.TrimSpace(r.PostForm.Get("code")); code != "" && h.mfa != nil {
		used, err := h.mfa.Verify(ctx, cur.User.ID, code)
		switch {
		case err == nil:
			if used.Kind == mfa.KindRecovery {
				h.audit.RecordRequest(r, audit.MFARecoveryCodeUsed, audit.Success, cur.User.ID, "",
					map[string]string{"codes_left": itoa(used.CodesLeft)})
				h.notify(cur.User, changeRecoveryCodeUsed)
			}
			return nil
		case !errors.Is(err, mfa.ErrWrongCode):
			return err
		}
	}
	return ErrNotConfirmed
}

// SecuritySection is a part of /account/security rendered by other code
// (passkeys): a template defined in a templates/section_*.html file, and
// the data it is executed with.
type SecuritySection struct {
	// Template is the name the file defines, e.g. "section_passkeys".
	Template string
	// Data returns what the template sees as "." for the signed-in
	// person; csrfToken is the page's form token (field csrf_token). A
	// nil result leaves the section out.
	Data func(r *http.Request, cur session.Current, csrfToken string) (any, error)
	// Scripts are same-origin script paths the page loads
	// (/static/…js), each once.
	Scripts []string
}

// AddSecuritySection adds s to the security page, after the built-in
// parts. Call it while wiring, before serving.
func (h *SecondFactor) AddSecuritySection(s SecuritySection) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sections = append(h.sections, s)
}

func (h *SecondFactor) securitySections() []SecuritySection {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]SecuritySection(nil), h.sections...)
}

// Service returns the second-factor service (its Registry lists every
// kind of factor).
func (h *SecondFactor) Service() *mfa.Service { return h.mfa }

// formOrQuery returns the form field name, else the query parameter.
func formOrQuery(r *http.Request, name string) string {
	if v := r.PostForm.Get(name); v != "" {
		return v
	}
	return r.URL.Query().Get(name)
}

// mfaURL is /login/mfa continuing flow or returnTo.
func mfaURL(flow, returnTo string) string {
	q := url.Values{}
	if flow != "" {
		q.Set("flow", flow)
	}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	if len(q) == 0 {
		return PathLoginMFA
	}
	return PathLoginMFA + "?" + q.Encode()
}
