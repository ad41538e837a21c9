package registration

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// client returns the self-registered client the path names, when the
// request presents its registration access token; otherwise it has
// answered 401 (RFC 7592 section 3: an unknown client and a wrong token
// are told apart to nobody).
func (h *Handler) client(w http.ResponseWriter, r *http.Request) (storage.Client, clients.Metadata, bool) {
	token, ok := bearer(r)
	id := mux.Vars(r)["id"]
	c, err := h.o.Store.GetClient(r.Context(), id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.serverError(w, r, "load client", err)
		return c, clients.Metadata{}, false
	}
	if !ok || err != nil || c.Origin != storage.ClientOriginDynamic || !sameToken(c.RegistrationTokenHash, token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="registration", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "The registration access token is invalid for this client.")
		return c, clients.Metadata{}, false
	}
	var m clients.Metadata
	if err := json.Unmarshal(c.Metadata, &m); err != nil {
		h.serverError(w, r, "decode stored metadata", err)
		return c, m, false
	}
	return c, m, true
}

// Read serves GET /oauth2/register/{id} (RFC 7592 section 2.1).
func (h *Handler) Read(w http.ResponseWriter, r *http.Request) {
	c, m, ok := h.client(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.answer(c, m))
}

// Update serves PUT /oauth2/register/{id} (RFC 7592 section 2.2): the
// metadata sent replaces the registered metadata whole, under the same
// rules as a registration. The client_id must be the client's; a
// client_secret, if sent, must be its secret; a client cannot turn from
// public to confidential or back.
func (h *Handler) Update(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.client(w, r)
	if !ok {
		return
	}
	var body struct {
		clients.Metadata
		ClientSecret *string `json:"client_secret"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.ClientID != c.ID {
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, "client_id must be this client's id.")
		return
	}
	if body.ClientSecret != nil && (c.Public || !h.secretMatches(r, c, *body.ClientSecret)) {
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, "client_secret does not match this client's secret.")
		return
	}
	m, err := h.o.Policy.Normalize(body.Metadata)
	if err != nil {
		h.refuse(w, r, c.ID, err)
		return
	}
	if (m.TokenEndpointAuthMethod == clients.AuthNone) != c.Public {
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, "token_endpoint_auth_method cannot change between none and a client secret; register a new client.")
		return
	}
	raw, err := json.Marshal(m)
	if err != nil {
		h.serverError(w, r, "marshal metadata", err)
		return
	}
	spec := m.Spec(c.ID)
	updated, err := clients.Update(r.Context(), h.o.Store, c.ID, func(s *clients.Spec) error {
		// Only what a client may say about itself changes: settings an
		// administrator imposed (a second factor, DPoP, PAR, audiences,
		// back-channel logout, …) stay.
		s.Name, s.RedirectURIs, s.PostLogoutRedirectURIs = spec.Name, spec.RedirectURIs, spec.PostLogoutRedirectURIs
		s.GrantTypes, s.Scopes = spec.GrantTypes, spec.Scopes
		return nil
	}, h.o.Now())
	if err == nil {
		err = h.o.Store.UpdateClient(r.Context(), c.ID, func(sc *storage.Client) error {
			sc.Metadata = raw
			updated = *sc
			return nil
		})
	}
	if err != nil {
		h.refuse(w, r, c.ID, err)
		return
	}
	h.o.Audit.RecordRequest(r, audit.ClientUpdated, audit.Success, "", c.ID, map[string]string{
		"actor": "self", "redirect_hosts": redirectHosts(m.RedirectURIs), "scopes": m.Scope,
	})
	writeJSON(w, http.StatusOK, h.answer(updated, m))
}

// secretMatches reports whether plain is c's client secret.
func (h *Handler) secretMatches(r *http.Request, c storage.Client, plain string) bool {
	hash, err := h.o.Hasher.Hash(r.Context(), []byte(plain))
	return err == nil && len(c.SecretHash) > 0 && subtleEqual(hash, c.SecretHash)
}

// Delete serves DELETE /oauth2/register/{id} (RFC 7592 section 2.3): the
// client, its consents and tokens are gone.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.client(w, r)
	if !ok {
		return
	}
	if err := h.o.Store.DeleteClient(r.Context(), c.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.serverError(w, r, "delete client", err)
		return
	}
	h.o.Audit.RecordRequest(r, audit.ClientDeleted, audit.Success, "", c.ID, map[string]string{"actor": "self"})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
