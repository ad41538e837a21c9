package admin

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ListUsers answers GET /admin/users?limit=&offset=&search= (search: part
// of the email, case-insensitive).
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := page(w, r)
	if !ok {
		return
	}
	list, err := h.store.ListUsers(r.Context(), storage.ListOptions{Limit: limit, Offset: offset, Search: r.URL.Query().Get("search")})
	if err != nil {
		h.serverError(w, r, "list users", err)
		return
	}
	out := make([]manage.UserView, 0, len(list))
	for _, u := range list {
		v, err := h.manage.ViewUserFactors(r.Context(), u)
		if err != nil {
			h.serverError(w, r, "list second factors", err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "limit": limit, "offset": offset})
}

// newUser is the body of POST /admin/users. The password is optional (an
// account without one signs in upstream or sets one by password reset);
// an admin-created address counts as verified unless email_verified says
// otherwise.
type newUser struct {
	Email         string   `json:"email"`
	Password      string   `json:"password"`
	Name          string   `json:"name"`
	Roles         []string `json:"roles"`
	EmailVerified *bool    `json:"email_verified"`
}

// CreateUser answers POST /admin/users.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) {
	var in newUser
	if !decode(w, r, &in) {
		return
	}
	verified := in.EmailVerified == nil || *in.EmailVerified
	u, err := h.manage.CreateUser(r.Context(), actor(r), accounts.NewUser{
		Email: in.Email, Password: in.Password, Name: in.Name, Roles: in.Roles, EmailVerified: verified,
	})
	if err != nil {
		h.fail(w, r, "user", err)
		return
	}
	w.Header().Set("Location", "/admin/users/"+u.ID)
	writeJSON(w, http.StatusCreated, manage.ViewUser(u))
}

// GetUser answers GET /admin/users/{id}.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) {
	if v, ok := h.userView(w, r, mux.Vars(r)["id"]); ok {
		writeJSON(w, http.StatusOK, v)
	}
}

// userView loads user id as the API shows it, with its second factors;
// on failure it has answered.
func (h *Handler) userView(w http.ResponseWriter, r *http.Request, id string) (any, bool) {
	u, err := h.store.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, "user", err)
		return nil, false
	}
	v, err := h.manage.ViewUserFactors(r.Context(), u)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return nil, false
	}
	return v, true
}

// UpdateUser answers PATCH /admin/users/{id} with any of name, roles (the
// whole new list) and disabled. Disabling signs the user out everywhere
// and revokes their tokens.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) {
	var ch manage.UserChange
	if !decode(w, r, &ch) {
		return
	}
	if ch == (manage.UserChange{}) {
		badRequest(w, "Nothing to change: send name, roles or disabled.")
		return
	}
	u, err := h.manage.UpdateUser(r.Context(), actor(r), mux.Vars(r)["id"], ch)
	if err != nil {
		h.fail(w, r, "user", err)
		return
	}
	writeJSON(w, http.StatusOK, manage.ViewUser(u))
}

// DeleteUser answers DELETE /admin/users/{id}.
func (h *Handler) DeleteUser(w http.ResponseWriter, r *http.Request) {
	if err := h.manage.DeleteUser(r.Context(), actor(r), mux.Vars(r)["id"]); err != nil {
		h.fail(w, r, "user", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ResetMFA answers DELETE /admin/users/{id}/mfa: every second factor of
// the user goes (authenticator app, passkeys, recovery codes); the answer
// is the user, with the kinds removed.
func (h *Handler) ResetMFA(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	kinds, err := h.manage.ResetMFA(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, "user", err)
		return
	}
	if v, ok := h.userView(w, r, id); ok {
		writeJSON(w, http.StatusOK, map[string]any{"user": v, "removed": kinds})
	}
}
