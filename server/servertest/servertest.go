// Package servertest starts a real Gatehouse server for tests and
// benchmarks: a fresh SQLite database in t.TempDir() (or a PostgreSQL
// schema, see DatabaseEnv), the handler built by server.New, served over
// HTTP on a loopback listener whose address is also the issuer. Helpers register clients and users, build golang.org/x/oauth2
// configurations, and drive the browser side of the authorization flow
// (login and consent forms, with a cookie jar) through Browser.
//
// Every server is closed, and its database released, by t.Cleanup.
//
//	env := servertest.Start(t)
//	id, sec := env.CreateClient(t, clients.Spec{ID: "app", RedirectURIs: []string{"https://app.example/cb"}})
//	env.CreateUser(t, "alice@example.com", "correct horse battery", "Alice")
//	cfg := env.OAuth2Config(id, sec, "https://app.example/cb", "openid", "offline_access")
//	a := env.NewBrowser(t).AuthCodeFlow(t, cfg, "alice@example.com", "correct horse battery")
//	tok, err := cfg.Exchange(ctx, a.Code, a.VerifierOption())
package servertest

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
)

// DatabaseEnv names the environment variable that, set to "postgres", puts
// every server Start builds on a fresh PostgreSQL schema (see package
// storage/postgres/pgtest) instead of a SQLite file, so the end-to-end
// tests run on either backend. WithConfig can still set Database.
const DatabaseEnv = "GATEHOUSE_TEST_SERVER_DB"

// Env is one running Gatehouse server.
type Env struct {
	// URL is the server's base URL and issuer, e.g. "http://127.0.0.1:41234"
	// (no trailing slash).
	URL    string
	Server *server.Server
	Store  storage.Store
	Config server.Config
	// HTTP is the underlying test server.
	HTTP *httptest.Server
	// stop stops everything Start started, once.
	stop func()
}

// Stop shuts the server down before the test ends, in the order of a real
// shutdown: the HTTP server, the server's background work (Server.Close),
// the store. The cleanups Start registered then do nothing. A test that
// restarts a server starts another with the same Database and Secret.
func (e *Env) Stop() { e.stop() }

// Option changes how Start builds the server.
type Option func(*options)

type options struct {
	host   string
	config []func(*server.Config)
	logger *slog.Logger
}

// WithConfig lets f change the configuration after the test defaults are
// set (issuer, secret, dev mode, bcrypt cost 4, keys published and signing
// at once) and before server.New. Several are applied in order.
func WithConfig(f func(*server.Config)) Option {
	return func(o *options) { o.config = append(o.config, f) }
}

// WithHost serves on another loopback address, e.g. "127.0.0.2", so two
// servers in one test do not share a browser's cookies (cookies are per
// host, not per port). The default is "127.0.0.1".
func WithHost(ip string) Option {
	return func(o *options) { o.host = ip }
}

// WithLogger sets the server's logger. By default warnings and errors go to
// t.Log, and everything else is dropped.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Start builds and serves a Gatehouse server for t. Any failure ends the
// test with t.Fatal.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{host: "127.0.0.1"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	// The issuer must be known before server.New, so listen first.
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, "0"))
	if err != nil {
		t.Fatalf("servertest: listen on %s: %v", o.host, err)
	}
	base := "http://" + ln.Addr().String()

	cfg := server.Defaults()
	cfg.Issuer = base
	cfg.Listen = ln.Addr().String()
	cfg.Database = filepath.Join(t.TempDir(), "gatehouse.db")
	if os.Getenv(DatabaseEnv) == "postgres" {
		cfg.Database = pgtest.DSN(t)
	}
	cfg.Secret = secret.Token(32)
	cfg.Dev = true
	cfg.BcryptCost = 4
	cfg.Mail.Dir = filepath.Join(t.TempDir(), "mail")
	cfg.Keys.PublishAhead = 0
	for _, f := range o.config {
		f(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		ln.Close()
		t.Fatalf("servertest: config: %v", err)
	}

	ctx := context.Background()
	store, err := server.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		ln.Close()
		t.Fatalf("servertest: open store: %v", err)
	}
	closeStore := sync.OnceFunc(func() {
		if err := store.Close(); err != nil {
			t.Errorf("servertest: close store: %v", err)
		}
	})
	t.Cleanup(closeStore)
	srv, err := server.New(ctx, cfg, store, o.logger)
	if err != nil {
		ln.Close()
		t.Fatalf("servertest: server.New: %v", err)
	}

	closeServer := sync.OnceFunc(srv.Close)
	t.Cleanup(closeServer) // after the HTTP server, before the store
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	closeHTTP := sync.OnceFunc(ts.Close)
	t.Cleanup(closeHTTP) // runs before the store closes (cleanups are LIFO)
	if ts.URL != base {
		t.Fatalf("servertest: server URL %s, issuer %s", ts.URL, base)
	}
	stop := func() { closeHTTP(); closeServer(); closeStore() }
	return &Env{URL: base, Server: srv, Store: store, Config: cfg, HTTP: ts, stop: stop}
}

// CreateClient registers a client, as `gatehouse clients create` would, and
// returns its id and plain secret ("" for a public client). Spec defaults
// apply: authorization_code + refresh_token grants, every scope.
func (e *Env) CreateClient(t testing.TB, spec clients.Spec) (id, clientSecret string) {
	t.Helper()
	c, plain, err := clients.Create(context.Background(), e.Store, secret.NewHasher([]byte(e.Config.Secret)), spec, time.Now())
	if err != nil {
		t.Fatalf("servertest: create client %q: %v", spec.ID, err)
	}
	return c.ID, plain
}

// CreateUser creates an email-verified user. Roles default to ["user"].
func (e *Env) CreateUser(t testing.TB, email, password, name string, roles ...string) storage.User {
	t.Helper()
	u, err := e.Server.Accounts.CreateUser(context.Background(), accounts.NewUser{
		Email:         email,
		Password:      password,
		Name:          name,
		Roles:         roles,
		EmailVerified: true,
	})
	if err != nil {
		t.Fatalf("servertest: create user %q: %v", email, err)
	}
	return u
}

// Endpoint returns the server's authorization and token endpoints, with
// client_secret_basic authentication.
func (e *Env) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:   e.URL + "/oauth2/auth",
		TokenURL:  e.URL + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// OAuth2Config returns a golang.org/x/oauth2 client configuration for this
// server.
func (e *Env) OAuth2Config(clientID, clientSecret, redirect string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     e.Endpoint(),
		RedirectURL:  redirect,
		Scopes:       scopes,
	}
}

// leakMarkers must never appear in a response body: they betray database
// errors, Go source positions or panics.
var leakMarkers = []string{"sql:", ".go:", "panic"}

// CheckNoLeak fails t when body shows internal detail ("sql:", ".go:",
// "panic"). Browser checks every page itself; call it on other responses.
func CheckNoLeak(t testing.TB, body []byte) {
	t.Helper()
	for _, m := range leakMarkers {
		if strings.Contains(string(body), m) {
			t.Errorf("response body leaks internal detail (%q):\n%s", m, body)
		}
	}
}

// testWriter sends the server's log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
