package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/mta/counters"
)

// scrape serves c through Handler and parses the text format.
func scrape(t *testing.T, c *Collector) segtest.Metrics {
	t.Helper()
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()
	return segtest.ScrapeMetrics(t, srv.Listener.Addr().String())
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestCollectorKnownValues(t *testing.T) {
	clk := &clock{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
	ctr := counters.New(clk.Now, []int64{1000}) // a lifetime count: not a metric
	ctr.Add(counters.MessagesReceived, 3)
	ctr.Add(counters.RecipientsReceived, 5)
	ctr.DeliveredAfter("a.example", 2, 300*time.Millisecond) // bucket 0.5
	ctr.DeliveredAfter("b.example", 1, 2*time.Hour)          // bucket 14400
	ctr.HardBounced("b.example", counters.Hard5XX, 1)
	ctr.SoftBounced("b.example", 2)
	ctr.UpdateHost("c.example", func(h *counters.Host) { h.Unattempted, h.Attempted, h.ConnOut = 4, 1, 2 })
	ctr.ConnIn("IncomingMail", 1)
	ctr.ConnIn("IncomingMail", 1)
	ctr.ConnIn("Gone", 1)
	ctr.Delivered("bad\xffutf8.example", 1) // not UTF-8: shown with U+FFFD, the scrape still works
	ctr.ResetCounters()                     // resetcounters leaves the metrics alone
	// the.tdc.queue: every result once, TLS among the "other" hard bounces.
	ctr.DeliveredAfter("the.tdc.queue", 1, time.Second)
	ctr.HardBounced("the.tdc.queue", counters.Hard5XX, 1)
	ctr.HardBounced("the.tdc.queue", counters.HardOther, 1)
	ctr.TLSHardBounced("the.tdc.queue", 1)
	ctr.HardBounced("the.tdc.queue", counters.HardOther, 1) // bouncerecipients
	ctr.HardBounced("the.tdc.queue", counters.HardExpired, 1)
	ctr.Deleted("the.tdc.queue", 1)

	commit := time.Date(2026, 12, 7, 1, 30, 0, 500e6, time.UTC)
	c := New(Deps{
		Counters:  ctr.Snapshot,
		Listeners: func() []string { return []string{"IncomingMail", "OutgoingMail"} },
		Revision:  func() (int, time.Time, bool) { return 7, commit, true },
		TDCHost:   "the.tdc.queue",
	})
	all := scrape(t, c)
	// The standard process and runtime metrics are there; the values
	// compared below are seg's own.
	for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "go_goroutines"} {
		if all[name] <= 0 {
			t.Errorf("%s = %v, want a positive value", name, all[name])
		}
	}
	got := all.With("seg_")
	want := segtest.Metrics{
		`seg_messages_received_total`:                                      3,
		`seg_recipients_received_total`:                                    5,
		`seg_recipients_delivered_total{domain="a.example"}`:               2,
		`seg_recipients_delivered_total{domain="b.example"}`:               1,
		`seg_recipients_delivered_total{domain="c.example"}`:               0,
		`seg_recipients_delivered_total{domain="the.tdc.queue"}`:           1,
		`seg_recipients_delivered_total{domain="other"}`:                   0,
		`seg_recipients_bounced_total{domain="a.example",kind="hard"}`:     0,
		`seg_recipients_bounced_total{domain="a.example",kind="soft"}`:     0,
		`seg_recipients_bounced_total{domain="b.example",kind="hard"}`:     1,
		`seg_recipients_bounced_total{domain="b.example",kind="soft"}`:     2,
		`seg_recipients_bounced_total{domain="c.example",kind="hard"}`:     0,
		`seg_recipients_bounced_total{domain="c.example",kind="soft"}`:     0,
		`seg_recipients_bounced_total{domain="the.tdc.queue",kind="hard"}`: 4,
		`seg_recipients_bounced_total{domain="the.tdc.queue",kind="soft"}`: 0,
		`seg_recipients_bounced_total{domain="other",kind="hard"}`:         0,
		`seg_recipients_bounced_total{domain="other",kind="soft"}`:         0,
		`seg_queue_active_recipients{domain="a.example"}`:                  0,
		`seg_queue_active_recipients{domain="b.example"}`:                  0,
		`seg_queue_active_recipients{domain="c.example"}`:                  5,
		`seg_queue_active_recipients{domain="the.tdc.queue"}`:              0,
		`seg_queue_active_recipients{domain="other"}`:                      0,
		`seg_connections_out{domain="a.example"}`:                          0,
		`seg_connections_out{domain="b.example"}`:                          0,
		`seg_connections_out{domain="c.example"}`:                          2,
		`seg_connections_out{domain="the.tdc.queue"}`:                      0,
		`seg_connections_out{domain="other"}`:                              0,
		`seg_connections_in{listener="IncomingMail"}`:                      2,
		`seg_connections_in{listener="OutgoingMail"}`:                      0,
		`seg_connections_in{listener="Gone"}`:                              1,
		`seg_tdc_copies_total{result="delivered"}`:                         1,
		`seg_tdc_copies_total{result="hard_bounced"}`:                      1,
		`seg_tdc_copies_total{result="tls_error"}`:                         1,
		`seg_tdc_copies_total{result="bounced"}`:                           1,
		`seg_tdc_copies_total{result="expired"}`:                           1,
		`seg_tdc_copies_total{result="deleted"}`:                           1,
		`seg_config_revision`:                                              7,
		`seg_config_commit_time_seconds`:                                   float64(commit.Unix()) + 0.5,
		`seg_delivery_delay_seconds_count`:                                 4,
		`seg_delivery_delay_seconds_sum`:                                   0.6 + 7200 + 1,
		`seg_delivery_delay_seconds_bucket{le="+Inf"}`:                     4,
	}
	bad := "bad\uFFFDutf8.example"
	want[`seg_recipients_delivered_total{domain="`+bad+`"}`] = 1
	want[`seg_recipients_bounced_total{domain="`+bad+`",kind="hard"}`] = 0
	want[`seg_recipients_bounced_total{domain="`+bad+`",kind="soft"}`] = 0
	want[`seg_queue_active_recipients{domain="`+bad+`"}`] = 0
	want[`seg_connections_out{domain="`+bad+`"}`] = 0
	cum := map[float64]float64{0.1: 0, 0.5: 2, 1: 3, 5: 3, 15: 3, 60: 3, 300: 3, 900: 3, 1800: 3, 3600: 3, 14400: 4, 43200: 4, 86400: 4, 259200: 4}
	for le, n := range cum {
		want[fmt.Sprintf(`seg_delivery_delay_seconds_bucket{le="%g"}`, le)] = n
	}
	if !reflect.DeepEqual(got, want) {
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected %s = %v", k, v)
			}
		}
	}
}

// Only /metrics is served, and only to GET.
func TestHandlerServesOnlyMetrics(t *testing.T) {
	c := New(Deps{Counters: counters.New(time.Now, nil).Snapshot})
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()
	for path, code := range map[string]int{"/metrics": 200, "/": 404, "/debug/pprof/": 404, "/metrics/x": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}
	resp, err := http.Post(srv.URL+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}
}
