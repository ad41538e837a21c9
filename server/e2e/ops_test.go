package e2e

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// scrape fetches /metrics and parses the text exposition format.
func scrape(t *testing.T, env *servertest.Env) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mf
}

// sample returns the value of the family's sample whose labels include
// want, and whether there is one.
func sample(mf map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := mf[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetrics: after traffic, /metrics counts requests by route template
// and status (unknown paths under one label), latency, tokens by grant,
// failed logins, rate-limit refusals, database statement timings and the
// database pools.
func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.RateLimit.AccountFailures = 1 }))
	f.passwordTokens(t, "openid")
	f.passwordTokens(t, "openid")
	wantJSONError(t, post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, "wrong"), f.clientID, f.secret), http.StatusBadRequest, "invalid_grant")
	wantJSONError(t, post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, alicePassword), f.clientID, f.secret), http.StatusTooManyRequests, "invalid_grant")
	for _, p := range []string{"/no-such-page-1", "/no-such-page-2"} {
		if r := send(t, f.env, http.MethodGet, p, "", nil, nil); r.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}

	mf := scrape(t, f.env)
	// The database pool: SQLite's one writer connection, or the
	// PostgreSQL pool's size.
	pool, maxOpen := "writer", float64(1)
	if server.IsPostgres(f.env.Config.Database) {
		pool, maxOpen = "postgres", float64(f.env.Config.DatabasePool.MaxConns)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gatehouse_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "code": "200"}, 2},
		{"gatehouse_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "code": "400"}, 1},
		{"gatehouse_http_requests_total", map[string]string{"route": "/oauth2/token", "method": "POST", "code": "429"}, 1},
		{"gatehouse_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 2},
		{"gatehouse_http_request_duration_seconds", map[string]string{"route": "/oauth2/token", "method": "POST"}, 4},
		{"gatehouse_tokens_issued_total", map[string]string{"grant_type": "password"}, 2},
		{"gatehouse_login_failures_total", nil, 1},
		{"gatehouse_ratelimit_rejections_total", map[string]string{"action": "login", "limit": "account"}, 1},
		{"gatehouse_db_max_open_connections", map[string]string{"pool": pool}, maxOpen},
	}
	for _, c := range checks {
		got, ok := sample(mf, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, m := range mf["gatehouse_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && l.GetValue() == "/no-such-page-1" {
				t.Errorf("a raw unmatched path became a label")
			}
		}
	}
	if _, ok := sample(mf, "go_goroutines", nil); !ok {
		t.Errorf("no Go runtime metrics")
	}
	// Statement timings: the grants above read (clients, users, keys) and
	// write (token sessions).
	for _, kind := range []string{"query", "exec"} {
		if n, ok := sample(mf, "gatehouse_db_query_duration_seconds", map[string]string{"kind": kind}); !ok || n == 0 {
			t.Errorf("gatehouse_db_query_duration_seconds{kind=%q}: %v statements (present %v)", kind, n, ok)
		}
	}
}

// TestMetricsListen: with metrics_listen set, the main listener has no
// /metrics (the CLI serves it on that address; see cmd/gatehouse).
func TestMetricsListen(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.MetricsListen = "127.0.0.1:1" }))
	if r := send(t, env, http.MethodGet, "/metrics", "", nil, nil); r.Status != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d", r.Status)
	}
}

// TestCORS: a listed origin may call the browser endpoints (preflight
// included); another origin gets no CORS header; the pages never do.
func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed = "https://spa.example"
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.CORS.AllowedOrigins = []string{allowed} }))
	preflight := func(path, origin string) apiResponse {
		return send(t, env, http.MethodOptions, path, "", nil, func(r *http.Request) {
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", http.MethodPost)
			r.Header.Set("Access-Control-Request-Headers", "authorization,content-type") // as browsers send it
		})
	}
	for _, path := range []string{"/oauth2/token", "/oauth2/par", "/userinfo", "/oauth2/revoke", "/.well-known/jwks.json", "/.well-known/openid-configuration"} {
		r := preflight(path, allowed)
		if r.Status >= 300 || r.Header.Get("Access-Control-Allow-Origin") != allowed ||
			r.Header.Get("Access-Control-Allow-Methods") == "" {
			t.Errorf("%s preflight from %s: %d %v", path, allowed, r.Status, r.Header)
		}
		if r := preflight(path, "https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s preflight from another origin allowed: %v", path, r.Header)
		}
	}
	// A browser client using DPoP (RFC 9449) sends the DPoP header and
	// reads the DPoP-Nonce the server may answer with.
	dpop := send(t, env, http.MethodOptions, "/oauth2/token", "", nil, func(r *http.Request) {
		r.Header.Set("Origin", allowed)
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
		r.Header.Set("Access-Control-Request-Headers", "content-type,dpop")
	})
	if !strings.Contains(strings.ToLower(dpop.Header.Get("Access-Control-Allow-Headers")), "dpop") {
		t.Errorf("token preflight with a DPoP header: %d %v", dpop.Status, dpop.Header)
	}
	token := send(t, env, http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"), func(r *http.Request) {
		r.Header.Set("Origin", allowed)
	})
	if exposed := strings.ToLower(token.Header.Get("Access-Control-Expose-Headers")); !strings.Contains(exposed, "dpop-nonce") {
		t.Errorf("token answer exposes %q, want DPoP-Nonce among them", exposed)
	}
	get := func(path, origin string) apiResponse {
		return send(t, env, http.MethodGet, path, "", nil, func(r *http.Request) { r.Header.Set("Origin", origin) })
	}
	if r := get("/.well-known/jwks.json", allowed); r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("JWKS from %s: %d %v", allowed, r.Status, r.Header)
	}
	if r := get("/.well-known/jwks.json", "https://evil.example"); r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("JWKS from another origin: %d %v", r.Status, r.Header)
	}
	for _, path := range []string{"/login", "/metrics", "/healthz"} {
		if r := preflight(path, allowed); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s answers CORS: %v", path, r.Header)
		}
		if r := get(path, allowed); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s answers CORS: %v", path, r.Header)
		}
	}
}

// TestNoCORSByDefault: without allowed origins nothing is allowed.
func TestNoCORSByDefault(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := send(t, env, http.MethodOptions, "/oauth2/token", "", nil, func(r *http.Request) {
		r.Header.Set("Origin", "https://spa.example")
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
	})
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS allowed with no configured origin: %v", r.Header)
	}
}

// TestHSTS: sent when the issuer is https (behind a TLS proxy), not on a
// plain http issuer.
func TestHSTS(t *testing.T) {
	t.Parallel()
	plain := servertest.Start(t)
	if h := send(t, plain, http.MethodGet, "/healthz", "", nil, nil).Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS on an http issuer: %q", h)
	}
	proxied := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Issuer = "https://id.example" }))
	for _, p := range []string{"/healthz", "/login", "/.well-known/jwks.json"} {
		if h := send(t, proxied, http.MethodGet, p, "", nil, nil).Header.Get("Strict-Transport-Security"); h != "max-age=31536000; includeSubDomains" {
			t.Errorf("%s: HSTS %q behind a TLS proxy", p, h)
		}
	}
}
