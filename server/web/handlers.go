package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// maxFormBytes bounds every form body.
const maxFormBytes = 64 << 10

// ClientGetter loads a registered client; storage.Store satisfies it.
type ClientGetter interface {
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// Options are the dependencies of Handlers. All but Static, Secure and
// Logger are required.
type Options struct {
	Renderer *Renderer
	Sessions *session.Manager
	Accounts *accounts.Service
	Clients  ClientGetter
	Resumer  session.Resumer
	// Secret is the system secret; the CSRF key is derived from it.
	Secret []byte
	// Secure sets the Secure flag on the CSRF cookie (https issuer).
	Secure bool
	// Static holds the assets served under /static/; nil means the
	// embedded ones. See StaticFS.
	Static fs.FS
	Logger *slog.Logger
	// Federation configures sign-in through upstream providers; the zero
	// value has none.
	Federation FederationOptions
	// Limiter bounds attempts per client IP on registration and
	// forgot-password (see Handlers.allow); nil allows everything. The
	// login limits are enforced by Accounts.Authenticate.
	Limiter *ratelimit.Limiter
}

// Handlers serves the login and consent pages and the static assets.
type Handlers struct {
	renderer *Renderer
	sessions *session.Manager
	accounts *accounts.Service
	clients  ClientGetter
	resumer  session.Resumer
	csrf     *csrf
	static   fs.FS
	logger   *slog.Logger
	fed      *federation
	limiter  *ratelimit.Limiter
}

// New returns Handlers. It panics when a required dependency is missing:
// that is a wiring mistake, found at start.
func New(o Options) *Handlers {
	switch {
	case o.Renderer == nil:
		panic("web: New: Options.Renderer is nil")
	case o.Sessions == nil:
		panic("web: New: Options.Sessions is nil")
	case o.Accounts == nil:
		panic("web: New: Options.Accounts is nil")
	case o.Clients == nil:
		panic("web: New: Options.Clients is nil")
	case o.Resumer == nil:
		panic("web: New: Options.Resumer is nil")
	case len(o.Secret) == 0:
		panic("web: New: Options.Secret is empty")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	static := o.Static
	if static == nil {
		static = defaultStatic()
	}
	return &Handlers{
		renderer: o.Renderer.WithLogger(logger),
		sessions: o.Sessions,
		accounts: o.Accounts,
		clients:  o.Clients,
		resumer:  o.Resumer,
		csrf:     newCSRF(o.Secret, o.Secure),
		static:   static,
		logger:   logger,
		fed:      newFederation(o.Federation, o.Accounts, o.Secret, o.Secure),
		limiter:  o.Limiter,
	}
}

// Register mounts the pages on r.
func (h *Handlers) Register(r *mux.Router) {
	r.HandleFunc("/login", h.loginForm).Methods(http.MethodGet, http.MethodHead)
	// Cross-origin form posts are refused outright (Sec-Fetch-Site /
	// Origin), on top of the CSRF token every form carries.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderer.Error(w, r, http.StatusForbidden, MsgCSRF)
	}))
	r.Handle("/login", cop.Handler(http.HandlerFunc(h.login))).Methods(http.MethodPost)
	r.HandleFunc("/consent", h.consentForm).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/consent", cop.Handler(http.HandlerFunc(h.consent))).Methods(http.MethodPost)
	h.registerFederation(r)
	r.PathPrefix("/static/").Handler(h.staticHandler()).Methods(http.MethodGet, http.MethodHead)
}

// parseForm limits and parses a POST body. On failure it has answered.
func (h *Handlers) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.renderer.Error(w, r, http.StatusRequestEntityTooLarge, MsgInvalidRequest)
			return false
		}
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return false
	}
	return true
}

// checkCSRF answers 403 and returns false when the form's token is bad.
func (h *Handlers) checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	if h.csrf.valid(r) {
		return true
	}
	h.logger.InfoContext(r.Context(), "web: csrf check failed", "path", r.URL.Path)
	h.renderer.Error(w, r, http.StatusForbidden, MsgCSRF)
	return false
}

// serverError logs err and answers 500 with the fixed text.
func (h *Handlers) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.logger.ErrorContext(r.Context(), "web: "+what, "path", r.URL.Path, "err", err)
	h.renderer.Error(w, r, http.StatusInternalServerError, MsgServer)
}
