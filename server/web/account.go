package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// accountPath is the account page.
const accountPath = "/account"

// notices are the texts /account?done=… may show after an action.
var notices = map[string]string{
	"profile":  MsgProfileSaved,
	"password": MsgPasswordChanged,
	"app":      MsgAppRevoked,
	"session":  MsgSessionRevoked,
	"identity": MsgIdentityRemoved,
}

// signedIn returns the request's session, or answers: a redirect to the
// Login page coming back to returnTo, or the error page.
func (h *Account) signedIn(w http.ResponseWriter, r *http.Request, returnTo string) (session.Current, bool) {
	return h.base.signedIn(h.sessions, w, r, returnTo)
}

// signedIn returns the request's session in sessions, or answers: a
// redirect to the login page coming back to returnTo, or the error page.
func (h *base) signedIn(sessions *session.Manager, w http.ResponseWriter, r *http.Request, returnTo string) (session.Current, bool) {
	cur, err := sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/login?return_to="+returnTo, http.StatusSeeOther)
		return cur, false
	}
	if err != nil {
		h.serverError(w, r, "load session", err)
		return cur, false
	}
	return cur, true
}

// Account serves GET /account.
func (h *Account) Account(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.signedIn(w, r, accountPath)
	if !ok {
		return
	}
	h.showAccount(w, r, cur, http.StatusOK, notices[r.URL.Query().Get("done")], nil)
}

// showAccount renders the account page with a notice or field errors.
func (h *Account) showAccount(w http.ResponseWriter, r *http.Request, cur session.Current, status int, notice string, errs fieldErrors) {
	ctx := r.Context()
	u := cur.User
	page := accountPage{
		Profile: u.Profile,
		Name:    u.Name, Email: u.Email, Verified: u.EmailVerified, HasPass: len(u.PasswordHash) > 0,
		CSRFToken: h.csrf.token(w, r), Notice: notice, Errors: errs,
	}
	consents, err := h.store.ListConsents(ctx, u.ID)
	if err != nil {
		h.serverError(w, r, "list consents", err)
		return
	}
	for _, c := range consents {
		name := c.ClientID
		if cl, err := h.clients.GetClient(ctx, c.ClientID); err == nil && strings.TrimSpace(cl.Name) != "" {
			name = cl.Name
		}
		page.Apps = append(page.Apps, accountApp{
			ClientID: c.ClientID, Name: name, Scopes: describeScopes(c.Scopes), Granted: c.GrantedAt.Format("2 Jan 2006"),
		})
	}
	sessions, err := h.store.ListBrowserSessions(ctx, u.ID, h.now())
	if err != nil {
		h.serverError(w, r, "list sessions", err)
		return
	}
	for _, s := range slices.Backward(sessions) { // newest first
		page.Sessions = append(page.Sessions, accountSession{
			Handle: h.sessionHandle(s.ID), Current: s.ID == cur.Session.ID,
			Started: s.AuthTime.Format("2 Jan 2006 15:04 MST"), IP: s.IP, Device: deviceName(s.UserAgent), UserAgent: s.UserAgent,
		})
	}
	ids, err := h.store.ListIdentities(ctx, u.ID)
	if err != nil {
		h.serverError(w, r, "list identities", err)
		return
	}
	for _, id := range ids {
		page.Identities = append(page.Identities, accountIdentity{
			Provider: id.Provider, ProviderName: h.providerName(id.Provider), Subject: id.Subject, Email: id.Email,
			CanUnlink: page.HasPass || len(ids) > 1,
		})
	}
	h.renderer.render(w, r, status, tmplAccount, page)
}

// providerName is the configured button name of an upstream, or its id
// when it is no longer configured.
func (h *Account) providerName(id string) string {
	if p, ok := h.fed.byID[id]; ok && strings.TrimSpace(p.Name()) != "" {
		return p.Name()
	}
	return id
}

// accountAction checks an account form post and returns the person.
func (h *Account) accountAction(w http.ResponseWriter, r *http.Request) (session.Current, bool) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return session.Current{}, false
	}
	return h.signedIn(w, r, accountPath)
}

