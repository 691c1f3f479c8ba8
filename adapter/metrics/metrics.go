// Package metrics holds the Prometheus metrics of `ivbridge serve` in a
// registry of its own (never the global default one, so tests and several
// servers in one process do not collide).
//
// Labels carry route templates, kinds and status codes only: never ids,
// query values or anything about a patient.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// OutboxStatser reports the sync queue; store.Store satisfies it.
type OutboxStatser interface {
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
}

// Metrics is the set of service metrics; safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	records  *prometheus.CounterVec
}

// New builds the metrics and registers them, the Go runtime and process
// collectors, extra collectors (e.g. the sync worker's) and, when outbox
// is not nil, the sync queue gauges (read from the store on every scrape,
// bounded by a short timeout; leave it nil when a sync worker's collector
// exports the queue).
func New(outbox OutboxStatser, extra ...prometheus.Collector) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivbridge_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ivbridge_http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivbridge_clinic_records_total",
			Help: "Clinic record writes by kind and result (created, updated, unchanged, stale, conflict, invalid, blocked, error).",
		}, []string{"kind", "result"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.records,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outbox != nil {
		m.reg.MustRegister(&outboxCollector{src: outbox})
	}
	m.reg.MustRegister(extra...)
	return m
}

// ObserveRequest counts one finished request.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveRecord counts one clinic record write by kind and result.
func (m *Metrics) ObserveRecord(kind, result string) {
	m.records.WithLabelValues(kind, result).Inc()
}

// Registry returns the registry, e.g. for tests that gather it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// outboxCollector reads the sync queue from the store at scrape time, so
// the gauges are true even with several ivbridge processes on one
// PostgreSQL database.
type outboxCollector struct {
	src OutboxStatser
}

var (
	descPending = prometheus.NewDesc("ivbridge_sync_outbox_pending",
		"Record versions waiting to be pushed to the upstream.", nil, nil)
	descOldest = prometheus.NewDesc("ivbridge_sync_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending outbox entry (0 when none).", nil, nil)
	descDead = prometheus.NewDesc("ivbridge_sync_dead_letters",
		"Dead letters waiting for an operator.", nil, nil)
	descLastSuccess = prometheus.NewDesc("ivbridge_sync_last_success_timestamp_seconds",
		"Unix time of the last successful push (0 when none).", nil, nil)
	descUp = prometheus.NewDesc("ivbridge_sync_outbox_stats_up",
		"1 when the outbox statistics could be read from the store.", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPending
	ch <- descOldest
	ch <- descDead
	ch <- descLastSuccess
	ch <- descUp
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.src.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending))
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = time.Since(st.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.DeadLetters))
	last := 0.0
	if !st.LastSuccess.IsZero() {
		last = float64(st.LastSuccess.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last)
}
