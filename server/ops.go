package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/metrics"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/storage"
)

// hstsValue is sent on every response when Gatehouse is reached over
// HTTPS: one year, subdomains included.
const hstsValue = "max-age=31536000; includeSubDomains"

// newLimiter builds the rate limiter. Its counters live in Redis when
// ratelimit.redis_url is set, falling back to this process's memory while
// Redis is unreachable (the returned Closer closes that connection; the
// degraded func names the fallback for /readyz, and the gauge
// gatehouse_ratelimit_redis_fallback is 1 meanwhile); otherwise where
// ratelimit.store says: memory, or the database. An empty store means
// memory on SQLite (one node) and the database on PostgreSQL.
func newLimiter(ctx context.Context, cfg Config, store storage.Store, rec *audit.Recorder, m *metrics.Metrics, logger *slog.Logger) (*ratelimit.Limiter, io.Closer, func() []string, error) {
	var (
		counters storage.RateCounters = store
		closer   io.Closer
		degraded func() []string
	)
	switch {
	case cfg.RateLimit.RedisURL != "":
		r, err := ratelimit.NewRedis(cfg.RateLimit.RedisURL)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("server: %w", err)
		}
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		f := ratelimit.NewFailover(pingCtx, r, ratelimit.FailoverOptions{Logger: logger})
		cancel()
		counters, closer = f, f
		degraded = func() []string {
			if f.Fallback() {
				return []string{"ratelimit: Redis unreachable; counting in this process (limits per node)"}
			}
			return nil
		}
		m.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_ratelimit_redis_fallback",
			Help: "1 while Redis is unreachable and rate-limit counters are kept in this process.",
		}, func() float64 {
			if f.Fallback() {
				return 1
			}
			return 0
		}))
	case cfg.RateLimit.Store == "memory", cfg.RateLimit.Store == "" && !IsPostgres(cfg.Database):
		counters = ratelimit.NewMemory()
	}
	return ratelimit.New(ratelimit.Options{
		Counters:        counters,
		Window:          cfg.RateLimit.Window.D(),
		AccountFailures: cfg.RateLimit.AccountFailures,
		// An account's failures from everywhere, and the key of the
		// device cookies that let its owner through meanwhile.
		AccountTotalFailures: cfg.RateLimit.AccountTotalFailures,
		DeviceKey:            secret.Derive([]byte(cfg.Secret), "device-cookie"),
		IPAttempts:           cfg.RateLimit.IPAttempts,
		Audit:                rec,
		Observer:             m,
		Logger:               logger,
	}), closer, degraded, nil
}

// timeQueries has the store report each statement's duration to m, when
// it can (both backends do).
func timeQueries(store storage.Store, m *metrics.Metrics) {
	if t, ok := store.(interface{ ObserveQueries(storage.QueryObserver) }); ok {
		t.ObserveQueries(m.ObserveQuery)
	}
}

// dbStats is the store's pool statistics, when it reports them.
func dbStats(store storage.Store) metrics.DBStatser {
	if s, ok := store.(metrics.DBStatser); ok {
		return s
	}
	return nil
}

// corsPaths are the endpoints browsers call directly. The HTML pages and
// the admin API never get CORS headers.
var corsPaths = map[string]bool{
	oauth.PathToken:     true,
	oauth.PathUserInfo:  true,
	oauth.PathJWKS:      true,
	oauth.PathDiscovery: true,
	oauth.PathRevoke:    true,
	oauth.PathPAR:       true,
	// Browser-based agents (an MCP inspector) discover and register too.
	oauth.PathServerMetadata: true,
	oauth.PathRegister:       true,
}

// withCORS answers CORS (preflights included) on corsPaths for the
// configured origins; without any, no CORS header is ever sent. No
// credentials (cookies) are allowed: these endpoints take bearer tokens
// and client credentials in the request.
func withCORS(h http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return h // rs/cors would allow every origin on an empty list
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
		// DPoP (RFC 9449): a browser client sends its proof and reads the
		// nonce the server asks it to put in the next one.
		AllowedHeaders: []string{"Authorization", "Content-Type", "DPoP"},
		ExposedHeaders: []string{"WWW-Authenticate", "Retry-After", "DPoP-Nonce"},
		MaxAge:         600,
	})
	withHeaders := c.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if corsPaths[r.URL.Path] {
			withHeaders.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// withHSTS adds Strict-Transport-Security when on is set: the server
// serves HTTPS itself or its issuer is https (behind a TLS proxy).
func withHSTS(h http.Handler, on bool) http.Handler {
	if !on {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hstsValue)
		h.ServeHTTP(w, r)
	})
}
