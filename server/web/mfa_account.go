package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
)

type (
	// securityPage is /account/security.
	securityPage struct {
		CSRFToken string
		Email     string
		Notice    string
		Errors    fieldErrors
		HasPass   bool
		// Flow: the person was sent here to set up a second factor
		// before an application gets a code (MustEnrol says why).
		Flow      string
		MustEnrol bool
		// TOTPOffered: mfa.totp; TOTP the person's authenticator app.
		TOTPOffered bool
		TOTP        *securityFactor
		// HasSecond: any second factor (recovery codes need one);
		// RecoveryLeft unused recovery codes.
		HasSecond    bool
		RecoveryLeft int
		Factors      []securityFactor
		// Sections are the parts other code adds (passkeys), rendered.
		Sections []template.HTML
		Scripts  []string
	}
	securityFactor struct {
		Kind     string
		Name     string
		Added    string
		LastUsed string // "" never
	}
	// totpPage is /account/totp: the QR code and the secret to confirm.
	totpPage struct {
		CSRFToken string
		Secret    string
		QR        template.URL // a data: URL of a PNG
		Flow      string
		Error     string
	}
	// codesPage shows a new set of recovery codes, once.
	codesPage struct {
		Codes []string
	}
)

// securityNotices are the texts /account/security?done=… may show.
var securityNotices = map[string]string{
	"totp":         MsgTOTPAdded,
	"totp-removed": MsgTOTPRemoved,

	"passkey-added":   MsgPasskeyAdded,
	"passkey-renamed": MsgPasskeyRenamed,
	"passkey-removed": MsgPasskeyRemoved,
}

// signedIn returns the request's session, or answers: to the login page
// coming back to returnTo, or the error page.
func (h *SecondFactor) signedIn(w http.ResponseWriter, r *http.Request, returnTo string) (session.Current, bool) {
	return h.base.signedIn(h.sessions, w, r, returnTo)
}

// Security serves GET /account/security: the person's second factors.
func (h *SecondFactor) Security(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.signedIn(w, r, PathSecurity)
	if !ok {
		return
	}
	flow := r.URL.Query().Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	h.showSecurity(w, r, cur, http.StatusOK, flow, securityNotices[r.URL.Query().Get("done")], nil)
}

func (h *SecondFactor) showSecurity(w http.ResponseWriter, r *http.Request, cur session.Current, status int, flow, notice string, errs fieldErrors) {
	ctx := r.Context()
	factors, err := h.mfa.Registry.Factors(ctx, cur.User.ID)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return
	}
	page := securityPage{
		CSRFToken: h.csrf.token(w, r), Email: cur.User.Email, Notice: notice, Errors: errs,
		HasPass: len(cur.User.PasswordHash) > 0, Flow: flow, MustEnrol: flow != "" || h.mustEnrol(cur.User),
		TOTPOffered: h.totp,
	}
	for _, f := range factors {
		sf := securityFactor{Kind: f.Kind, Name: f.Name, Added: f.CreatedAt.Format("2 Jan 2006")}
		if !f.LastUsedAt.IsZero() {
			sf.LastUsed = f.LastUsedAt.Format("2 Jan 2006 15:04 MST")
		}
		switch {
		case f.Kind == mfa.KindTOTP:
			page.TOTP = &sf
		case f.Kind == mfa.KindRecovery:
			page.RecoveryLeft = f.Count
		}
		if !f.Backup {
			page.HasSecond = true
			page.Factors = append(page.Factors, sf)
		}
	}
	if page.HasSecond {
		page.MustEnrol = false
	}
	for _, s := range h.securitySections() {
		data, err := s.Data(r, cur, page.CSRFToken)
		if err != nil {
			h.serverError(w, r, "security section "+s.Template, err)
			return
		}
		if data == nil {
			continue
		}
		html, err := h.renderer.section(s.Template, data)
		if err != nil {
			h.serverError(w, r, "render security section "+s.Template, err)
			return
		}
		page.Sections = append(page.Sections, html)
		for _, src := range s.Scripts {
			if !slices.Contains(page.Scripts, src) {
				page.Scripts = append(page.Scripts, src)
			}
		}
	}
	h.renderer.render(w, r, status, tmplSecurity, page)
}

