package mailtest

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// The Prometheus endpoint end to end (SPEC 13): a known workload through
// `seg run`, then GET /metrics parsed by the Prometheus text parser, each
// value checked exactly.
//
// Workload: two messages from alice@client.test (127.0.0.1, accepted,
// journaled by TDC): MID 1 to a@ and b@example.test, MID 2 to c@ and
// bad@example.test, which the destination refuses with 550. So
// example.test gets 3 recipients delivered and 1 hard bounce; the DSN to
// alice@client.test is delivered (client.test is routed to the same
// sink); the.tdc.queue delivers the 2 copies.
func TestMetricsKnownWorkload(t *testing.T) {
	t.Parallel()
	dest := segtest.NewSink(t, segtest.SinkOptions{Reply: func(at segtest.Attempt) error {
		if at.Cmd == "RCPT" && at.Rcpt == "bad@example.test" {
			return segtest.Reply(550, "5.1.1 No such user")
		}
		return nil
	}})
	intake := segtest.NewSink(t, segtest.SinkOptions{})
	maddr := "127.0.0.1:" + strconv.Itoa(segtest.FreePort(t))
	a := newTDCAppliance(t, dest.Addr(), intake.Addr(),
		"smtproutes new client.test "+dest.Addr(),
		"metricsconfig setup --address "+maddr)
	a.Start()

	before := segtest.ScrapeMetrics(t, maddr)
	rev := before["seg_config_revision"]
	if rev < 1 {
		t.Fatalf("seg_config_revision = %v", rev)
	}

	sendGo(t, a, 1, []string{"a@example.test", "b@example.test"}, plainMessage("a@example.test", "one", "one@client.test"))
	sendGo(t, a, 1, []string{"c@example.test", "bad@example.test"}, plainMessage("c@example.test", "two", "two@client.test"))
	dest.WaitCount(t, 3, 30*time.Second) // MID 1, MID 2's c@, the DSN
	intake.WaitCount(t, 2, 30*time.Second)

	want := segtest.Metrics{
		"seg_messages_received_total":                                      2,
		"seg_recipients_received_total":                                    4,
		`seg_recipients_delivered_total{domain="example.test"}`:            3,
		`seg_recipients_delivered_total{domain="client.test"}`:             1,
		`seg_recipients_delivered_total{domain="the.tdc.queue"}`:           2,
		`seg_recipients_delivered_total{domain="other"}`:                   0,
		`seg_recipients_bounced_total{domain="example.test",kind="hard"}`:  1,
		`seg_recipients_bounced_total{domain="example.test",kind="soft"}`:  0,
		`seg_recipients_bounced_total{domain="client.test",kind="hard"}`:   0,
		`seg_recipients_bounced_total{domain="client.test",kind="soft"}`:   0,
		`seg_recipients_bounced_total{domain="the.tdc.queue",kind="hard"}`: 0,
		`seg_recipients_bounced_total{domain="the.tdc.queue",kind="soft"}`: 0,
		`seg_recipients_bounced_total{domain="other",kind="hard"}`:         0,
		`seg_recipients_bounced_total{domain="other",kind="soft"}`:         0,
		`seg_queue_active_recipients{domain="example.test"}`:               0,
		`seg_queue_active_recipients{domain="client.test"}`:                0,
		`seg_queue_active_recipients{domain="the.tdc.queue"}`:              0,
		`seg_queue_active_recipients{domain="other"}`:                      0,
		`seg_connections_out{domain="example.test"}`:                       0,
		`seg_connections_out{domain="client.test"}`:                        0,
		`seg_connections_out{domain="the.tdc.queue"}`:                      0,
		`seg_connections_out{domain="other"}`:                              0,
		`seg_connections_in{listener="IncomingMail"}`:                      0,
		`seg_tdc_copies_total{result="delivered"}`:                         2,
		`seg_tdc_copies_total{result="hard_bounced"}`:                      0,
		`seg_tdc_copies_total{result="tls_error"}`:                         0,
		`seg_tdc_copies_total{result="expired"}`:                           0,
		`seg_tdc_copies_total{result="bounced"}`:                           0,
		`seg_tdc_copies_total{result="deleted"}`:                           0,
		"seg_config_revision":                                              rev,
		"seg_config_commit_time_seconds":                                   before["seg_config_commit_time_seconds"],
		"seg_delivery_delay_seconds_count":                                 6,
		`seg_delivery_delay_seconds_bucket{le="+Inf"}`:                     6,
		`seg_delivery_delay_seconds_bucket{le="60"}`:                       6, // loopback: each under a minute
	}
	// The gauges settle once the connections close (the.tdc.queue's
	// linger): poll for the whole set.
	var got segtest.Metrics
	if !segtest.Poll(20*time.Second, func() bool {
		got = segtest.ScrapeMetrics(t, maddr)
		return len(diff(got, want)) == 0
	}) {
		t.Fatalf("metrics after the workload:\n%s", strings.Join(diff(got, want), "\n"))
	}
	// The process's own, as Prometheus' standard collectors report it.
	if rss := got["process_resident_memory_bytes"]; rss < 1<<20 || rss > 1<<30 {
		t.Errorf("process_resident_memory_bytes = %v", rss)
	}
	if got["go_goroutines"] < 1 || got["process_open_fds"] < 3 {
		t.Errorf("go_goroutines = %v, process_open_fds = %v", got["go_goroutines"], got["process_open_fds"])
	}
	// Every seg_ series is one of those, or a histogram bucket or its sum.
	for k := range got.With("seg_") {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "seg_delivery_delay_seconds_bucket{") && k != "seg_delivery_delay_seconds_sum" {
			t.Errorf("unexpected series %s = %v", k, got[k])
		}
	}
	if s := got["seg_delivery_delay_seconds_sum"]; s <= 0 || s > 6*60 {
		t.Errorf("seg_delivery_delay_seconds_sum = %v", s)
	}

	// A commit: the revision moves on, with its time.
	t0 := time.Now()
	a.MustCli("smtproutes new later.test " + dest.Addr() + " ; commit metrics revision")
	segtest.Wait(t, 10*time.Second, "the new revision", func() bool {
		return segtest.ScrapeMetrics(t, maddr)["seg_config_revision"] == rev+1
	})
	if at := segtest.ScrapeMetrics(t, maddr)["seg_config_commit_time_seconds"]; at < float64(t0.Unix()) || at > float64(time.Now().Unix()+1) {
		t.Errorf("seg_config_commit_time_seconds = %v, want between %d and now", at, t0.Unix())
	}
}

