package console

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// userAction runs the checks every action on a user shares: the form,
// the admin and, for a destructive one (c set), the confirmation. It
// returns the admin and the user's id.
func (h *Handler) userAction(w http.ResponseWriter, r *http.Request, c *confirmPage) (admin, string, bool) {
	a, ok := h.form(w, r)
	if !ok {
		return a, "", false
	}
	id := mux.Vars(r)["id"]
	if c != nil && !h.confirmUser(w, r, a, id, *c) {
		return a, "", false
	}
	return a, id, true
}

// confirmUser is confirmed for an action on user id: the page names the
// user and goes back to theirs.
func (h *Handler) confirmUser(w http.ResponseWriter, r *http.Request, a admin, id string, c confirmPage) bool {
	u, err := h.store.GetUser(r.Context(), id)
	if h.refused(w, r, err, nil) {
		return false
	}
	c.Cancel, c.Subject = userPath(id), u.Email
	return h.confirmed(w, r, a, "users", c)
}

// SetDisabled serves POST /console/users/{id}/disable {disabled: true or
// false}. Disabling (confirmed first) signs the person out everywhere,
// with back-channel logout, and revokes their tokens.
func (h *Handler) SetDisabled(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	id := mux.Vars(r)["id"]
	disable := r.PostForm.Get("disabled") != "false"
	if disable && !h.confirmUser(w, r, a, id, confirmPage{Title: "Disable user", Button: "Disable",
		Question: "Disable this user? They are signed out everywhere, their tokens stop working, and they cannot sign in until enabled again."}) {
		return
	}
	_, err := h.manage.UpdateUser(r.Context(), a.actor, id, manage.UserChange{Disabled: &disable})
	key := "user-enabled"
	if disable {
		key = "user-disabled"
	}
	h.userDone(w, r, a, id, err, key)
}

// DeleteUser serves POST /console/users/{id}/delete (confirmed first).
func (h *Handler) DeleteUser(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.userAction(w, r, &confirmPage{Title: "Delete user", Button: "Delete",
		Question: "Delete this user for good, with their sessions, consents, second factors and tokens? This cannot be undone."})
	if !ok {
		return
	}
	err := h.manage.DeleteUser(r.Context(), a.actor, id)
	if err == nil {
		done(w, r, Path+"/users", "user-deleted")
		return
	}
	h.userDone(w, r, a, id, err, "")
}

// ResetMFA serves POST /console/users/{id}/reset-mfa (confirmed first):
// every second factor of the user goes.
func (h *Handler) ResetMFA(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.userAction(w, r, &confirmPage{Title: "Reset second factors", Button: "Remove every second factor",
		Question: "Remove every second factor of this user (authenticator app, passkeys, recovery codes)? They sign in with their password alone until they set up a new one."})
	if !ok {
		return
	}
	_, err := h.manage.ResetMFA(r.Context(), a.actor, id)
	if errors.Is(err, mfa.ErrNotEnrolled) {
		h.showUser(w, r, a, id, http.StatusConflict, msgNoMFA)
		return
	}
	h.userDone(w, r, a, id, err, "mfa-reset")
}

// ResendVerification serves POST /console/users/{id}/resend-verification.
func (h *Handler) ResendVerification(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.userAction(w, r, nil)
	if !ok {
		return
	}
	h.userDone(w, r, a, id, h.manage.ResendVerification(r.Context(), a.actor, id), "verify-sent")
}

// EndSession serves POST /console/users/{id}/sessions/end {sid}
// (confirmed first): the session ends through storage, so every app
// signed in through it gets a back-channel logout token.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.userAction(w, r, &confirmPage{Title: "End session", Button: "End session",
		Question: "End this session? The browser is signed out and the apps signed in through it are told."})
	if !ok {
		return
	}
	err := h.manage.EndSession(r.Context(), a.actor, id, r.PostForm.Get("sid"))
	if errors.Is(err, storage.ErrNotFound) {
		h.showUser(w, r, a, id, http.StatusNotFound, msgNoSession)
		return
	}
	h.userDone(w, r, a, id, err, "session-ended")
}

// EndSessions serves POST /console/users/{id}/sessions/end-all
// (confirmed first).
func (h *Handler) EndSessions(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.userAction(w, r, &confirmPage{Title: "End every session", Button: "End every session",
		Question: "Sign this user out of every browser? The apps signed in through those sessions are told."})
	if !ok {
		return
	}
	_, err := h.manage.EndSessions(r.Context(), a.actor, id)
	h.userDone(w, r, a, id, err, "sessions-all")
}

// userDone answers an action on user id: back to the user page with the
// notice key, or the page with the refusal.
func (h *Handler) userDone(w http.ResponseWriter, r *http.Request, a admin, id string, err error, key string) {
	if !h.refused(w, r, err, func(status int, msg string) { h.showUser(w, r, a, id, status, msg) }) {
		done(w, r, userPath(id), key)
	}
}
