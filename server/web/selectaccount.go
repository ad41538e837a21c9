package web

import (
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/server/signin"
)

// SelectAccountForm serves GET /select-account?flow=… (prompt=select_account):
// the account this browser is signed in with, a button to continue with
// it and a link to sign in with another one.
func (h *SignIn) SelectAccountForm(w http.ResponseWriter, r *http.Request) {
	flow := r.URL.Query().Get("flow")
	cur, f, ok := h.consentRequest(w, r, flow)
	if !ok {
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplSelectAccount, selectAccountPage{
		ClientName: clientName(f),
		Name:       cur.User.Name,
		Email:      cur.User.Email,
		Flow:       flow,
		CSRFToken:  h.csrf.token(w, r),
		SwitchURL:  loginURL(flow),
	})
}

// SelectAccount serves POST /select-account: continue the flow with the
// signed-in account.
func (h *SignIn) SelectAccount(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	flow := r.PostForm.Get("flow")
	if _, _, ok := h.consentRequest(w, r, flow); !ok {
		return
	}
	h.resumer.Resume(w, r, flow, signin.Step{AccountChosen: true})
}

// clientName is how the pages name the flow's client.
func clientName(f signin.Flow) string {
	if strings.TrimSpace(f.ClientName) != "" {
		return f.ClientName
	}
	return f.ClientID
}