// diff lists the series of want that got lacks or has with another
// value.
func diff(got, want segtest.Metrics) []string {
	var out []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("%s missing, want %v", k, v))
		} else if g != v {
			out = append(out, fmt.Sprintf("%s = %v, want %v", k, g, v))
		}
	}
	sort.Strings(out)
	return out
}

// metricsconfig is served, moved, refused onto a held port, and turned
// off, each on commit.
func TestMetricsEndpointFollowsCommits(t *testing.T) {
	t.Parallel()
	first := "127.0.0.1:" + strconv.Itoa(segtest.FreePort(t))
	a := segtest.New(t, "metricsconfig setup --address "+first)
	a.Start()
	segtest.ScrapeMetrics(t, first)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	out, errOut, code := a.Cli("metricsconfig setup --address " + busy.Addr().String() + " ; commit onto a held port")
	want := "metrics: cannot listen on " + busy.Addr().String() + ": address already in use"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Fatalf("commit onto a held port: exit %d, want refused with %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	if p := a.MustCli("metricsconfig print"); p != "Metrics endpoint: "+first+"\n" {
		t.Errorf("metricsconfig print after the refused commit: %q", p)
	}
	segtest.ScrapeMetrics(t, first)

	second := "127.0.0.1:" + strconv.Itoa(segtest.FreePort(t))
	a.MustCli("metricsconfig setup --address " + second + " ; commit move metrics")
	segtest.Wait(t, 10*time.Second, "metrics on the new address", func() bool {
		_, err := segtest.FetchMetrics(second)
		return err == nil
	})
	segtest.Wait(t, 10*time.Second, "the old address closed", func() bool {
		_, err := segtest.FetchMetrics(first)
		return err != nil
	})

	a.MustCli("metricsconfig setup --off ; commit metrics off")
	segtest.Wait(t, 10*time.Second, "metrics off", func() bool {
		_, err := segtest.FetchMetrics(second)
		return err != nil
	})
}

// A port taken before seg starts: metricsconfig print warns, and the
// endpoint comes up once the port is free, with no commit.
func TestMetricsPortTakenAtStart(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(segtest.FreePort(t))
	a := segtest.New(t, "metricsconfig setup --address "+addr) // the commit checks the port: free then
	busy, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	want := "Metrics endpoint: " + addr + "\nWARNING: The metrics endpoint is down: cannot listen on " + addr + " (address already in use)\n"
	if p := a.MustCli("metricsconfig print"); p != want {
		t.Errorf("metricsconfig print:\n%q\nwant\n%q", p, want)
	}
	busy.Close()
	segtest.Wait(t, 15*time.Second, "the endpoint once the port is free", func() bool {
		_, err := segtest.FetchMetrics(addr)
		return err == nil
	})
	if p := a.MustCli("metricsconfig print"); p != "Metrics endpoint: "+addr+"\n" {
		t.Errorf("metricsconfig print once listening: %q", p)
	}
}
