package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/passkeys"
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
	// Passkeys is the WebAuthn relying party; nil serves no passkey
	// pages (mfa.passkeys off, or no Store or MFA.Service).
	Passkeys *passkeys.Service
	// MFA configures second factors; without MFA.Service (or Store) none
	// are asked for and their pages are not served.
	MFA MFAOptions
	// Device decides device authorizations (RFC 8628); nil leaves the
	// /device page unserved.
	Device signin.DeviceApprover
}

// MFAOptions configure second factors on the pages.
type MFAOptions struct {
	Service *mfa.Service
	// RequiredRoles are mfa.required_roles: holders must enrol.
	RequiredRoles []string
	// TOTP offers TOTP enrolment (mfa.totp); Passkeys tells the pages
	// that passkeys are offered (mfa.passkeys).
	TOTP     bool
	Passkeys bool
}

// Registration configures self-service sign-up.
type Registration struct {
	Enabled              bool
	RequireVerifiedEmail bool
	CommonPasswords      bool
}

// Handlers are the pages, in groups by flow. Each group holds only what
// its pages use and exposes them as methods, mounted by the route table
// (server/routes.go). A group that is not served is nil.
type Handlers struct {
	// SignIn serves /, login, consent, logout and RP-initiated logout.
	SignIn *SignIn
	// Federation serves /login/{id} and its callback; nil without
	// upstream providers.
	Federation *Federation
	// SignUp serves registration and e-mail verification; nil without
	// Options.Store.
	SignUp *SignUp
	// Recovery serves forgot-password and reset-password; nil without
	// Options.Store.
	Recovery *Recovery
	// Account serves the account page and its actions; nil without
	// Options.Store.
	Account *Account
	// Passkeys serves the passkey ceremonies; nil when passkeys are off.
	Passkeys *Passkeys
	// SecondFactor serves /login/mfa and the account's second factors,
	// and is the hook of other factor kinds; nil without Options.Store or
	// Options.MFA.Service.
	SecondFactor *SecondFactor
	// Assets serves /static/.
	Assets *Assets
	// Device serves /device; nil without Options.Device.
	Device *Device

	base  *base
	tasks *tasks
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
	b := newBase(o.Renderer.WithLogger(logger), newCSRF(o.Secret, o.Secure), logger)
	b.faults = o.Faults
	fed := newFederation(federationDefaults(o), o.Accounts, o.Secret, o.Secure)
	fl := &flows{base: b, sessions: o.Sessions, resumer: o.Resumer, audit: o.Audit,
		requiredRoles: o.MFA.RequiredRoles, timeNow: o.Now}
	if o.Store != nil && o.MFA.Service != nil {
		fl.mfa = o.MFA.Service
		fl.pending = newMFAPendingCodec(o.Secret, o.Secure, o.Now)
	}
	h := &Handlers{
		SignIn: &SignIn{
			flows:        fl,
			accounts:     o.Accounts,
			clients:      o.Clients,
			fed:          fed,
			registration: o.Registration,
			accountPages: o.Store != nil,
			logout:       o.Logout,
			limiter:      o.Limiter,
		},
		Assets: &Assets{renderer: b.renderer, static: static},
		base:   b,
		tasks:  newTasks(logger),
	}
	if len(fed.Providers) > 0 {
		h.Federation = &Federation{flows: fl, fed: fed}
	}
	if o.Device != nil {
		h.Device = &Device{base: b, sessions: o.Sessions, approver: o.Device, clients: o.Clients, limiter: o.Limiter, audit: o.Audit}
	}
	if o.Store != nil {
		links := &mailLinks{
			base:      b,
			store:     o.Store,
			mailer:    o.Mailer,
			issuer:    o.Issuer,
			tasks:     h.tasks,
			limiter:   o.Limiter,
			now:       o.Now,
			resetTTL:  o.PasswordResetTTL,
			verifyTTL: o.VerificationTTL,
		}
		h.SignUp = &SignUp{base: b, flows: fl, mailLinks: links, accounts: o.Accounts, registration: o.Registration}
		h.Recovery = &Recovery{
			base:      b,
			mailLinks: links,
			accounts:  o.Accounts,
			sessions:  o.Sessions,
			audit:     o.Audit,
			passwords: o.Registration,
		}
		if fl.mfa != nil {
			h.SecondFactor = &SecondFactor{
				base: b, flows: fl, store: o.Store, accounts: o.Accounts, mail: links,
				totp: o.MFA.TOTP, passkeys: o.MFA.Passkeys,
			}
		}
		h.Account = &Account{
			base:      b,
			store:     o.Store,
			sessions:  o.Sessions,
			accounts:  o.Accounts,
			clients:   o.Clients,
			fed:       fed,
			audit:     o.Audit,
			now:       o.Now,
			handleKey: secret.Derive(o.Secret, "session-handle"),
			passwords: o.Registration,
		}
		if o.Passkeys != nil && h.SecondFactor != nil {
			h.Passkeys = &Passkeys{
				flows:       fl,
				signInPages: h.SignIn,
				sf:          h.SecondFactor,
				store:       o.Store,
				svc:         o.Passkeys,
				ceremonies:  newCeremonies(o.Secret, o.Secure, o.Store, o.Now),
			}
			h.SignIn.passkeys = true
			h.SecondFactor.AddSecuritySection(h.Passkeys.securitySection())
		}
	}
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
	return h.base.cop.Handler(next)
}

// ServesEndSession reports whether the RP-initiated logout endpoint is
// served (Options.Logout was set).
func (h *Handlers) ServesEndSession() bool { return h.SignIn.logout != nil }

// PathEndSession is the RP-initiated logout endpoint (OpenID Connect
// RP-Initiated Logout 1.0), advertised as end_session_endpoint.
const PathEndSession = signin.PathEndSession

// Close waits for queued background work (mail) to finish and stops the
// worker. Requests arriving afterwards have their mail dropped, logged.
func (h *Handlers) Close() {
	h.tasks.close()
}
