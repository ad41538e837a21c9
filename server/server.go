// Package server wires Gatehouse together: server.New builds every handler
// and mounts the route table of routes.go (every path, method, handler and
// guard, in one list) on a gorilla/mux router, with the middleware around
// it. It also holds the runtime configuration.
package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/internal/pathvars"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	gsecret "github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/admin"
	"github.com/gatehouse-id/gatehouse/server/console"
	"github.com/gatehouse-id/gatehouse/server/metrics"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/clientcache"
	"github.com/gatehouse-id/gatehouse/storage/groupcommit"
)

// Server is a ready-to-serve Gatehouse: its HTTP handler and the
// components the CLI and tests reach into.
type Server struct {
	Handler  http.Handler
	Store    storage.Store
	Keys     *keys.Manager
	Accounts *accounts.Service
	Audit    *audit.Recorder
	Config   Config
	// Limiter enforces the rate limits; Metrics are the Prometheus
	// metrics (served at /metrics, or by the CLI on metrics_listen).
	Limiter *ratelimit.Limiter
	Metrics *metrics.Metrics
	// MFA is the second-factor service; its Registry lists every kind of
	// factor (passkeys register theirs there).
	MFA    *mfa.Service
	closer io.Closer
	group  *groupcommit.Committer
	pages  *web.Handlers
	// routes is the table the router serves (routes.go); router and
	// admin are kept for the test that walks it.
	routes []route
	router *mux.Router
	admin  *admin.Handler
	// stopLogouts stops the back-channel logout sender and waits for it.
	stopLogouts func()
}

// Close waits for the pages' background work (mail) to finish and closes
// the rate limiter's Redis connection. Call it after the HTTP server
// stopped and before closing the store. It first stops the back-channel
// logout sender: deliveries in flight go back to the queue.
func (s *Server) Close() {
	if s.stopLogouts != nil {
		s.stopLogouts()
	}
	s.pages.Close()
	s.group.Close()
	if s.closer != nil {
		_ = s.closer.Close()
	}
}

// ClientCacheTTL is how long a node answers client lookups from memory:
// a client changed on another node or by the CLI takes effect on this one
// within it (README, Performance).
const ClientCacheTTL = time.Second

// GroupCommitDelay is how long a batch of token sessions and audit events
// waits for the writes of other token requests under way before it
// commits (storage/groupcommit): one commit then serves several requests.
// A lone request never waits, and a batch commits as soon as no request
// is under way and none is ready to run, so the delay is reached only
// near saturation, where a request's time is spent queueing for the CPU
// anyway. At 10 ms rather
// than 3, a batch of RS256 client-credentials tokens at c=16 holds 8-9
// requests instead of 5, and a token costs about 2.3 fewer WAL writes
// and 0.5 fewer lock calls (README, Performance).
const GroupCommitDelay = 10 * time.Millisecond

// HeapFloor is the heap size under which the Go runtime does not collect
// in a server process (internal/gcfloor, started by gatehouse serve; GOGC
// set in the environment turns it off). The live heap is a few MiB: at
// Go's default, collecting every time it doubled cost 1-2 % of a token
// request's CPU time with RS256 and about 10 % with ES256, for 25 MB more
// peak memory (README, Performance).
const HeapFloor = 32 << 20

