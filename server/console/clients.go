package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Clients serves GET /console/clients?q=&page=: clients whose id or name
// contains q, a page at a time.
func (h *Handler) Clients(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	n := pageNumber(r)
	list, err := h.store.ListClients(r.Context(), storage.ListOptions{Limit: pageSize + 1, Offset: (n - 1) * pageSize, Search: q})
	if err != nil {
		h.kit.ServerError(w, r, "console: list clients", err)
		return
	}
	page := clientsPage{chrome: h.chrome(w, r, a, "clients"), Query: q, Pager: makePager(r, n, len(list) > pageSize)}
	for _, c := range list[:min(len(list), pageSize)] {
		kind := "confidential"
		if c.Public {
			kind = "public"
		}
		page.Clients = append(page.Clients, clientRow{
			ID: c.ID, Name: c.Name, Kind: kind, Grants: strings.Join(c.GrantTypes, " "), ConfigManaged: c.ConfigManaged, Disabled: c.Disabled,
		})
	}
	h.pages.Render(w, r, http.StatusOK, tmplClients, page)
}

// NewClientForm serves GET /console/clients/new.
func (h *Handler) NewClientForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	page := specPage(clients.Spec{GrantTypes: clients.DefaultGrantTypes, Scopes: clients.DefaultScopes})
	page.chrome, page.New = h.chrome(w, r, a, "clients"), true
	h.pages.Render(w, r, http.StatusOK, tmplClient, page)
}

// CreateClient serves POST /console/clients: the form's fields (see
// specFromForm), validated as by the CLI and the admin API; a
// confidential client's generated secret is shown once.
func (h *Handler) CreateClient(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	spec := specFromForm(r)
	c, plain, err := h.manage.CreateClient(r.Context(), a.actor, spec)
	show := func(status int, msg string) {
		page := specPage(spec)
		page.chrome, page.New, page.Error = h.chrome(w, r, a, "clients"), true, msg
		h.pages.Render(w, r, status, tmplClient, page)
	}
	if h.refused(w, r, err, show) {
		return
	}
	if plain == "" {
		done(w, r, clientPath(c.ID), "client-saved")
		return
	}
	h.pages.Render(w, r, http.StatusOK, tmplSecret, secretPage{chrome: h.chrome(w, r, a, "clients"), ID: c.ID, Secret: plain})
}

// Client serves GET /console/clients/{id}: every setting, editable
// unless the client is declared in the configuration file.
func (h *Handler) Client(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	h.showClient(w, r, a, mux.Vars(r)["id"], nil, http.StatusOK, "")
}

// showClient renders client id's page, with the settings just sent
// (spec, when not nil) and an error.
func (h *Handler) showClient(w http.ResponseWriter, r *http.Request, a admin, id string, spec *clients.Spec, status int, msg string) {
	c, err := h.store.GetClient(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		h.kit.Error(w, r, http.StatusNotFound, web.MsgNotFound)
		return
	}
	if err != nil {
		h.kit.ServerError(w, r, "console: load client", err)
		return
	}
	stored := clients.SpecOf(c)
	if spec == nil {
		spec = &stored
	}
	spec.ID, spec.Public = c.ID, c.Public
	page := specPage(*spec)
	page.chrome, page.Error = h.chrome(w, r, a, "clients"), msg
	page.ConfigManaged, page.Disabled = c.ConfigManaged, c.Disabled
	page.Created, page.Updated = c.CreatedAt.Format(timeFormat), c.UpdatedAt.Format(timeFormat)
	h.pages.Render(w, r, status, tmplClient, page)
}

// UpdateClient serves POST /console/clients/{id}: every editable setting
// replaced by the form's (the id and public cannot change).
func (h *Handler) UpdateClient(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	id := mux.Vars(r)["id"]
	s := specFromForm(r)
	ch := manage.ClientChange{
		Name: &s.Name, RedirectURIs: &s.RedirectURIs, PostLogoutRedirectURIs: &s.PostLogoutRedirectURIs,
		GrantTypes: &s.GrantTypes, Scopes: &s.Scopes, Audience: &s.Audience, IntrospectAny: &s.IntrospectAny,
		BackchannelLogoutURI: &s.BackchannelLogoutURI, BackchannelLogoutSessionRequired: &s.BackchannelLogoutSessionRequired,
		RequireMFA: &s.RequireMFA,
	}
	_, err := h.manage.UpdateClient(r.Context(), a.actor, id, ch)
	if !h.refused(w, r, err, func(status int, msg string) { h.showClient(w, r, a, id, &s, status, msg) }) {
		done(w, r, clientPath(id), "client-saved")
	}
}