// TOTPForm serves GET /account/totp: a new secret as a QR code and as
// text (#totp-secret), to confirm with a first code. A person whose app
// is set up already goes back to the security page.
func (h *SecondFactor) TOTPForm(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.signedIn(w, r, PathTOTP)
	if !ok {
		return
	}
	flow := r.URL.Query().Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	if !h.totp {
		h.renderer.Error(w, r, http.StatusNotFound, MsgNotFound)
		return
	}
	if !h.gateFactorChange(w, r, cur, PathTOTP) {
		return
	}
	e, err := h.mfa.BeginTOTP(r.Context(), cur.User)
	if errors.Is(err, mfa.ErrAlreadyEnrolled) {
		http.Redirect(w, r, PathSecurity, http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "begin totp", err)
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplTOTP, totpPage{
		CSRFToken: h.csrf.token(w, r), Secret: e.Secret, QR: template.URL(e.QR), Flow: flow, //nolint:gosec // a data: URL we made
	})
}

// ConfirmTOTP serves POST /account/totp {code}: the first code confirms
// the enrolment (a wrong one enrols nothing and shows the same secret
// again). The session then records the new factor; a person sent here by
// an application goes on to it.
func (h *SecondFactor) ConfirmTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	cur, ok := h.signedIn(w, r, PathTOTP)
	if !ok {
		return
	}
	flow := r.PostForm.Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	if !h.gateFactorChange(w, r, cur, PathTOTP) {
		return
	}
	ctx := r.Context()
	err := h.mfa.ConfirmTOTP(ctx, cur.User.ID, r.PostForm.Get("code"))
	if err != nil {
		reason, status, msg := "wrong_code", http.StatusBadRequest, MsgWrongCode
		switch {
		case errors.Is(err, ratelimit.ErrLimited):
			reason, status, msg = "rate_limited", http.StatusTooManyRequests, MsgTooManyAttempts
			setRetryAfter(w, err)
		case errors.Is(err, mfa.ErrNotEnrolled):
			http.Redirect(w, r, PathTOTP, http.StatusSeeOther)
			return
		case !errors.Is(err, mfa.ErrWrongCode):
			h.serverError(w, r, "confirm totp", err)
			return
		}
		h.audit.RecordRequest(r, audit.MFAFailure, audit.Failure, cur.User.ID, "", map[string]string{"factor": mfa.KindTOTP, "reason": reason, "step": "enrol"})
		e, perr := h.mfa.PendingTOTP(ctx, cur.User)
		if perr != nil {
			h.serverError(w, r, "reload totp", perr)
			return
		}
		h.renderer.render(w, r, status, tmplTOTP, totpPage{
			CSRFToken: h.csrf.token(w, r), Secret: e.Secret, QR: template.URL(e.QR), Flow: flow, Error: msg, //nolint:gosec // a data: URL we made
		})
		return
	}
	h.audit.RecordRequest(r, audit.MFAEnrolled, audit.Success, cur.User.ID, "", map[string]string{"factor": mfa.KindTOTP})
	h.notify(cur.User, changeTOTPAdded)
	// The code just typed proves the new factor: the session records it.
	p := PendingSignIn{User: cur.User, Factors: sessionFactors(cur.Session), StepUp: true, Flow: flow}
	if flow == "" {
		p.ReturnTo = PathSecurity + "?done=totp"
	}
	h.Complete(w, r, p, mfa.KindTOTP, mfa.AMROTP)
}

