// Package admin is the JSON admin API under /admin/: users, clients,
// signing keys and the audit log. Every request needs a bearer access
// token from this server (checked by oauth.BearerVerifier, so revoked tokens
// are refused at once) granted the gatehouse:admin scope, whose user holds
// the admin role now. Changes go through package manage, which records
// them in the audit log with the acting admin.
package admin

import (
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/internal/pathvars"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/storage"
)

// PathPrefix is where the admin API is mounted.
const PathPrefix = "/admin/"

// Options configure the admin API.
type Options struct {
	Tokens   *oauth.BearerVerifier // checks the callers' access tokens
	Store    storage.Store
	Accounts *accounts.Service
	Keys     *keys.Manager
	Audit    *audit.Recorder
	Secret   []byte // system secret, for hashing client secrets
	Logger   *slog.Logger
	// Faults counts and logs (rate-limited) the requests a database
	// failure answered with 503; nil logs each one to Logger.
	Faults *faults.Reporter
	// MFA lists and resets users' second factors; Notify mails a person
	// about it. Both optional.
	MFA    *mfa.Service
	Notify func(user storage.User, change string)
	// Manage is the service layer the admin API shares with the admin
	// console; nil builds one from the fields above.
	Manage *manage.Service
}

// Handler serves the admin API.
type Handler struct {
	tokens *oauth.BearerVerifier
	store  storage.Store
	manage *manage.Service
	audit  *audit.Recorder
	logger *slog.Logger
	faults *faults.Reporter
	router *mux.Router
}

// New returns the admin API handler, to be mounted at PathPrefix. Its
// endpoints (ListUsers, CreateUser, …) are mounted on Router by the route
// list in package server.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Faults == nil {
		o.Faults = &faults.Reporter{Logger: o.Logger}
	}
	svc := o.Manage
	if svc == nil {
		svc = &manage.Service{
			Store:    o.Store,
			Accounts: o.Accounts,
			Hasher:   secret.NewHasher(o.Secret),
			Keys:     o.Keys,
			Audit:    o.Audit,
			MFA:      o.MFA,
			Notify:   o.Notify,
		}
	}
	h := &Handler{
		faults: o.Faults,
		tokens: o.Tokens,
		store:  o.Store,
		manage: svc,
		audit:  o.Audit,
		logger: o.Logger,
	}
	// The routes are mounted on h.router from server/routes.go.
	r := mux.NewRouter()
	pathvars.Encoded(r)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "There is no such admin resource.")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "The method "+req.Method+" is not allowed here.")
	})
	h.router = r
	return h
}

// Router is where the admin endpoints are mounted: ServeHTTP routes
// authenticated requests through it. Unknown paths and methods answer JSON
// errors.
func (h *Handler) Router() *mux.Router { return h.router }

// ServeHTTP authenticates the caller, then routes the request. Unknown
// paths are only revealed to admins.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	h.router.ServeHTTP(w, r.WithContext(withCaller(r.Context(), c)))
}