// done redirects back to the account page showing notice key.
func done(w http.ResponseWriter, r *http.Request, key string) {
	http.Redirect(w, r, accountPath+"?done="+key, http.StatusSeeOther)
}

// profileMessages say what is wrong with a profile field.
var profileMessages = map[error]string{
	accounts.ErrProfileText:     MsgProfileText,
	accounts.ErrProfileUsername: MsgProfileUsername,
	accounts.ErrProfileLocale:   MsgProfileLocale,
	accounts.ErrProfilePicture:  MsgProfilePicture,
}

// UpdateProfile serves POST /account/profile {name, given_name,
// family_name, preferred_username, locale, picture}.
func (h *Account) UpdateProfile(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if msg := nameProblem(name); msg != "" {
		h.showAccount(w, r, cur, http.StatusBadRequest, "", fieldErrors{"name": msg})
		return
	}
	profile, err := accounts.NormalizeProfile(storage.Profile{
		GivenName:         r.PostForm.Get("given_name"),
		FamilyName:        r.PostForm.Get("family_name"),
		PreferredUsername: r.PostForm.Get("preferred_username"),
		Locale:            r.PostForm.Get("locale"),
		Picture:           r.PostForm.Get("picture"),
	})
	var pe *accounts.ProfileError
	if errors.As(err, &pe) {
		h.showAccount(w, r, cur, http.StatusBadRequest, "", fieldErrors{pe.Field: profileMessages[pe.Err]})
		return
	}
	err = h.store.UpdateUser(r.Context(), cur.User.ID, func(u *storage.User) error {
		u.Name = name
		u.Profile = profile
		u.UpdatedAt = h.now().UTC()
		return nil
	})
	if err != nil {
		h.serverError(w, r, "update profile", err)
		return
	}
	h.audit.RecordRequest(r, audit.ProfileUpdated, audit.Success, cur.User.ID, "", nil)
	done(w, r, "profile")
}

// ChangePassword serves POST /account/password {current_password,
// new_password}. It signs out the person's other sessions and voids any
// Reset link mailed before.
func (h *Account) ChangePassword(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	errs := fieldErrors{}
	password := r.PostForm.Get("new_password")
	if msg := h.passwords.checkPassword(password); msg != "" {
		errs["new_password"] = msg
	}
	if len(cur.User.PasswordHash) > 0 {
		_, err := h.accounts.Authenticate(r.Context(), cur.User.Email, r.PostForm.Get("current_password"))
		if errors.Is(err, accounts.ErrInvalidCredentials) {
			h.audit.RecordRequest(r, audit.PasswordChanged, audit.Failure, cur.User.ID, "", map[string]string{"reason": "wrong current password"})
			errs["current_password"] = MsgCurrentPassword
		} else if errors.Is(err, accounts.ErrRateLimited) {
			h.tooManyAttempts(w, r, err)
			return
		} else if err != nil {
			h.serverError(w, r, "authenticate", err)
			return
		}
	}
	if len(errs) > 0 {
		// Both fields are checked, so one answer shows every problem.
		h.showAccount(w, r, cur, http.StatusBadRequest, "", errs)
		return
	}
	hash, err := h.accounts.HashPassword(r.Context(), password)
	if err != nil {
		h.serverError(w, r, "hash password", err)
		return
	}
	// Reset links mailed before the change stop working with it: one
	// could sit in a mailbox the person no longer trusts. So do the apps'
	// refresh tokens, as after a reset: whoever knew the old password may
	// have used it to get one.
	err = storage.InTx(r.Context(), h.store, func(ctx context.Context) error {
		err := h.store.UpdateUser(ctx, cur.User.ID, func(u *storage.User) error {
			u.PasswordHash = hash
			u.UpdatedAt = h.now().UTC()
			return nil
		})
		if err != nil {
			return err
		}
		if err := h.store.RevokeSubjectTokens(ctx, cur.User.ID, ""); err != nil {
			return err
		}
		return h.store.DeleteUserOneTimeTokens(ctx, cur.User.ID, storage.PurposePasswordReset)
	})
	if err != nil {
		h.serverError(w, r, "change password", err)
		return
	}
	h.endOtherSessions(r, cur)
	h.audit.RecordRequest(r, audit.PasswordChanged, audit.Success, cur.User.ID, "", nil)
	done(w, r, "password")
}

