// Package metrics is seg's Prometheus endpoint (SPEC 13): a
// prometheus.Collector that reads the mail system's counters
// (mta/counters) and the configuration's revision when it is scraped,
// so that the mail path counts once, for status, tophosts and metrics
// alike. It exposes counts and label values that are destination domains,
// listener names and fixed words only: no address, no subject, no host
// name of a client.
package metrics

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"seg/mta/counters"
)

// Deps is what the collector reads.
type Deps struct {
	// Counters is the mail system's counters snapshot.
	Counters func() counters.Snapshot
	// Listeners names the configured listeners (each gets a
	// seg_connections_in series, 0 when idle).
	Listeners func() []string
	// Revision is the running configuration's revision number and commit
	// time; ok false when it cannot be read.
	Revision func() (number int, at time.Time, ok bool)
	// TDCHost is the journal copies' destination (the.tdc.queue).
	TDCHost string
}

// Collector is a prometheus.Collector; safe for concurrent scrapes.
type Collector struct {
	d       Deps
	desc    descs
	mu      sync.Mutex // domains
	domains *domainSet
}

// New returns a collector over d.
func New(d Deps) *Collector {
	return &Collector{d: d, desc: newDescs(), domains: newDomainSet(MaxDomains)}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var _ prometheus.Collector = (*Collector)(nil)

// The metrics, SPEC 13's names.
type descs struct {
	messages, recipients, delivered, bounced, active, connIn, connOut, delay, tdc, revision, commitTime *prometheus.Desc
}

func newDescs() descs {
	return descs{
		messages:   desc("seg_messages_received_total", "Messages received since start (status: Messages Received)."),
		recipients: desc("seg_recipients_received_total", "Recipients received since start (status: Recipients Received)."),
		delivered:  desc("seg_recipients_delivered_total", "Recipients delivered since start, by destination (top 100, the rest as other).", "domain"),
		bounced: desc("seg_recipients_bounced_total", "Hard bounced recipients and soft bounce events since start, by destination (top 100, the rest as other).",
			"domain", "kind"),
		active:     desc("seg_queue_active_recipients", "Recipients in the queue now, by destination (top 100, the rest as other).", "domain"),
		connIn:     desc("seg_connections_in", "Inbound SMTP connections open now, by listener.", "listener"),
		connOut:    desc("seg_connections_out", "Outbound SMTP connections open now, by destination (top 100, the rest as other).", "domain"),
		delay:      desc("seg_delivery_delay_seconds", "Time from a message's receipt to the delivery of each of its recipients."),
		tdc:        desc("seg_tdc_copies_total", "Threat Defense Connector journal copies that left the.tdc.queue since start, by result.", "result"),
		revision:   desc("seg_config_revision", "Revision number of the running configuration."),
		commitTime: desc("seg_config_commit_time_seconds", "When the running configuration was committed, in seconds since the Unix epoch."),
	}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	d := c.desc
	for _, x := range []*prometheus.Desc{d.messages, d.recipients, d.delivered, d.bounced, d.active, d.connIn, d.connOut, d.delay, d.tdc, d.revision, d.commitTime} {
		ch <- x
	}
}

// Collect reads the counters and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	d := c.desc
	snap := c.d.Counters()
	metric := func(ds *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
		for i, l := range labels {
			// Label values must be UTF-8; a domain or listener name that
			// is not must not fail the scrape.
			labels[i] = strings.ToValidUTF8(l, "\uFFFD")
		}
		m, err := prometheus.NewConstMetric(ds, t, v, labels...)
		if err != nil {
			m = prometheus.NewInvalidMetric(ds, err)
		}
		ch <- m
	}
	counter := func(ds *prometheus.Desc, v int64, labels ...string) {
		metric(ds, prometheus.CounterValue, float64(v), labels)
	}
	gauge := func(ds *prometheus.Desc, v float64, labels ...string) {
		metric(ds, prometheus.GaugeValue, v, labels)
	}
	counter(d.messages, snap.Uptime[counters.MessagesReceived])
	counter(d.recipients, snap.Uptime[counters.RecipientsReceived])

	c.mu.Lock()
	c.domains.update(snap.Hosts, snap.Now)
	perDomain := func(name string, hc hostCounts, active, connOut int64) {
		counter(d.delivered, hc.delivered, name)
		counter(d.bounced, hc.hard, name, "hard")
		counter(d.bounced, hc.soft, name, "soft")
		gauge(d.active, float64(active), name)
		gauge(d.connOut, float64(connOut), name)
	}
	for i := range snap.Hosts {
		h := &snap.Hosts[i]
		if c.domains.tracked[h.Name] {
			perDomain(h.Name, countsOf(h), h.Active(), h.ConnOut)
		}
	}
	oc, oa, oconn := c.domains.otherNow(snap.Hosts)
	c.mu.Unlock()
	perDomain(Other, oc, oa, oconn)

	listeners := map[string]int64{}
	if c.d.Listeners != nil {
		for _, l := range c.d.Listeners() {
			listeners[l] = 0
		}
	}
	for l, n := range snap.ConnInBy {
		listeners[l] = n
	}
	names := make([]string, 0, len(listeners))
	for l := range listeners {
		names = append(names, l)
	}
	sort.Strings(names)
	for _, l := range names {
		gauge(d.connIn, float64(listeners[l]), l)
	}

	bounds := counters.DelayBuckets()
	buckets := make(map[float64]uint64, len(bounds))
	var cum int64
	for i, b := range bounds {
		cum += snap.Delay.Counts[i]
		buckets[b] = uint64(cum)
	}
	h, err := prometheus.NewConstHistogram(d.delay, uint64(snap.Delay.Count), snap.Delay.Sum, buckets)
	if err != nil {
		h = prometheus.NewInvalidMetric(d.delay, err)
	}
	ch <- h

	tdc, _ := snap.Host(c.d.TDCHost)
	for _, r := range tdcResults(tdc.Total) {
		counter(d.tdc, r.n, r.name)
	}

	if c.d.Revision != nil {
		if n, at, ok := c.d.Revision(); ok {
			gauge(d.revision, float64(n))
			gauge(d.commitTime, float64(at.UnixNano())/1e9)
		}
	}
}

type result struct {
	name string
	n    int64
}

// tdcResults splits the.tdc.queue's totals into SPEC 6's outcomes of a
// copy: delivered; hard_bounced (a 5xx reply, "Hard Bounced"); tls_error
// ("TLS Error"); expired (its retry or the 120 s spent: 4xx, connection
// and DNS errors); bounced (bouncerecipients by an administrator);
// deleted (deleterecipients).
func tdcResults(t counters.HostTotals) []result {
	return []result{
		{"delivered", t.Delivered},
		{"hard_bounced", t.HardByKind[counters.Hard5XX]},
		{"tls_error", t.TLSHard},
		{"expired", t.HardByKind[counters.HardExpired] + t.HardByKind[counters.HardDNS]},
		{"bounced", t.HardByKind[counters.HardOther] + t.HardByKind[counters.HardFilter] - t.TLSHard},
		{"deleted", t.Deleted},
	}
}

// Handler serves the collector's metrics in the Prometheus text format at
// /metrics, from a registry of its own, with the standard process and Go
// runtime metrics beside them (process_resident_memory_bytes,
// process_open_fds, go_goroutines...: what an operator watches for a
// leak, and what `make soak` samples). No profiling endpoints.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
