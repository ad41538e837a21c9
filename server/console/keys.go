package console

import (
	"net/http"
)

// Keys serves GET /console/keys: every signing key with its state (next,
// active, retiring).
func (h *Handler) Keys(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	list, err := h.manage.Keys.List(r.Context())
	if err != nil {
		h.kit.ServerError(w, r, "console: list keys", err)
		return
	}
	now := h.now()
	page := keysPage{chrome: h.chrome(w, r, a, "keys")}
	for _, k := range list {
		row := keyRow{ID: k.ID, Algorithm: k.Algorithm, State: k.State(now), Created: k.CreatedAt.Format(timeFormat), SignFrom: k.SignFrom.Format(timeFormat)}
		if !k.RetireAt.IsZero() {
			row.RetireAt = k.RetireAt.Format(timeFormat)
		}
		page.Keys = append(page.Keys, row)
	}
	h.pages.Render(w, r, http.StatusOK, tmplKeys, page)
}

// RotateKey serves POST /console/keys/rotate (confirmed first): a new
// key is published now and signs after keys.publish_ahead.
func (h *Handler) RotateKey(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	if !h.confirmed(w, r, a, "keys", confirmPage{Title: "Rotate signing key", Button: "Rotate", Cancel: Path + "/keys",
		Question: "Publish a new signing key? It starts signing shortly; the current key stays published until every token it signed has expired."}) {
		return
	}
	if _, err := h.manage.RotateKey(r.Context(), a.actor); err != nil {
		h.kit.ServerError(w, r, "console: rotate keys", err)
		return
	}
	done(w, r, Path+"/keys", "key-rotated")
}
