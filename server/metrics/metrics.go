// Package metrics holds Gatehouse's Prometheus metrics, on a registry of
// its own (not the global one): HTTP requests by route template and
// status, request latency, tokens issued by grant type, failed sign-ins,
// rate-limit refusals, database statement latency and pool statistics, and
// the Go and process
// collectors. Handler serves them in the text exposition format.
package metrics

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DBStatser is implemented by stores that can report their connection
// pools' statistics, keyed by pool name (storage/sqlite: writer, reader).
type DBStatser interface {
	DBStats() map[string]sql.DBStats
}

// Metrics is one set of collectors on its own registry. A nil *Metrics
// counts nothing.
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	tokens        *prometheus.CounterVec
	loginFailures prometheus.Counter
	rateLimited   *prometheus.CounterVec
	queries       *prometheus.HistogramVec
	storageFails  *prometheus.CounterVec
	backchannel   *prometheus.CounterVec
}

// New registers the collectors; db, when not nil, adds the pool gauges.
func New(db DBStatser) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_issued_total",
			Help: "Successful token responses by grant type.",
		}, []string{"grant_type"}),
		loginFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_login_failures_total",
			Help: "Failed password sign-ins (login page and password grant).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_ratelimit_rejections_total",
			Help: "Attempts refused by the rate limits, by action and limit (account, account_total or ip).",
		}, []string{"action", "limit"}),
		queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_db_query_duration_seconds",
			Help:    "Database statement latency by kind (exec: writes; query: reads).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"kind"}),
		storageFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_storage_failures_total",
			Help: "Requests answered 503 because the database failed, by surface (protocol, pages, admin).",
		}, []string{"surface"}),
		backchannel: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_backchannel_logout_total",
			Help: "Back-channel logout deliveries by outcome (sent, retry, failed, refused, dropped).",
		}, []string{"outcome"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.tokens, m.loginFailures, m.rateLimited, m.queries, m.storageFails, m.backchannel,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.registry.MustRegister(dbCollector{db})
	}
	return m
}

// Registry is the registry the collectors are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// TokenIssued counts a successful token response.
func (m *Metrics) TokenIssued(grantType string) {
	if m != nil {
		m.tokens.WithLabelValues(grantType).Inc()
	}
}

// LoginFailed counts a failed password sign-in.
func (m *Metrics) LoginFailed() {
	if m != nil {
		m.loginFailures.Inc()
	}
}

// StorageFailed counts a request answered 503 because the database failed.
func (m *Metrics) StorageFailed(surface string) {
	if m != nil {
		m.storageFails.WithLabelValues(surface).Inc()
	}
}

// BackchannelLogout counts one outcome of a back-channel logout delivery.
func (m *Metrics) BackchannelLogout(outcome string) {
	if m != nil {
		m.backchannel.WithLabelValues(outcome).Inc()
	}
}

// RateLimited counts an attempt refused by a rate limit.
func (m *Metrics) RateLimited(action, limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(action, limit).Inc()
	}
}

func (m *Metrics) observe(route, method string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, codeLabel(code)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveQuery records one database statement's duration; kind is "exec"
// or "query".
func (m *Metrics) ObserveQuery(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.queries.WithLabelValues(kind).Observe(d.Seconds())
}