// endOtherSessions signs the user out everywhere but here.
func (h *Account) endOtherSessions(r *http.Request, cur session.Current) {
	sessions, err := h.store.ListBrowserSessions(r.Context(), cur.User.ID, h.now())
	if err != nil {
		h.logger.ErrorContext(r.Context(), "web: list sessions", "err", err)
		return
	}
	for _, s := range sessions {
		if s.ID == cur.Session.ID {
			continue
		}
		if err := h.store.DeleteBrowserSession(r.Context(), s.ID); err != nil {
			h.logger.ErrorContext(r.Context(), "web: end session", "err", err)
		}
	}
}

// RevokeApp serves POST /account/apps/revoke {client_id}: the consent goes
// and so do the app's tokens for this user.
func (h *Account) RevokeApp(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	clientID := r.PostForm.Get("client_id")
	if !safetext.Storable(clientID) {
		// No client has such an id (and PostgreSQL refuses to look it up).
		done(w, r, "app")
		return
	}
	err := h.store.DeleteConsent(r.Context(), cur.User.ID, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		done(w, r, "app")
		return
	}
	if err == nil {
		err = h.store.RevokeSubjectTokens(r.Context(), cur.User.ID, clientID)
	}
	if err != nil {
		h.serverError(w, r, "revoke consent", err)
		return
	}
	h.audit.RecordRequest(r, audit.ConsentRevoked, audit.Success, cur.User.ID, clientID, nil)
	done(w, r, "app")
}

// sessionHandle names a session on the account page without showing its
// id (the hash of the cookie).
func (h *Account) sessionHandle(id string) string {
	mac := hmac.New(sha256.New, h.handleKey)
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// RevokeSession serves POST /account/sessions/revoke {session}: one of the
// person's own sessions ends; ending this one signs out.
func (h *Account) RevokeSession(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	handle := r.PostForm.Get("session")
	ended := false
	sessions, err := h.store.ListBrowserSessions(r.Context(), cur.User.ID, h.now())
	if err != nil {
		h.serverError(w, r, "list sessions", err)
		return
	}
	for _, s := range sessions {
		if !hmac.Equal([]byte(h.sessionHandle(s.ID)), []byte(handle)) {
			continue
		}
		ended = true
		if err := h.store.DeleteBrowserSession(r.Context(), s.ID); err != nil {
			h.serverError(w, r, "end session", err)
			return
		}
		h.audit.RecordRequest(r, audit.SessionRevoked, audit.Success, cur.User.ID, "", nil)
		if s.ID == cur.Session.ID {
			_ = h.sessions.End(w, r)
			h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{Title: "Signed out", Message: MsgSignedOut, LinkURL: "/login", LinkText: "Sign in"})
			return
		}
		break
	}
	if !ended {
		// Already over (elsewhere, or expired): nothing to report.
		http.Redirect(w, r, accountPath, http.StatusSeeOther)
		return
	}
	done(w, r, "session")
}

// UnlinkIdentity serves POST /account/identities/unlink {provider,
// subject}, refused when it is the person's only way to sign in.
func (h *Account) UnlinkIdentity(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	provider, subject := r.PostForm.Get("provider"), r.PostForm.Get("subject")
	err := unlinkUnlessLast(r.Context(), h.store, cur.User.ID, provider, subject)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		done(w, r, "identity")
		return
	case errors.Is(err, errLastSignIn):
		h.audit.RecordRequest(r, audit.IdentityUnlinked, audit.Denied, cur.User.ID, "", map[string]string{"provider": provider, "reason": "only sign-in method"})
		h.showAccount(w, r, cur, http.StatusConflict, "", fieldErrors{"identity": MsgIdentityLast})
		return
	case err != nil:
		h.serverError(w, r, "unlink identity", err)
		return
	}
	h.audit.RecordRequest(r, audit.IdentityUnlinked, audit.Success, cur.User.ID, "", map[string]string{"provider": provider})
	done(w, r, "identity")
}
