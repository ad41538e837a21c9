package admin

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ListClients answers GET /admin/clients?limit=&offset=&search= (search:
// part of the id or name).
func (h *Handler) ListClients(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := page(w, r)
	if !ok {
		return
	}
	list, err := h.store.ListClients(r.Context(), storage.ListOptions{Limit: limit, Offset: offset, Search: r.URL.Query().Get("search")})
	if err != nil {
		h.serverError(w, r, "list clients", err)
		return
	}
	out := make([]manage.ClientView, 0, len(list))
	for _, c := range list {
		out = append(out, manage.ViewClient(c, ""))
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": out, "limit": limit, "offset": offset})
}

// CreateClient answers POST /admin/clients (a clients.Spec). Without
// client_secret, a confidential client gets a generated one, shown in
// this response only.
func (h *Handler) CreateClient(w http.ResponseWriter, r *http.Request) {
	var spec clients.Spec
	if !decode(w, r, &spec) {
		return
	}
	c, plain, err := h.manage.CreateClient(r.Context(), actor(r), spec)
	if err != nil {
		h.fail(w, r, "client", err)
		return
	}
	w.Header().Set("Location", "/admin/clients/"+c.ID)
	writeJSON(w, http.StatusCreated, manage.ViewClient(c, plain))
}

// GetClient answers GET /admin/clients/{id}.
func (h *Handler) GetClient(w http.ResponseWriter, r *http.Request) {
	c, err := h.store.GetClient(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		h.fail(w, r, "client", err)
		return
	}
	writeJSON(w, http.StatusOK, manage.ViewClient(c, ""))
}

// UpdateClient answers PATCH /admin/clients/{id} with any of name,
// redirect_uris, post_logout_redirect_uris, grant_types, scopes,
// audience (each list replaced whole), introspect_any,
// backchannel_logout_uri and backchannel_logout_session_required. A client
// declared in the configuration file is read-only: 409 config_managed, as
// for DELETE and rotate-secret.
func (h *Handler) UpdateClient(w http.ResponseWriter, r *http.Request) {
	var ch manage.ClientChange
	if !decode(w, r, &ch) {
		return
	}
	if ch == (manage.ClientChange{}) {
		badRequest(w, "Nothing to change: send name, redirect_uris, post_logout_redirect_uris, grant_types, scopes, audience, introspect_any, backchannel_logout_uri or backchannel_logout_session_required.")
		return
	}
	c, err := h.manage.UpdateClient(r.Context(), actor(r), mux.Vars(r)["id"], ch)
	if err != nil {
		h.fail(w, r, "client", err)
		return
	}
	writeJSON(w, http.StatusOK, manage.ViewClient(c, ""))
}

// DeleteClient answers DELETE /admin/clients/{id}.
func (h *Handler) DeleteClient(w http.ResponseWriter, r *http.Request) {
	if err := h.manage.DeleteClient(r.Context(), actor(r), mux.Vars(r)["id"]); err != nil {
		h.fail(w, r, "client", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RotateClientSecret answers POST /admin/clients/{id}/rotate-secret with
// the client and its new secret, shown this once. The old secret stops
// working at once.
func (h *Handler) RotateClientSecret(w http.ResponseWriter, r *http.Request) {
	c, plain, err := h.manage.RotateClientSecret(r.Context(), actor(r), mux.Vars(r)["id"])
	if err != nil {
		h.fail(w, r, "client", err)
		return
	}
	writeJSON(w, http.StatusOK, manage.ViewClient(c, plain))
}
