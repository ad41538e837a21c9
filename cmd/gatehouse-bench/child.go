package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/gcfloor"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// childEnv names the environment variable that turns the bench binary into
// the server child: it holds the childSpec as JSON.
const childEnv = "GATEHOUSE_BENCH_CHILD"

// childSpec is what the parent asks of the server child.
type childSpec struct {
	Database    string `json:"database"`
	Algorithm   string `json:"algorithm"`
	RSABits     int    `json:"rsa_bits"`
	BcryptCost  int    `json:"bcrypt_cost"`
	DebugListen string `json:"debug_listen,omitempty"`
}

// Benchmark fixtures the child creates.
const (
	benchClientID = "bench"
	benchRedirect = "https://bench.example/cb"
	benchEmail    = "bench@example.com"
	benchPassword = "correct horse battery staple"
)

// childInfo is the one JSON line the child prints once it serves.
type childInfo struct {
	URL          string `json:"url"`
	BareURL      string `json:"bare_url"` // a bare net/http handler serving the same JWKS bytes
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Username     string `json:"username"`
	Password     string `json:"password"`
}

// runChild starts Gatehouse on spec.Database with one confidential client
// and one user, prints childInfo on stdout and serves until stdin closes
// (the parent exits or closes the pipe).
func runChild(ctx context.Context, raw string, stdin io.Reader, stdout, stderr io.Writer) error {
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return fmt.Errorf("child spec: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := server.Defaults()
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.Listen = ln.Addr().String()
	cfg.Database = spec.Database
	cfg.Secret = secret.Token(32)
	cfg.Dev = true // http issuer on loopback
	cfg.LogLevel = "warn"
	cfg.BcryptCost = spec.BcryptCost
	cfg.Keys.Algorithm = spec.Algorithm
	if spec.RSABits != 0 {
		cfg.Keys.RSABits = spec.RSABits
	}
	cfg.Keys.PublishAhead = 0
	cfg.DebugListen = spec.DebugListen
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	defer gcfloor.Start(server.HeapFloor, os.Getenv("GOGC"))() // as gatehouse serve
	store, err := server.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := server.New(ctx, cfg, store, logger)
	if err != nil {
		return err
	}
	_, sec, err := clients.Create(ctx, store, secret.NewHasher([]byte(cfg.Secret)), clients.Spec{
		ID:           benchClientID,
		RedirectURIs: []string{benchRedirect},
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials", "password",
			clients.GrantDeviceCode, clients.GrantTokenExchange},
		Scopes: []string{"openid", "offline_access", "profile", "email", "api:read"},
	}, time.Now())
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	if _, err := srv.Accounts.CreateUser(ctx, accounts.NewUser{
		Email: benchEmail, Password: benchPassword, Name: "Bench", EmailVerified: true,
	}); err != nil {
		return fmt.Errorf("create user: %w", err)
	}

	bare, err := bareJWKS(srv.Handler)
	if err != nil {
		return err
	}
	bareLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	go func() { _ = newHTTPServer(bare).Serve(bareLn) }()
	go func() { _ = newHTTPServer(srv.Handler).Serve(ln) }()
	if cfg.DebugListen != "" {
		dln, err := net.Listen("tcp", cfg.DebugListen)
		if err != nil {
			return fmt.Errorf("debug_listen: %w", err)
		}
		go func() { _ = http.Serve(dln, server.DebugHandler()) }()
	}
	if err := json.NewEncoder(stdout).Encode(childInfo{
		URL: cfg.Issuer, BareURL: "http://" + bareLn.Addr().String(),
		ClientID: benchClientID, ClientSecret: sec, Username: benchEmail, Password: benchPassword,
	}); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin) // until the parent closes the pipe
	return nil
}

// bareJWKS fetches Gatehouse's JWKS once and returns a plain handler that
// serves the same bytes: the floor under every cheap GET.
func bareJWKS(h http.Handler) (http.Handler, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, oauth.PathJWKS, nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", rec.Code)
	}
	return serveBytes(rec.Body.Bytes(), rec.Header().Get("Content-Type")), nil
}

// serveBytes is the bare handler: fixed bytes, nothing else.
func serveBytes(body []byte, ctype string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	})
}

// newHTTPServer has the timeouts `gatehouse serve` uses.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// childMain runs the child when the environment asks for it.
func childMain() (bool, int) {
	raw, ok := os.LookupEnv(childEnv)
	if !ok {
		return false, 0
	}
	if err := runChild(context.Background(), raw, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-bench child:", err)
		return true, 1
	}
	return true, 0
}
