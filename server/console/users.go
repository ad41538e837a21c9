package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// pageSize is how many rows a listing shows.
const pageSize = 25

// Users serves GET /console/users?q=&page=: users whose email contains
// q, a page at a time.
func (h *Handler) Users(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	n := pageNumber(r)
	list, err := h.store.ListUsers(r.Context(), storage.ListOptions{Limit: pageSize + 1, Offset: (n - 1) * pageSize, Search: q})
	if err != nil {
		h.kit.ServerError(w, r, "console: list users", err)
		return
	}
	page := usersPage{chrome: h.chrome(w, r, a, "users"), Query: q, Pager: makePager(r, n, len(list) > pageSize)}
	for _, u := range list[:min(len(list), pageSize)] {
		fs, err := h.manage.Factors(r.Context(), u.ID)
		if err != nil {
			h.kit.ServerError(w, r, "console: list second factors", err)
			return
		}
		page.Users = append(page.Users, userRow{
			ID: u.ID, Email: u.Email, Name: u.Name, Roles: strings.Join(u.Roles, " "), Created: u.CreatedAt.Format(dayFormat),
			Disabled: u.Disabled, Verified: u.EmailVerified, Admin: accounts.IsAdmin(u), Factors: secondFactors(fs),
		})
	}
	h.pages.Render(w, r, http.StatusOK, tmplUsers, page)
}

// User serves GET /console/users/{id}: the user's details, roles, second
// factors, sessions and apps, and the actions on them.
func (h *Handler) User(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	h.showUser(w, r, a, mux.Vars(r)["id"], http.StatusOK, "")
}

// showUser renders the user page with an error (a refused action), or
// the 404 page when there is no such user.
func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, a admin, id string, status int, msg string) {
	ctx := r.Context()
	u, err := h.store.GetUser(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		h.kit.Error(w, r, http.StatusNotFound, web.MsgNotFound)
		return
	}
	if err != nil {
		h.kit.ServerError(w, r, "console: load user", err)
		return
	}
	page := userPage{
		chrome: h.chrome(w, r, a, "users"),
		ID:     u.ID, Email: u.Email, Name: u.Name, Roles: strings.Join(u.Roles, " "),
		Created: u.CreatedAt.Format(timeFormat), Updated: u.UpdatedAt.Format(timeFormat),
		Disabled: u.Disabled, Verified: u.EmailVerified, Self: u.ID == a.user.ID,
	}
	page.Error = msg
	fs, err := h.manage.Factors(ctx, u.ID)
	if err != nil {
		h.kit.ServerError(w, r, "console: list second factors", err)
		return
	}
	for _, f := range fs {
		row := factorRow{Kind: f.Kind, Name: f.Name, Added: f.CreatedAt.Format(dayFormat), Count: f.Count}
		if f.LastUsedAt != nil {
			row.LastUsed = f.LastUsedAt.Format(timeFormat)
		}
		page.Factors = append(page.Factors, row)
	}
	sessions, err := h.store.ListBrowserSessions(ctx, u.ID, h.now())
	if err != nil {
		h.kit.ServerError(w, r, "console: list sessions", err)
		return
	}
	for _, s := range slices.Backward(sessions) { // newest first
		page.Sessions = append(page.Sessions, sessionRow{
			SID: s.SID, Started: s.AuthTime.Format(timeFormat), Expires: s.ExpiresAt.Format(timeFormat),
			IP: s.IP, Device: web.DeviceName(s.UserAgent), ACR: s.ACR,
		})
	}
	consents, err := h.store.ListConsents(ctx, u.ID)
	if err != nil {
		h.kit.ServerError(w, r, "console: list consents", err)
		return
	}
	for _, c := range consents {
		name := c.ClientID
		if cl, err := h.store.GetClient(ctx, c.ClientID); err == nil && strings.TrimSpace(cl.Name) != "" {
			name = cl.Name
		}
		page.Apps = append(page.Apps, appRow{ClientID: c.ClientID, Name: name, Scopes: strings.Join(c.Scopes, " "), Granted: c.GrantedAt.Format(dayFormat)})
	}
	h.pages.Render(w, r, status, tmplUser, page)
}

// UpdateUser serves POST /console/users/{id} {name, roles}: roles is the
// whole new list, separated by spaces or commas.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	id := mux.Vars(r)["id"]
	name, roles := r.PostForm.Get("name"), splitList(r.PostForm.Get("roles"))
	_, err := h.manage.UpdateUser(r.Context(), a.actor, id, manage.UserChange{Name: &name, Roles: &roles})
	if !h.refused(w, r, err, func(status int, msg string) { h.showUser(w, r, a, id, status, msg) }) {
		done(w, r, userPath(id), "user-saved")
	}
}

// NewUserForm serves GET /console/users/new.
func (h *Handler) NewUserForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	h.pages.Render(w, r, http.StatusOK, tmplUserNew, newUserPage{chrome: h.chrome(w, r, a, "users"), Roles: storage.RoleUser, Verified: true})
}

// CreateUser serves POST /console/users {email, name, password, roles,
// verified}: the password is optional (the person can set one through
// "forgot password", or sign in upstream).
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) {
	a, ok := h.form(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	page := newUserPage{chrome: h.chrome(w, r, a, "users"), Email: f.Get("email"), Name: f.Get("name"), Roles: f.Get("roles"), Verified: f.Get("verified") == "yes"}
	u, err := h.manage.CreateUser(r.Context(), a.actor, accounts.NewUser{
		Email: page.Email, Password: f.Get("password"), Name: page.Name, Roles: splitList(page.Roles), EmailVerified: page.Verified,
	})
	if !h.refused(w, r, err, func(status int, msg string) {
		page.Error = msg
		h.pages.Render(w, r, status, tmplUserNew, page)
	}) {
		done(w, r, userPath(u.ID), "user-created")
	}
}

// refused answers err when there is one, and reports whether it did: a
// refusal (bad input, a rule) through show (nil: a plain 400), anything
// else as a server error. An unknown user or client is 404.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, err error, show func(status int, msg string)) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, storage.ErrNotFound) {
		h.kit.Error(w, r, http.StatusNotFound, web.MsgNotFound)
		return true
	}
	if status, msg, ok := problem(err); ok {
		if show == nil {
			h.kit.Error(w, r, http.StatusBadRequest, web.MsgInvalidRequest)
			return true
		}
		show(status, msg)
		return true
	}
	h.kit.ServerError(w, r, "console: "+r.URL.Path, err)
	return true
}

// secondFactors counts the factors that are not backups.
func secondFactors(fs []manage.FactorView) int {
	n := 0
	for _, f := range fs {
		if f.Kind != mfa.KindRecovery {
			n++
		}
	}
	return n
}

// splitList splits a field of names separated by spaces, commas or
// newlines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// pageNumber reads ?page= (1 and up; anything else is 1).
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 1<<20 {
		return 1
	}
	return n
}

// makePager links the pages before and after n of the request's listing.
func makePager(r *http.Request, n int, more bool) pager {
	link := func(to int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(to))
		return r.URL.Path + "?" + q.Encode()
	}
	p := pager{Page: n}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if more {
		p.Next = link(n + 1)
	}
	return p
}
