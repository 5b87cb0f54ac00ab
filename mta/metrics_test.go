package mta

import (
	"net/http/httptest"
	"testing"

	"seg/internal/segtest"
	"seg/mta/metrics"
	"seg/mta/tdc"
	"seg/store"
)

// seg_tdc_copies_total{result} follows what became of a journal copy
// (SPEC 6's outcomes), read from the.tdc.queue's counters.
func TestMetricsTDCResults(t *testing.T) {
	requireTLS := func(c *store.Config) {
		c.Destinations = append(c.Destinations, store.Destination{Domain: tdc.Host, Params: store.Params{"use_tls": "required"}})
	}
	for _, c := range []struct {
		name   string
		su     tdcSetup
		reply  func(segtest.Attempt) error
		final  string
		result string
	}{
		{"delivered", tdcSetup{}, nil, "successfully delivered", "delivered"},
		{"550", tdcSetup{}, segtest.Refuse("RCPT", segtest.Reply(550, "5.1.1 No such user")), "Hard Bounced.", "hard_bounced"},
		{"TLS", tdcSetup{intake: segtest.SinkOptions{BrokenTLS: true}, edit: requireTLS}, nil, "TLS Error.", "tls_error"},
		{"451 twice", tdcSetup{}, segtest.Refuse("DATA", segtest.Reply(451, "4.3.0 Try later")), "Expired.", "expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newTDCEnv(t, c.su)
			e.intake.SetReply(c.reply)
			e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
			e.waitLog("Message finished MID 1 done")
			if c.result == "expired" {
				e.waitLog("TDC: MID 2 delivery delayed") // the journal copy of MID 1
				e.tick(tdc.RetryWait)
			}
			e.waitLog("TDC: MID 2 ", c.final)
			e.waitEmpty()
			srv := httptest.NewServer(metrics.Handler(e.m.Metrics()))
			defer srv.Close()
			got := segtest.ScrapeMetrics(t, srv.Listener.Addr().String()).With("seg_tdc_copies_total")
			want := segtest.Metrics{}
			for _, r := range []string{"delivered", "hard_bounced", "tls_error", "expired", "bounced", "deleted"} {
				want[`seg_tdc_copies_total{result="`+r+`"}`] = 0
			}
			want[`seg_tdc_copies_total{result="`+c.result+`"}`] = 1
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
