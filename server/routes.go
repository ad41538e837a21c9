package server

import (
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/server/admin"
	"github.com/gatehouse-id/gatehouse/server/console"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/registration"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// guard names what stands between the world and a route's handler. Every
// route that changes state (any method but GET and HEAD) needs one other
// than open; routes_test.go walks the table to hold that.
type guard int

const (
	// open: no check; only for GET and HEAD.
	open guard = iota
	// form: a page's form post. Cross-origin posts are refused here
	// (web.Handlers.CrossOrigin); the handler checks the form's CSRF token.
	form
	// client: a protocol endpoint where the client authenticates
	// (client_secret_basic/post, or a public client's id), checked by
	// fosite in the handler.
	client
	// bearer: the caller presents an access token, checked by the handler.
	bearer
	// adminAPI: a bearer access token granted gatehouse:admin whose user
	// holds the admin role, checked by admin.Handler before it routes.
	// These routes are mounted on the admin router under admin.PathPrefix.
	adminAPI
	// crossSite: a public endpoint that other sites may post to on
	// purpose; the route's reason says why.
	crossSite
)

// route is one line of the table: methods, path (a gorilla/mux template,
// or a prefix), handler and guard.
type route struct {
	methods []string
	path    string
	handler http.HandlerFunc
	guard   guard
	// reason is required for crossSite: why other sites may post here.
	reason string
	// prefix serves every path under path.
	prefix bool
}

// endpoints are the handlers the route table points at.
type endpoints struct {
	discovery  http.Handler
	jwks       *oauth.JWKS
	authorize  *oauth.Authorize
	token      *oauth.Token
	introspect *oauth.Introspect
	revoke     *oauth.Revoke
	userInfo   *oauth.UserInfo
	// par is served when par.enabled.
	par *oauth.PushedAuthorize
	// deviceAuth is served when device.enabled.
	deviceAuth *oauth.DeviceAuthorization
	pages      *web.Handlers
	admin      *admin.Handler
	console    *console.Handler
	ready      *readiness
	// registration is dynamic client registration, nil when it is off.
	registration *registration.Handler
	// metrics is nil when the metrics have their own listener.
	metrics http.Handler
}

// routes is every route Gatehouse serves, top to bottom. Order matters
// only where gorilla/mux would match two templates (/static/brand.css
// before /static/).
func (e endpoints) routes() []route {
	p, in, a := e.pages, e.pages.SignIn, e.admin
	get := []string{http.MethodGet, http.MethodHead}
	post := []string{http.MethodPost}
	getPost := []string{http.MethodGet, http.MethodHead, http.MethodPost}
	patch := []string{http.MethodPatch}
	del := []string{http.MethodDelete}
	rs := []route{
		// OpenID Connect discovery and the signing keys.
		{methods: get, path: oauth.PathDiscovery, handler: e.discovery.ServeHTTP},
		{methods: get, path: oauth.PathServerMetadata, handler: e.discovery.ServeHTTP},
		{methods: get, path: oauth.PathJWKS, handler: e.jwks.ServeHTTP},

		// OAuth 2.0 / OpenID Connect protocol endpoints.
		{methods: getPost, path: oauth.PathAuthorize, handler: e.authorize.ServeHTTP, guard: crossSite,
			reason: "relying parties send authorization requests from their own sites, as GET or form post (OIDC Core 3.1.2.1); " +
				"the answer goes only to the client's registered redirect URI, and consent not yet given is asked on the consent page"},
		{methods: post, path: oauth.PathToken, handler: e.token.ServeHTTP, guard: client},
		{methods: post, path: oauth.PathIntrospect, handler: e.introspect.ServeHTTP, guard: client},
		{methods: post, path: oauth.PathRevoke, handler: e.revoke.ServeHTTP, guard: client},
		{methods: getPost, path: oauth.PathUserInfo, handler: e.userInfo.ServeHTTP, guard: bearer},

		// Sign-in pages: login, consent, logout (web.SignIn).
		{methods: get, path: "/", handler: in.Home},
		{methods: get, path: "/login", handler: in.LoginForm},
		{methods: post, path: "/login", handler: in.Login, guard: form},
		{methods: get, path: "/consent", handler: in.ConsentForm},
		{methods: post, path: "/consent", handler: in.Consent, guard: form},
		{methods: get, path: "/select-account", handler: in.SelectAccountForm},
		{methods: post, path: "/select-account", handler: in.SelectAccount, guard: form},
		{methods: get, path: "/logout", handler: in.LogoutForm},
		{methods: post, path: "/logout", handler: in.Logout, guard: form},
	}
	if sf := p.SecondFactor; sf != nil {
		rs = append(rs,
			// Second factors (web.SecondFactor): the sign-in's second step
			// (before /login/{id}, which would match it), and the
			// account's factors.
			route{methods: get, path: web.PathLoginMFA, handler: sf.LoginMFAForm},
			route{methods: post, path: web.PathLoginMFA, handler: sf.LoginMFA, guard: form},
			route{methods: get, path: web.PathSecurity, handler: sf.Security},
			route{methods: get, path: web.PathTOTP, handler: sf.TOTPForm},
			route{methods: post, path: web.PathTOTP, handler: sf.ConfirmTOTP, guard: form},
			route{methods: post, path: web.PathTOTPRemove, handler: sf.RemoveTOTP, guard: form},
			route{methods: post, path: web.PathRecoveryCodes, handler: sf.NewRecoveryCodes, guard: form},
		)
	}
	rs = append(rs, registrationRoutes(e.registration)...)
	rs = append(rs, e.grantRoutes()...)
	if p.ServesEndSession() {
		// No HEAD: a request that may end a session is not a probe.
		rs = append(rs, route{methods: []string{http.MethodGet, http.MethodPost}, path: web.PathEndSession, handler: in.EndSession, guard: crossSite,
			reason: "relying parties may send RP-Initiated Logout as a cross-site form post (section 2); " +
				"only the confirmation page, which carries a CSRF token, ends a session without a verified id_token_hint"})
	}
	if fed := p.Federation; fed != nil {
		rs = append(rs,
			// Sign-in through an upstream provider (web.Federation).
			route{methods: []string{http.MethodGet}, path: "/login/{id}", handler: fed.UpstreamStart},
			route{methods: []string{http.MethodGet}, path: "/login/{id}/callback", handler: fed.UpstreamCallback},
		)
	}
	if up := p.SignUp; up != nil {
		rs = append(rs,
			// Registration and e-mail verification (web.SignUp).
			route{methods: get, path: "/register", handler: up.RegisterForm},
			route{methods: post, path: "/register", handler: up.Register, guard: form},
			route{methods: get, path: "/verify-email", handler: up.VerifyForm},
			route{methods: post, path: "/verify-email", handler: up.Verify, guard: form},
			route{methods: post, path: "/verify-email/resend", handler: up.ResendVerification, guard: form},
		)
	}
	if rec := p.Recovery; rec != nil {
		rs = append(rs,
			// Password recovery (web.Recovery).
			route{methods: get, path: "/forgot-password", handler: rec.ForgotForm},
			route{methods: post, path: "/forgot-password", handler: rec.Forgot, guard: form},
			route{methods: get, path: "/reset-password", handler: rec.ResetForm},
			route{methods: post, path: "/reset-password", handler: rec.Reset, guard: form},
		)
	}
	if acc := p.Account; acc != nil {
		rs = append(rs,
			// The account page and its actions (web.Account).
			route{methods: get, path: "/account", handler: acc.Account},
			route{methods: post, path: "/account/profile", handler: acc.UpdateProfile, guard: form},
			route{methods: post, path: "/account/password", handler: acc.ChangePassword, guard: form},
			route{methods: post, path: "/account/apps/revoke", handler: acc.RevokeApp, guard: form},
			route{methods: post, path: "/account/sessions/revoke", handler: acc.RevokeSession, guard: form},
			route{methods: post, path: "/account/identities/unlink", handler: acc.UnlinkIdentity, guard: form},
		)
	}
	if pk := p.Passkeys; pk != nil {
		rs = append(rs,
			// Passkeys (web.Passkeys): each ceremony's options (JSON, for
			// static/passkey.js) and the browser's answer (a form post).
			route{methods: post, path: "/login/passkey/options", handler: pk.LoginOptions, guard: form},
			route{methods: post, path: "/login/passkey", handler: pk.Login, guard: form},
			route{methods: post, path: "/login/mfa/passkey/options", handler: pk.SecondFactorOptions, guard: form},
			route{methods: post, path: "/login/mfa/passkey", handler: pk.SecondFactor, guard: form},
			route{methods: post, path: "/account/passkeys/options", handler: pk.RegisterOptions, guard: form},
			route{methods: post, path: "/account/passkeys", handler: pk.Register, guard: form},
			route{methods: post, path: "/account/passkeys/rename", handler: pk.Rename, guard: form},
			route{methods: post, path: "/account/passkeys/remove", handler: pk.Remove, guard: form},
		)
	}
	if c := e.console; c != nil {
		rs = append(rs,
			// The admin console (server/console): every handler admits
			// signed-in admins only (with a second factor when
			// console.require_mfa); posts are forms with CSRF tokens.
			route{methods: get, path: console.Path, handler: c.Dashboard},
			route{methods: get, path: console.Path + "/users", handler: c.Users},
			route{methods: post, path: console.Path + "/users", handler: c.CreateUser, guard: form},
			route{methods: get, path: console.Path + "/users/new", handler: c.NewUserForm},
			route{methods: get, path: console.Path + "/users/{id}", handler: c.User},
			route{methods: post, path: console.Path + "/users/{id}", handler: c.UpdateUser, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/disable", handler: c.SetDisabled, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/delete", handler: c.DeleteUser, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/reset-mfa", handler: c.ResetMFA, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/resend-verification", handler: c.ResendVerification, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/sessions/end", handler: c.EndSession, guard: form},
			route{methods: post, path: console.Path + "/users/{id}/sessions/end-all", handler: c.EndSessions, guard: form},
			route{methods: get, path: console.Path + "/clients", handler: c.Clients},
			route{methods: post, path: console.Path + "/clients", handler: c.CreateClient, guard: form},
			route{methods: get, path: console.Path + "/clients/new", handler: c.NewClientForm},
			route{methods: get, path: console.Path + "/clients/{id}", handler: c.Client},
			route{methods: post, path: console.Path + "/clients/{id}", handler: c.UpdateClient, guard: form},
			route{methods: post, path: console.Path + "/clients/{id}/rotate-secret", handler: c.RotateClientSecret, guard: form},
			route{methods: post, path: console.Path + "/clients/{id}/delete", handler: c.DeleteClient, guard: form},
			route{methods: get, path: console.Path + "/keys", handler: c.Keys},
			route{methods: post, path: console.Path + "/keys/rotate", handler: c.RotateKey, guard: form},
			route{methods: get, path: console.Path + "/audit", handler: c.Audit},
			route{methods: get, path: console.Path + "/audit/export", handler: c.ExportAudit},
		)
	}
	rs = append(rs,
		// Assets (web.Assets).
		route{methods: get, path: "/static/brand.css", handler: p.Assets.BrandCSS},
		route{methods: get, path: "/static/passkey.js", handler: p.Assets.PasskeyJS},
		route{methods: get, path: "/static/", handler: p.Assets.Static().ServeHTTP, prefix: true},

		// The admin API (JSON), under admin.PathPrefix.
		route{methods: get, path: "/admin/users", handler: a.ListUsers, guard: adminAPI},
		route{methods: post, path: "/admin/users", handler: a.CreateUser, guard: adminAPI},
		route{methods: get, path: "/admin/users/{id}", handler: a.GetUser, guard: adminAPI},
		route{methods: patch, path: "/admin/users/{id}", handler: a.UpdateUser, guard: adminAPI},
		route{methods: del, path: "/admin/users/{id}", handler: a.DeleteUser, guard: adminAPI},
		route{methods: del, path: "/admin/users/{id}/mfa", handler: a.ResetMFA, guard: adminAPI},
		route{methods: get, path: "/admin/clients", handler: a.ListClients, guard: adminAPI},
		route{methods: post, path: "/admin/clients", handler: a.CreateClient, guard: adminAPI},
		route{methods: get, path: "/admin/clients/{id}", handler: a.GetClient, guard: adminAPI},
		route{methods: patch, path: "/admin/clients/{id}", handler: a.UpdateClient, guard: adminAPI},
		route{methods: del, path: "/admin/clients/{id}", handler: a.DeleteClient, guard: adminAPI},
		route{methods: post, path: "/admin/clients/{id}/rotate-secret", handler: a.RotateClientSecret, guard: adminAPI},
		route{methods: get, path: "/admin/keys", handler: a.ListKeys, guard: adminAPI},
		route{methods: post, path: "/admin/keys/rotate", handler: a.RotateKey, guard: adminAPI},
		route{methods: get, path: "/admin/audit", handler: a.ListAudit, guard: adminAPI},

		// Operations.
		route{methods: get, path: "/healthz", handler: healthz},
		route{methods: get, path: "/readyz", handler: e.ready.ServeHTTP},
	)
	if e.metrics != nil {
		rs = append(rs, route{methods: get, path: "/metrics", handler: e.metrics.ServeHTTP})
	}
	return rs
}

// mount puts rs on r, and the adminAPI routes on the admin router, which
// is mounted at admin.PathPrefix: it authenticates before it routes, so
// unknown admin paths are revealed to admins only.
func mount(r *mux.Router, rs []route, pages *web.Handlers, adm *admin.Handler) {
	for _, rt := range rs {
		h := http.Handler(rt.handler)
		if rt.guard == form {
			h = pages.CrossOrigin(h)
		}
		target := r
		if rt.guard == adminAPI {
			target = adm.Router()
		}
		m := target.NewRoute()
		if rt.prefix {
			m = m.PathPrefix(rt.path)
		} else {
			m = m.Path(rt.path)
		}
		// Methods upper-cases the slice it is given in place: give it a
		// copy, since routes share their method lists.
		m.Handler(h).Methods(slices.Clone(rt.methods)...)
	}
	r.PathPrefix(admin.PathPrefix).Handler(adm)
}
