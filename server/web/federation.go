package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// IdentityStore is what upstream sign-in needs from storage; storage.Store
// satisfies it.
type IdentityStore interface {
	storage.Identities
	storage.Tx
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
}

// FederationOptions configure sign-in through upstream identity providers
// (/login/{id} and /login/{id}/callback). With no Providers there are no
// such routes and no buttons.
type FederationOptions struct {
	Providers []providers.Provider
	Store     IdentityStore // required with Providers
	Audit     *audit.Recorder
	// Registration lets an upstream login create an account when no
	// account matches.
	Registration bool
	// NoEmailLinking names the providers whose verified email must not
	// link to an existing local account (their logins still sign in
	// identities linked before and create accounts for new addresses).
	NoEmailLinking map[string]bool
	Now            func() time.Time
}

// federation serves upstream sign-in; see federation_link.go for how an
// upstream identity becomes a Gatehouse user.
type federation struct {
	FederationOptions
	accounts *accounts.Service
	byID     map[string]providers.Provider
	pending  *pendingCodec
}

func newFederation(o FederationOptions, acc *accounts.Service, system []byte, secure bool) *federation {
	if len(o.Providers) > 0 && o.Store == nil {
		panic("web: New: FederationOptions.Store is nil")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &federation{FederationOptions: o, accounts: acc, byID: map[string]providers.Provider{}, pending: newPendingCodec(system, secure)}
	for _, p := range o.Providers {
		f.byID[p.ID()] = p
	}
	return f
}

// upstreamButton is one "Sign in with …" link on the login page.
type upstreamButton struct {
	ID   string
	Name string
	URL  string // /login/{id}, continuing the flow
}

// upstreamButtons lists the configured upstreams for the login page.
func (f *federation) upstreamButtons(flow, returnTo string) []upstreamButton {
	out := make([]upstreamButton, 0, len(f.Providers))
	for _, p := range f.Providers {
		u := upstreamPath(p.ID())
		switch {
		case flow != "":
			u += "?flow=" + url.QueryEscape(flow)
		case returnTo != "":
			u += "?return_to=" + url.QueryEscape(returnTo)
		}
		out = append(out, upstreamButton{ID: p.ID(), Name: p.Name(), URL: u})
	}
	return out
}

// UpstreamStart serves GET /login/{id}?flow=… (or ?return_to=/local/path,
// as the login page takes it): it binds a fresh state,
// nonce and PKCE verifier, with the pending authorization request, to this
// browser and sends it to the upstream.
func (h *Federation) UpstreamStart(w http.ResponseWriter, r *http.Request) {
	p, ok := h.fed.byID[mux.Vars(r)["id"]]
	if !ok {
		h.renderer.Error(w, r, http.StatusNotFound, MsgNotFound)
		return
	}
	flow := r.URL.Query().Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	pl := pendingLogin{
		ReturnTo: localPath(r.URL.Query().Get("return_to")),
		Provider: p.ID(),
		State:    secret.Token(32),
		Nonce:    secret.Token(32),
		Verifier: oauth2.GenerateVerifier(),
		Flow:     flow,
		Expires:  h.fed.Now().Add(upstreamLoginTTL).Unix(),
	}
	to, err := p.LoginURL(r.Context(), pl.providerFlow())
	if err != nil {
		h.upstreamFailed(w, r, p.ID(), flow, err)
		return
	}
	if err := h.fed.pending.set(w, pl); err != nil {
		h.logger.InfoContext(r.Context(), "web: upstream login refused", "provider", p.ID(), "err", err)
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// UpstreamCallback serves GET /login/{id}/callback: the upstream's answer.
// It checks the state against this browser's pending login, lets the
// provider verify the identity, signs the person in and resumes the
// authorization request as a password login would.
func (h *Federation) UpstreamCallback(w http.ResponseWriter, r *http.Request) {
	p, ok := h.fed.byID[mux.Vars(r)["id"]]
	if !ok {
		h.renderer.Error(w, r, http.StatusNotFound, MsgNotFound)
		return
	}
	pl, err := h.fed.pending.take(w, r, p.ID(), h.fed.Now())
	if err == nil && subtle.ConstantTimeCompare([]byte(pl.State), []byte(r.URL.Query().Get("state"))) != 1 {
		err = errors.New("web: the state does not match this browser's pending login")
	}
	if err != nil {
		h.upstreamRefused(w, r, p.ID(), "", "bad_state", err, http.StatusBadRequest, MsgUpstreamExpired)
		return
	}
	ident, err := p.Callback(r.Context(), r, pl.providerFlow())
	if err != nil {
		h.upstreamFailed(w, r, p.ID(), pl.Flow, err)
		return
	}
	user, err := h.fed.resolve(r, p.ID(), ident)
	var refused *linkRefusal
	if errors.As(err, &refused) {
		h.upstreamRefused(w, r, p.ID(), pl.Flow, refused.reason, err, http.StatusForbidden, refused.message)
		return
	}
	if err != nil {
		h.serverError(w, r, "upstream sign-in", err)
		return
	}
	h.signIn(w, r, user, signInEvent{Type: audit.UpstreamLogin, ClientID: flowClient(pl.Flow), Details: map[string]string{"provider": p.ID()}, Method: mfa.AMRFederated}, pl.Flow, pl.ReturnTo)
}

// upstreamFailed ends a login the upstream side failed on a friendly page.
func (h *Federation) upstreamFailed(w http.ResponseWriter, r *http.Request, provider, flow string, err error) {
	status, msg := http.StatusBadRequest, MsgUpstreamFailed
	switch {
	case errors.Is(err, providers.ErrAccessDenied):
		status, msg = http.StatusForbidden, MsgUpstreamDenied
	case errors.Is(err, providers.ErrUnavailable):
		status, msg = http.StatusBadGateway, MsgUpstreamUnavailable
	}
	h.upstreamRefused(w, r, provider, flow, providers.Reason(err), err, status, msg)
}

// upstreamRefused logs and audits a failed upstream login and shows msg.
func (h *Federation) upstreamRefused(w http.ResponseWriter, r *http.Request, provider, flow, reason string, err error, status int, msg string) {
	h.logger.InfoContext(r.Context(), "upstream login failed", "provider", provider, "reason", reason, "err", err)
	h.fed.Audit.RecordRequest(r, audit.UpstreamFailure, audit.Failure, "", flowClient(flow), map[string]string{"provider": provider, "reason": reason})
	h.renderer.Error(w, r, status, msg)
}

// providerFlow is what the provider needs of a pending login. A flow
// asking for prompt=login asks the upstream for a fresh login too.
func (pl pendingLogin) providerFlow() providers.Flow {
	q, _ := url.ParseQuery(pl.Flow)
	return providers.Flow{
		State:        pl.State,
		Nonce:        pl.Nonce,
		CodeVerifier: pl.Verifier,
		ForceLogin:   slices.Contains(strings.Fields(q.Get("prompt")), "login"),
	}
}

// flowClient is the client id of a pending authorization request, for the
// audit log.
func flowClient(flow string) string {
	q, _ := url.ParseQuery(flow)
	return q.Get("client_id")
}
