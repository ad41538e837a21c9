package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// maxFormBytes bounds every form body.
const maxFormBytes = 64 << 10

// ClientGetter loads a registered client; storage.Store satisfies it.
type ClientGetter interface {
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// Options are the dependencies of Handlers. Renderer, Sessions, Accounts,
// Clients, Resumer and Secret are required; without Store the account,
// registration and password-reset pages are not served.
type Options struct {
	Renderer *Renderer
	Sessions *session.Manager
	Accounts *accounts.Service
	Clients  ClientGetter
	Resumer  signin.Resumer
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

	// Store holds users, sessions, consents, identities and one-time
	// tokens for the registration, account and password-reset pages.
	Store storage.Store
	// Mailer sends verification and reset mail; nil drops mail (logged).
	Mailer mail.Sender
	// Audit records security events; nil records nothing.
	Audit *audit.Recorder
	// Issuer is the base of the absolute links in mail.
	Issuer string
	// Registration configures /register.
	Registration Registration
	// PasswordResetTTL and VerificationTTL are the lifetimes of the mailed
	// links (defaults 1h and 48h).
	PasswordResetTTL time.Duration
	VerificationTTL  time.Duration
	// Logout validates RP-initiated logout requests (/oauth2/logout); nil
	// leaves that endpoint unserved.
	Logout signin.LogoutParser
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Limiter bounds attempts per client IP on registration and
	// forgot-password (see Handlers.allow); nil allows everything. The
	// login limits are enforced by Accounts.Authenticate.
	Limiter *ratelimit.Limiter
	// Faults counts and logs (rate-limited) the pages a database failure
	// answered with 503; nil logs each one.
	Faults *faults.Reporter
}

// Registration configures self-service sign-up.
type Registration struct {
	Enabled              bool
	RequireVerifiedEmail bool
	CommonPasswords      bool
}

// Handlers serves the login and consent pages and the static assets.
type Handlers struct {
	renderer *Renderer
	sessions *session.Manager
	accounts *accounts.Service
	clients  ClientGetter
	resumer  signin.Resumer
	csrf     *csrf
	cop      *http.CrossOriginProtection
	static   fs.FS
	logger   *slog.Logger
	fed      *federation

	store        storage.Store
	mailer       mail.Sender
	audit        *audit.Recorder
	issuer       string
	registration Registration
	resetTTL     time.Duration
	verifyTTL    time.Duration
	logout       signin.LogoutParser
	now          func() time.Time
	handleKey    []byte // keys the session handles shown on the account page
	tasks        *tasks
	limiter      *ratelimit.Limiter
	faults       *faults.Reporter
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
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PasswordResetTTL <= 0 {
		o.PasswordResetTTL = time.Hour
	}
	if o.VerificationTTL <= 0 {
		o.VerificationTTL = 48 * time.Hour
	}
	if o.Faults == nil {
		o.Faults = &faults.Reporter{Logger: logger}
	}
	h := &Handlers{
		store:        o.Store,
		mailer:       o.Mailer,
		audit:        o.Audit,
		issuer:       o.Issuer,
		registration: o.Registration,
		resetTTL:     o.PasswordResetTTL,
		verifyTTL:    o.VerificationTTL,
		logout:       o.Logout,
		now:          o.Now,
		handleKey:    secret.Derive(o.Secret, "session-handle"),
		tasks:        newTasks(logger),
		renderer:     o.Renderer.WithLogger(logger),
		sessions:     o.Sessions,
		accounts:     o.Accounts,
		clients:      o.Clients,
		resumer:      o.Resumer,
		csrf:         newCSRF(o.Secret, o.Secure),
		static:       static,
		logger:       logger,
		fed:          newFederation(federationDefaults(o), o.Accounts, o.Secret, o.Secure),
		limiter:      o.Limiter,
		faults:       o.Faults,
	}
	h.cop = http.NewCrossOriginProtection()
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderer.Error(w, r, http.StatusForbidden, MsgCSRF)
	}))
	return h
}

// federationDefaults fills what o.Federation leaves unset from o itself, so
// that upstream logins run on the pages' clock, audit log and store.
// (The duplicated fields can go once every caller stops setting them.)
func federationDefaults(o Options) FederationOptions {
	f := o.Federation
	if f.Now == nil {
		f.Now = o.Now
	}
	if f.Audit == nil {
		f.Audit = o.Audit
	}
	if f.Store == nil && o.Store != nil {
		f.Store = o.Store
	}
	return f
}

// CrossOrigin refuses cross-origin form posts outright (Sec-Fetch-Site /
// Origin) with the CSRF page, before next runs; every page's form post is
// mounted behind it, on top of the CSRF token the form carries.
func (h *Handlers) CrossOrigin(next http.Handler) http.Handler {
	return h.cop.Handler(next)
}

// ServesAccounts reports whether the registration, verification, password
// reset and account pages are served (Options.Store was set).
func (h *Handlers) ServesAccounts() bool { return h.store != nil }

// ServesEndSession reports whether the RP-initiated logout endpoint is
// served (Options.Logout was set).
func (h *Handlers) ServesEndSession() bool { return h.logout != nil }

// Federated reports whether upstream providers are configured, so that
// /login/{id} and its callback are served.
func (h *Handlers) Federated() bool { return len(h.fed.Providers) > 0 }

// PathEndSession is the RP-initiated logout endpoint (OpenID Connect
// RP-Initiated Logout 1.0), advertised as end_session_endpoint.
const PathEndSession = signin.PathEndSession

// Close waits for queued background work (mail) to finish and stops the
// worker. Requests arriving afterwards have their mail dropped, logged.
func (h *Handlers) Close() {
	h.tasks.close()
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
	if storage.Failed(err) {
		// The database failed: "try again in a moment" (MsgServer) is
		// the truth, so say it with 503 and when.
		h.faults.Report(r.Context(), "pages", "web: "+what, err)
		w.Header().Set("Retry-After", "5")
		h.renderer.Error(w, r, http.StatusServiceUnavailable, MsgServer)
		return
	}
	h.logger.ErrorContext(r.Context(), "web: "+what, "path", r.URL.Path, "err", err)
	h.renderer.Error(w, r, http.StatusInternalServerError, MsgServer)
}