// New builds the server on an open store. cfg must be validated and carry
// the system secret.
func New(ctx context.Context, cfg Config, store storage.Store, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	secret := []byte(cfg.Secret)
	lt := cfg.Lifetimes
	secure := isHTTPS(cfg.Issuer)

	resolver, err := clientip.NewResolver(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	auditLog := audit.New(store, logger)
	km, err := keys.New(ctx, KeyOptions(cfg, store, logger))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	acc, err := accounts.New(store, cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	mets := metrics.New(dbStats(store))
	timeQueries(store, mets)
	// Every protocol request reads its client: keep them a second
	// (storage/clientcache). Everything below uses the wrapped store, so
	// this node's own changes to a client show at once.
	store = clientcache.Wrap(store, ClientCacheTTL)
	// Audit events and token sessions written outside a transaction
	// share commits under load (storage/groupcommit).
	group := groupcommit.New(store, groupcommit.Options{Delay: GroupCommitDelay})
	auditLog = auditLog.WithGroupCommit(group)
	renderer, err := web.NewBrandedRenderer(cfg.TemplatesDir, web.Branding{
		ProductName:  cfg.Branding.ProductName,
		LogoURL:      cfg.Branding.LogoURL,
		PrimaryColor: cfg.Branding.PrimaryColor,
	})
	if err != nil {
		return nil, fmt.Errorf("server: templates: %w", err)
	}
	consolePages, err := console.ParsePages(renderer.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("server: templates: %w", err)
	}
	static, err := web.StaticFS(cfg.StaticDir)
	if err != nil {
		return nil, fmt.Errorf("server: static: %w", err)
	}
	mailer, err := mail.New(mail.Config{
		Driver: cfg.Mail.Driver, Dir: cfg.Mail.Dir, From: cfg.Mail.From,
		Host: cfg.Mail.Host, Port: cfg.Mail.Port, Username: cfg.Mail.Username, Password: cfg.Mail.Password,
		StartTLS: cfg.Mail.StartTLS,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	sessions := session.NewManager(session.Options{Store: store, Secure: secure, TTL: lt.BrowserSession.D()})
	// Requests a database failure answered with 503: counted, and logged
	// at most once a second per surface.
	fails := &faults.Reporter{Logger: logger, Count: mets.StorageFailed}
	tokenStore := oauth.NewStore(store, acc, lt.AuthorizeCode.D())
	tokenStore.UseGroupCommit(group)
	documents := newMetadataDocuments(cfg, store, logger)
	provider := oauth.NewProvider(oauth.ProviderOptions{
		Faults: fails,
		Issuer: cfg.Issuer,
		Secret: secret,
		Lifetimes: oauth.Lifetimes{
			AccessToken:   lt.AccessToken.D(),
			RefreshToken:  lt.RefreshToken.D(),
			IDToken:       lt.IDToken.D(),
			AuthorizeCode: lt.AuthorizeCode.D(),

			RefreshReuseGrace: lt.RefreshReuseGrace.D(),
		},
		Store:     tokenStore,
		Keys:      km,
		Resources: agentResources(cfg),
		Documents: documents,
		Grants:    GrantOptions(cfg),
	})
	discovery, err := oauth.NewDiscovery(cfg.Issuer, cfg.Keys.Algorithm, append(agentMetadata(cfg), oauth.WithFields(provider.GrantMetadata()))...)
	if err != nil {
		return nil, err
	}
	authorize := oauth.NewAuthorize(oauth.AuthorizeOptions{
		Provider: provider,
		Store:    store,
		Sessions: sessions,
		Pages:    renderer,
		Messages: oauth.ErrorMessages{
			UnknownClient:  web.MsgUnknownClient,
			BadRedirect:    web.MsgBadRedirect,
			InvalidRequest: web.MsgInvalidRequest,
			Server:         web.MsgServer,

			TooManyAttempts: web.MsgTooManyAttempts,
		},
		Secret: secret,
		Logger: logger,
	})
	upstreams, err := ProviderRegistry.Open(UpstreamConfigs(cfg))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := DeclareClients(ctx, cfg, store, gsecret.NewHasher(secret), auditLog, logger); err != nil {
		return nil, err
	}
	factors, pks, err := newFactors(cfg, store, logger)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	// Last of what can fail: nothing returns after it but the server, so
	// its Redis connection is never left open by a failed New.
	limiter, closer, limiterDegraded, err := newLimiter(ctx, cfg, store, auditLog, mets, logger)
	if err != nil {
		return nil, err
	}
	acc.LimitLogins(limiter)
	factors.LimitGuesses(limiter)
	documents.LimitNew(limiter, cfg.ClientMetadataDocuments.RateLimit)
	policy := oauth.SecondFactorPolicy{Factors: factors.Registry, RequiredRoles: cfg.MFA.RequiredRoles}
	authorize.SecondFactors = policy
	pages := web.New(web.Options{
		Faults:   fails,
		Renderer: renderer,
		Sessions: sessions,
		Accounts: acc,
		Clients:  store,
		Resumer:  authorize,
		Secret:   secret,
		Secure:   secure,
		Static:   static,
		Logger:   logger,
		// The federation takes the store, audit log and clock below.
		Federation: web.FederationOptions{
			Providers:      upstreams,
			Registration:   cfg.Registration.Enabled,
			NoEmailLinking: noEmailLinking(cfg.Providers),
		},
		Store:  store,
		Mailer: mailer,
		Audit:  auditLog,
		Issuer: cfg.Issuer,
		Registration: web.Registration{
			Enabled:              cfg.Registration.Enabled,
			RequireVerifiedEmail: cfg.Registration.RequireVerifiedEmail,
			CommonPasswords:      cfg.Registration.CommonPasswords,
		},
		PasswordResetTTL: lt.PasswordReset.D(),
		VerificationTTL:  lt.EmailVerification.D(),
		Logout:           &oauth.EndSession{Issuer: cfg.Issuer, Keys: km, Clients: store},
		Limiter:          limiter,
		Passkeys:         pks,
		MFA: web.MFAOptions{
			Service:       factors,
			RequiredRoles: cfg.MFA.RequiredRoles,
			TOTP:          cfg.MFA.TOTP,
			Passkeys:      cfg.MFA.Passkeys,
		},
		Device: deviceApprover(cfg, provider, store, policy),
	})

	// One service layer for the admin API and the console (package
	// manage), so a rule cannot differ between them.
	manageSvc := &manage.Service{
		Store: store, Accounts: acc, Hasher: gsecret.NewHasher(secret), Keys: km, Audit: auditLog,
		MFA: factors, Notify: notifier(pages), MailVerification: verificationMailer(pages),
	}
	adminConsole := console.New(console.Options{
		Kit: pages.Kit(), Pages: consolePages, Sessions: sessions, Store: store, Manage: manageSvc, Audit: auditLog,
		MFA: factors, RequireMFA: cfg.Console.RequireMFA, Logger: logger,
	})

	e := endpoints{
		discovery: discovery,
		jwks:      &oauth.JWKS{Keys: km, MaxAge: jwksMaxAge(cfg), Logger: logger},
		authorize: authorize,
		token: &oauth.Token{Provider: provider, Users: store, Logger: logger, Now: time.Now, Audit: auditLog, Metrics: mets, SecondFactors: policy,
			RequireVerifiedEmail: cfg.Registration.RequireVerifiedEmail},
		introspect: &oauth.Introspect{Provider: provider, Logger: logger},
		revoke:     &oauth.Revoke{Provider: provider, Logger: logger, Audit: auditLog},
		userInfo:   &oauth.UserInfo{Provider: provider, Users: store, Logger: logger},
		pages:      pages,
		admin: admin.New(admin.Options{Tokens: &oauth.BearerVerifier{Provider: provider, Users: store, Logger: logger}, Store: store, Accounts: acc, Keys: km, Audit: auditLog, Secret: secret, Logger: logger, Faults: fails,
			MFA: factors, Notify: notifier(pages), Manage: manageSvc}),
		console:    adminConsole,
		par:        &oauth.PushedAuthorize{Provider: provider, Logger: logger},
		deviceAuth: &oauth.DeviceAuthorization{Provider: provider, Store: store, Logger: logger, Now: time.Now},
		ready:      &readiness{store: store, keys: km, degraded: limiterDegraded, logger: logger, now: time.Now},

		registration: newRegistration(cfg, store, auditLog, limiter, logger),
	}
	if cfg.MetricsListen == "" {
		e.metrics = mets.Handler()
	}
	table := e.routes()
	r := mux.NewRouter()
	pathvars.Encoded(r)
	r.Use(metrics.Route)
	mount(r, table, pages, e.admin)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		renderer.Error(w, req, http.StatusNotFound, web.MsgNotFound)
	})
	r.MethodNotAllowedHandler = methodNotAllowed(r)

	bodyTooLarge := func(w http.ResponseWriter, req *http.Request) {
		renderer.Error(w, req, http.StatusRequestEntityTooLarge, web.MsgInvalidRequest)
	}
	routes := withBodyLimit(r, maxBodyBytes, bodyTooLarge)
	srv := &Server{
		Handler:  mets.Middleware(withMiddleware(resolver.Middleware(withHSTS(withCORS(routes, cfg.CORS.AllowedOrigins), secure || cfg.TLS.CertFile != "")), logger)),
		Store:    store,
		Keys:     km,
		Accounts: acc,
		Audit:    auditLog,
		Config:   cfg,
		Limiter:  limiter,
		Metrics:  mets,
		MFA:      factors,
		closer:   closer,
		group:    group,
		pages:    pages,
		routes:   table,
		router:   r,
		admin:    e.admin,
	}
	srv.stopLogouts = startBackchannel(cfg, store, km, auditLog, mets, logger)
	return srv, nil
}

// KeyOptions are the key manager's options for cfg: the server and the
// CLI manage keys alike. Keys stay published after they stop signing for
// as long as the longest token they signed lives.
func KeyOptions(cfg Config, store storage.Store, logger *slog.Logger) keys.Options {
	lt := cfg.Lifetimes
	return keys.Options{
		Store:           store,
		Secret:          []byte(cfg.Secret),
		Algorithm:       cfg.Keys.Algorithm,
		RSABits:         cfg.Keys.RSABits,
		RetireAfter:     max(lt.AccessToken.D(), lt.IDToken.D()),
		PublishAhead:    cfg.Keys.PublishAhead.D(),
		RefreshInterval: cfg.Keys.RefreshInterval.D(),
		Logger:          logger,
	}
}

// jwksMaxAge bounds how long resource servers cache the JWKS so that they
// refetch it before a rotated-in key signs: a node learns of a rotation up
// to refresh_interval late, which leaves publish_ahead - refresh_interval
// of the key's lead (capped at 5 minutes).
func jwksMaxAge(cfg Config) int {
	age := min(cfg.Keys.PublishAhead.D()-cfg.Keys.RefreshInterval.D(), 5*time.Minute)
	return int(max(age, 0) / time.Second)
}

func isHTTPS(issuer string) bool {
	u, err := url.Parse(issuer)
	return err == nil && u.Scheme == "https"
}
