// Package console is the admin console at /console: server-rendered pages
// (the pages' templates, stylesheet and strict CSP; no script) for people
// with the admin role, signed in through the usual login and, when
// console.require_mfa is on, with a second factor. Every change goes
// through package manage, the service layer the admin API shares, so a
// rule cannot differ between the two; every form carries the pages' CSRF
// token, every change is audited with the admin as actor, and a
// destructive action asks for confirmation first (confirm.go).
package console

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Path is where the console is mounted.
const Path = "/console"

// Options are the console's dependencies; all are required but MFA (nil:
// nobody has a second factor), Logger and Now.
type Options struct {
	// Kit lends the pages' CSRF, forms and error pages; Pages are the
	// console's pages (ParsePages).
	Kit      *web.PageKit
	Pages    *web.PageSet
	Sessions *session.Manager
	Store    storage.Store
	// Manage is the service layer shared with the admin API.
	Manage *manage.Service
	Audit  *audit.Recorder
	MFA    *mfa.Service
	// RequireMFA is console.require_mfa: an admin must have signed in
	// with a second factor.
	RequireMFA bool
	Logger     *slog.Logger
	Now        func() time.Time
}

// Handler serves the console's pages; its methods are mounted by the
// route table (server/routes.go).
type Handler struct {
	kit        *web.PageKit
	pages      *web.PageSet
	sessions   *session.Manager
	store      storage.Store
	manage     *manage.Service
	audit      *audit.Recorder
	mfa        *mfa.Service
	requireMFA bool
	logger     *slog.Logger
	now        func() time.Time
}

// ParsePages parses the console's templates with the pages' renderer; a
// missing or broken one is an error here, at start.
func ParsePages(r *web.Renderer) (*web.PageSet, error) {
	// segment puts an ID into a path as one segment: a client ID may be
	// a URL (a metadata document client).
	set, err := r.Pages([]string{tmplShared}, samples(), template.FuncMap{"segment": url.PathEscape})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return set, nil
}

// New returns the console's handler. It panics when a required
// dependency is missing: that is a wiring mistake, found at start.
func New(o Options) *Handler {
	if o.Kit == nil || o.Pages == nil || o.Sessions == nil || o.Store == nil || o.Manage == nil || o.Audit == nil {
		panic("console: New: Kit, Pages, Sessions, Store, Manage and Audit are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{
		kit: o.Kit, pages: o.Pages, sessions: o.Sessions, store: o.Store, manage: o.Manage, audit: o.Audit,
		mfa: o.MFA, requireMFA: o.RequireMFA, logger: o.Logger, now: o.Now,
	}
}

// admin is the signed-in admin of a request.
type admin struct {
	user  storage.User
	actor manage.Actor
}

// signedIn admits a signed-in person with the admin role who, when
// console.require_mfa is on, signed in with a second factor. Everyone else
// is answered: to the login page (not signed in), 403 (not an admin, an
// audit event), to /login/mfa (an admin with a second factor whose session
// lacks it: a step-up coming back here) or to /account/security (an admin
// with none: enrol first).
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (admin, bool) {
	back := Path
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		back = r.URL.RequestURI()
	}
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		redirect(w, r, "/login?return_to="+url.QueryEscape(back))
		return admin{}, false
	}
	if err != nil {
		h.kit.ServerError(w, r, "console: load session", err)
		return admin{}, false
	}
	if !accounts.IsAdmin(cur.User) {
		h.audit.RecordRequest(r, audit.PermissionDenied, audit.Denied, cur.User.ID, "", map[string]string{
			"reason": "not_admin", "method": r.Method, "path": r.URL.Path,
		})
		h.kit.Error(w, r, http.StatusForbidden, web.MsgForbidden)
		return admin{}, false
	}
	if h.requireMFA && !mfa.Satisfies(cur.Session.ACR, mfa.ACRMFA) {
		has := false
		if h.mfa != nil {
			if has, err = h.mfa.Registry.HasSecondFactor(r.Context(), cur.User.ID); err != nil {
				h.kit.ServerError(w, r, "console: list second factors", err)
				return admin{}, false
			}
		}
		if has {
			redirect(w, r, web.PathLoginMFA+"?return_to="+url.QueryEscape(back))
		} else {
			redirect(w, r, web.PathSecurity)
		}
		return admin{}, false
	}
	ev := audit.FromRequest(r, "")
	return admin{user: cur.User, actor: manage.Actor{ID: cur.User.ID, IP: ev.IP, UserAgent: ev.UserAgent}}, true
}

// form parses and CSRF-checks a console form post, then admits its
// sender as signedIn does.
func (h *Handler) form(w http.ResponseWriter, r *http.Request) (admin, bool) {
	if !h.kit.ParseForm(w, r) {
		return admin{}, false
	}
	return h.signedIn(w, r)
}

// chrome is what every console page shows around its content.
type chrome struct {
	// Nav names the section shown (dashboard, users, clients, keys,
	// audit); Admin is the signed-in admin's email.
	Nav       string
	Admin     string
	CSRFToken string
	// Notice says what an action did; Error what went wrong.
	Notice string
	Error  string
}

func (h *Handler) chrome(w http.ResponseWriter, r *http.Request, a admin, nav string) chrome {
	return chrome{Nav: nav, Admin: a.user.Email, CSRFToken: h.kit.Token(w, r), Notice: notices[r.URL.Query().Get("done")]}
}

// redirect answers 303 to a local path, never cached.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// done redirects to path showing the notice key.
func done(w http.ResponseWriter, r *http.Request, path, key string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	redirect(w, r, path+sep+"done="+key)
}

// userPath and clientPath are the detail pages.
func userPath(id string) string   { return Path + "/users/" + url.PathEscape(id) }
func clientPath(id string) string { return Path + "/clients/" + url.PathEscape(id) }