// RemoveTOTP serves POST /account/totp/remove {password | code}.
func (h *SecondFactor) RemoveTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	cur, ok := h.signedIn(w, r, PathSecurity)
	if !ok {
		return
	}
	if !h.confirmed(w, r, cur, mfa.KindTOTP) {
		return
	}
	ctx := r.Context()
	err := h.mfa.RemoveTOTP(ctx, cur.User.ID)
	if err != nil && !errors.Is(err, mfa.ErrNotEnrolled) {
		h.serverError(w, r, "remove totp", err)
		return
	}
	if err == nil {
		if err := h.mfa.CleanUpBackups(ctx, cur.User.ID); err != nil {
			h.serverError(w, r, "remove recovery codes", err)
			return
		}
		h.audit.RecordRequest(r, audit.MFARemoved, audit.Success, cur.User.ID, "", map[string]string{"factor": mfa.KindTOTP})
		h.notify(cur.User, changeTOTPRemoved)
	}
	http.Redirect(w, r, PathSecurity+"?done=totp-removed", http.StatusSeeOther)
}

// confirmed runs ConfirmIdentity for removing a factor of kind, or
// answers: the security page with the field error, or 429.
//
// A session that has not used a second factor the person has (one from
// before they enrolled, or a stolen password's) is sent to /login/mfa
// first, as for adding one (mayChangeFactors): with the password alone it
// could otherwise remove the person's factor and then enrol its own.
func (h *SecondFactor) confirmed(w http.ResponseWriter, r *http.Request, cur session.Current, kind string) bool {
	ok, err := h.mayRemoveFactors(r.Context(), cur)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return false
	}
	if !ok {
		h.audit.RecordRequest(r, audit.MFARemoved, audit.Denied, cur.User.ID, "", map[string]string{"factor": kind, "reason": "step_up_required"})
		stepUpFirst(w, r, PathSecurity)
		return false
	}
	err = h.ConfirmIdentity(r, cur)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ratelimit.ErrLimited):
		h.tooManyAttempts(w, r, err)
	case errors.Is(err, ErrNotConfirmed):
		h.audit.RecordRequest(r, audit.MFARemoved, audit.Denied, cur.User.ID, "", map[string]string{"factor": kind, "reason": "not confirmed"})
		h.showSecurity(w, r, cur, http.StatusForbidden, "", "", fieldErrors{"confirm": MsgConfirmIdentity})
	default:
		h.serverError(w, r, "confirm identity", err)
	}
	return false
}

// NewRecoveryCodes serves POST /account/recovery-codes: a new set,
// shown once (each in an element of class recovery-code); the old set
// stops working. Only for a person with a second factor.
func (h *SecondFactor) NewRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	cur, ok := h.signedIn(w, r, PathSecurity)
	if !ok {
		return
	}
	ctx := r.Context()
	has, err := h.mfa.Registry.HasSecondFactor(ctx, cur.User.ID)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return
	}
	if !has {
		h.showSecurity(w, r, cur, http.StatusConflict, "", "", fieldErrors{"recovery": MsgRecoveryNeedsFactor})
		return
	}
	if !h.gateFactorChange(w, r, cur, PathSecurity) {
		return
	}
	codes, err := h.mfa.NewRecoveryCodes(ctx, cur.User.ID)
	if err != nil {
		h.serverError(w, r, "new recovery codes", err)
		return
	}
	h.audit.RecordRequest(r, audit.MFAEnrolled, audit.Success, cur.User.ID, "", map[string]string{"factor": mfa.KindRecovery})
	h.notify(cur.User, changeRecoveryCodes)
	h.renderer.render(w, r, http.StatusOK, tmplCodes, codesPage{Codes: codes})
}

// section renders the security-page section name (a section_*.html
// template) with data.
func (r *Renderer) section(name string, data any) (template.HTML, error) {
	if r.sections == nil || r.sections.Lookup(name) == nil {
		return "", errors.New("web: no section template " + name)
	}
	var buf bytes.Buffer
	if err := r.sections.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // html/template output
}

func itoa(n int) string { return strconv.Itoa(n) }
