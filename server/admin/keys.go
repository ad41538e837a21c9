package admin

import "net/http"

// ListKeys answers GET /admin/keys: every stored signing key, public
// metadata only.
func (h *Handler) ListKeys(w http.ResponseWriter, r *http.Request) {
	list, err := h.manage.Keys.List(r.Context())
	if err != nil {
		h.serverError(w, r, "list keys", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": list})
}

// RotateKey answers POST /admin/keys/rotate with the new key.
func (h *Handler) RotateKey(w http.ResponseWriter, r *http.Request) {
	info, err := h.manage.RotateKey(r.Context(), actor(r))
	if err != nil {
		h.serverError(w, r, "rotate keys", err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
