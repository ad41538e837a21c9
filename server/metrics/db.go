package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// dbCollector reads the pools' statistics at each scrape.
type dbCollector struct{ db DBStatser }

var (
	dbLabels      = []string{"pool"}
	dbMaxOpen     = prometheus.NewDesc("gatehouse_db_max_open_connections", "Maximum open connections of the pool.", dbLabels, nil)
	dbOpen        = prometheus.NewDesc("gatehouse_db_open_connections", "Open connections (in use and idle).", dbLabels, nil)
	dbInUse       = prometheus.NewDesc("gatehouse_db_in_use_connections", "Connections in use.", dbLabels, nil)
	dbIdle        = prometheus.NewDesc("gatehouse_db_idle_connections", "Idle connections.", dbLabels, nil)
	dbWaitCount   = prometheus.NewDesc("gatehouse_db_wait_count_total", "Queries that waited for a free connection.", dbLabels, nil)
	dbWaitSeconds = prometheus.NewDesc("gatehouse_db_wait_seconds_total", "Time spent waiting for a free connection.", dbLabels, nil)
	dbClosedIdle  = prometheus.NewDesc("gatehouse_db_closed_max_idle_total", "Connections closed because of the idle limit.", dbLabels, nil)
	dbClosedLife  = prometheus.NewDesc("gatehouse_db_closed_max_lifetime_total", "Connections closed because of their maximum lifetime.", dbLabels, nil)
)

// Describe implements prometheus.Collector.
func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbMaxOpen, dbOpen, dbInUse, dbIdle, dbWaitCount, dbWaitSeconds, dbClosedIdle, dbClosedLife} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	for pool, s := range c.db.DBStats() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, pool)
		}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, pool)
		}
		gauge(dbMaxOpen, float64(s.MaxOpenConnections))
		gauge(dbOpen, float64(s.OpenConnections))
		gauge(dbInUse, float64(s.InUse))
		gauge(dbIdle, float64(s.Idle))
		counter(dbWaitCount, float64(s.WaitCount))
		counter(dbWaitSeconds, s.WaitDuration.Seconds())
		counter(dbClosedIdle, float64(s.MaxIdleClosed))
		counter(dbClosedLife, float64(s.MaxLifetimeClosed))
	}
}