// RotateClientSecret serves POST /console/clients/{id}/rotate-secret
// (confirmed first): the new secret is shown once; the old one stops
// working at once.
func (h *Handler) RotateClientSecret(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.clientAction(w, r, confirmPage{Title: "Rotate secret", Button: "Rotate secret",
		Question: "Give this client a new secret? The current one stops working at once: the application must be given the new one."})
	if !ok {
		return
	}
	c, plain, err := h.manage.RotateClientSecret(r.Context(), a.actor, id)
	if h.refused(w, r, err, func(status int, msg string) { h.showClient(w, r, a, id, nil, status, msg) }) {
		return
	}
	h.pages.Render(w, r, http.StatusOK, tmplSecret, secretPage{chrome: h.chrome(w, r, a, "clients"), ID: c.ID, Secret: plain, Rotated: true})
}

// DeleteClient serves POST /console/clients/{id}/delete (confirmed
// first): the client goes with its consents and tokens.
func (h *Handler) DeleteClient(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.clientAction(w, r, confirmPage{Title: "Delete client", Button: "Delete",
		Question: "Delete this client with its consents and tokens? The application can no longer sign anyone in. This cannot be undone."})
	if !ok {
		return
	}
	err := h.manage.DeleteClient(r.Context(), a.actor, id)
	if !h.refused(w, r, err, func(status int, msg string) { h.showClient(w, r, a, id, nil, status, msg) }) {
		done(w, r, Path+"/clients", "client-gone")
	}
}

// clientAction checks a destructive action's form, admin and
// confirmation, and returns the client's id.
func (h *Handler) clientAction(w http.ResponseWriter, r *http.Request, c confirmPage) (admin, string, bool) {
	a, ok := h.form(w, r)
	if !ok {
		return a, "", false
	}
	id := mux.Vars(r)["id"]
	c.Cancel, c.Subject = clientPath(id), id
	if !h.confirmed(w, r, a, "clients", c) {
		return a, "", false
	}
	return a, id, true
}

// specFromForm reads a client form: lists one per line (URIs) or
// separated by spaces (scopes, audience), check boxes "yes".
func specFromForm(r *http.Request) clients.Spec {
	f := r.PostForm
	return clients.Spec{
		ID: strings.TrimSpace(f.Get("client_id")), Name: strings.TrimSpace(f.Get("name")), Public: f.Get("public") == "yes",
		RedirectURIs: splitList(f.Get("redirect_uris")), PostLogoutRedirectURIs: splitList(f.Get("post_logout_redirect_uris")),
		GrantTypes: f["grant_types"], Scopes: splitList(f.Get("scopes")), Audience: splitList(f.Get("audience")),
		IntrospectAny: f.Get("introspect_any") == "yes", RequireMFA: f.Get("require_mfa") == "yes",
		BackchannelLogoutURI:             strings.TrimSpace(f.Get("backchannel_logout_uri")),
		BackchannelLogoutSessionRequired: f.Get("backchannel_logout_session_required") == "yes",
	}
}

// specPage fills the client form from s.
func specPage(s clients.Spec) clientPage {
	p := clientPage{
		ID: s.ID, Name: s.Name, Public: s.Public, IntrospectAny: s.IntrospectAny, RequireMFA: s.RequireMFA,
		RedirectURIs: strings.Join(s.RedirectURIs, "\n"), PostLogoutURIs: strings.Join(s.PostLogoutRedirectURIs, "\n"),
		Scopes: strings.Join(s.Scopes, " "), Audience: strings.Join(s.Audience, " "),
		BackchannelURI: s.BackchannelLogoutURI, BackchannelSession: s.BackchannelLogoutSessionRequired,
	}
	for _, g := range clients.GrantTypes {
		p.Grants = append(p.Grants, grantChoice{Value: g, Checked: slices.Contains(s.GrantTypes, g)})
	}
	for _, g := range s.GrantTypes {
		if !slices.Contains(clients.GrantTypes, g) {
			// Kept as it is, so saving the form does not drop it; the
			// rules say whether it is valid.
			p.Grants = append(p.Grants, grantChoice{Value: g, Checked: true})
		}
	}
	return p
}
