package mailtest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/mailapi"
	"seg/internal/segtest"
	"seg/store"
)

// BenchmarkDownDestination (issue 12): 100,000 recipients (10,000
// messages of 10) queued for a destination that is down (its route
// points at a port where nothing listens). Measures how long tophosts
// and hoststatus take to answer with that queue (must be under 200 ms),
// then brings the destination back (a receiving server on that port,
// and delivernow, as an administrator would) and measures how long
// delivering everything takes at max_host_concurrency 20, checking that
// the receiver never sees more than 20 connections at once. One run of
// the scenario whatever b.N; the figures are reported as metrics.
func BenchmarkDownDestination(b *testing.B) {
	const msgs, per, conc, clients = 10000, 10, 20, 8
	dest := fmt.Sprintf("127.0.0.1:%d", segtest.FreePort(b))
	dir := b.TempDir()
	cfg := store.Default("bench.test", "")
	lc := &cfg.Listeners[0]
	lc.Port = segtest.FreePort(b)
	cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "down.test", Hosts: []string{dest}})
	cfg.Destinations = append(cfg.Destinations, store.Destination{Domain: "down.test",
		Params: store.Params{"max_host_concurrency": fmt.Sprint(conc)}})
	m := benchMTA(b, dir, cfg, nil)
	addr := fmt.Sprintf("127.0.0.1:%d", lc.Port)

	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := segtest.Client{}.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer cl.Close()
			for i := c; i < msgs; i += clients {
				var to []string
				for r := range per {
					to = append(to, fmt.Sprintf("u%d.%d@down.test", i, r))
				}
				if _, err := segtest.Transact(cl, "sender@client.test", to, plainMessage(to[0], "down", fmt.Sprintf("down.%d@client.test", i))); err != nil {
					b.Error(err)
					return
				}
			}
			cl.Quit()
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	inject := time.Since(start)

	host := func() string {
		var out bytes.Buffer
		if err := m.HostStatus(&out, "down.test"); err != nil {
			return ""
		}
		return out.String()
	}
	gauge := func(s, label string) int {
		r := regexp.MustCompile(`(?m)^ +([\d,]+)  +` + label + `$`).FindStringSubmatch(s)
		if r == nil {
			return -1
		}
		return num(r[1])
	}
	// Down, every recipient tried once, and no attempt under way: each
	// waits for its retry, which delivernow brings forward.
	idle := func() bool {
		var out bytes.Buffer
		m.WorkQueue(&out)
		return strings.Contains(out.String(), "Current Outbound Conn.:        0\n")
	}
	if !segtest.Poll(time.Minute, func() bool {
		h := host()
		return strings.Contains(h, "Host up/down:          down") && gauge(h, "Attempted Recipients") == msgs*per && idle()
	}) {
		b.Fatalf("the queue does not hold %d recipients for a down host:\n%s", msgs*per, host())
	}
	// answer times tophosts and hoststatus once, and keeps the worst.
	answer := func(worstTop, worstHost *time.Duration) {
		t0 := time.Now()
		var out bytes.Buffer
		if err := m.TopHosts(&out, mailapi.ByActiveRecipients); err != nil || !strings.Contains(out.String(), "down.test") {
			b.Errorf("tophosts: %v\n%s", err, out.String())
		}
		*worstTop = max(*worstTop, time.Since(t0))
		t0 = time.Now()
		if host() == "" {
			b.Error("hoststatus down.test: no record")
		}
		*worstHost = max(*worstHost, time.Since(t0))
	}
	// While the destination is down.
	var worstTop, worstHost time.Duration
	for range 20 {
		answer(&worstTop, &worstHost)
	}

	// The destination comes back.
	sink := segtest.NewSink(b, segtest.SinkOptions{Addr: dest})
	back := time.Now()
	var out bytes.Buffer
	m.DeliverNow(&out, "down.test")
	// While it drains, the answers are timed too (the scheduler is busy).
	var busyTop, busyHost time.Duration
	if !segtest.Poll(10*time.Minute, func() bool {
		answer(&busyTop, &busyHost)
		return gauge(host(), "Delivered Recipients") == msgs*per
	}) {
		b.Fatalf("%d of %d recipients delivered after 10 minutes", gauge(host(), "Delivered Recipients"), msgs*per)
	}
	drain := time.Since(back)
	for _, d := range []time.Duration{worstTop, worstHost, busyTop, busyHost} {
		if d > 200*time.Millisecond {
			b.Errorf("tophosts took %v and hoststatus %v while down, %v and %v while draining: over 200 ms", worstTop, worstHost, busyTop, busyHost)
			break
		}
	}
	if sink.MaxConns() > conc {
		b.Errorf("the destination saw %d connections at once, max_host_concurrency %d", sink.MaxConns(), conc)
	}
	b.ReportMetric(inject.Seconds(), "inject-s")
	b.ReportMetric(float64(worstTop.Microseconds())/1000, "tophosts-ms")
	b.ReportMetric(float64(worstHost.Microseconds())/1000, "hoststatus-ms")
	b.ReportMetric(float64(busyTop.Microseconds())/1000, "tophosts-drain-ms")
	b.ReportMetric(float64(busyHost.Microseconds())/1000, "hoststatus-drain-ms")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(msgs*per)/drain.Seconds(), "rcpts/s")
	b.ReportMetric(float64(sink.MaxConns()), "max-conns")
	b.ReportMetric(float64(sink.Conns()), "conns")
}
