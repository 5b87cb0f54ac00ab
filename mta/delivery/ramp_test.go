package delivery

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"seg/store"
)

// TestRampBoundsConnectionsBeingOpened: while the first connections to a
// destination are slow to open, mail streaming in waits for them instead
// of starting a worker (and a connection) per message.
func TestRampBoundsConnectionsBeingOpened(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("ramp.test", srv))
	gate := make(chan struct{})
	var mu sync.Mutex
	dials := 0
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nd.DialContext(ctx, network, addr)
	}
	h.start()
	const total = 20
	for i := range total {
		h.send("a@src.test", fmt.Sprintf("r%d@ramp.test", i))
	}
	// Once the scheduler holds every message it has dispatched what it
	// may (intake and dispatch come before it answers WorkQueue).
	h.wait("the scheduler to take every message", func() bool { return h.x.WorkQueue().Messages == total })
	if n := h.x.WorkQueue().Connections; n != rampConns {
		t.Errorf("%d workers while no connection is open yet, want %d", n, rampConns)
	}
	h.wait("the ramp's dials", func() bool { mu.Lock(); defer mu.Unlock(); return dials == rampConns })
	close(gate)
	h.waitIdle("all delivered", func() bool { return len(srv.received()) == total })
	if conns, _, _, _ := srv.stats(); conns >= total {
		t.Errorf("%d messages took %d connections: none reused", total, conns)
	}
}

// TestRampCountsOnlyOpening: connections that are open, however slow
// their first message, do not hold the ramp: the destination still gets
// its max_host_concurrency connections at once.
func TestRampCountsOnlyOpening(t *testing.T) {
	srv := newSMTPServer(t, nil)
	gate := make(chan struct{})
	srv.set(func(s *smtpServer) { s.gate = gate })
	const conc = 2 * rampConns
	h := newHarness(t, edits(viaRoute("ramp.test", srv), destParams("ramp.test", store.Params{"max_host_concurrency": fmt.Sprint(conc)})))
	h.dataTO = time.Minute // the gate holds DATA's reply
	h.start()
	for i := range conc + 2 {
		h.send("a@src.test", fmt.Sprintf("r%d@ramp.test", i))
	}
	h.wait(fmt.Sprintf("%d sessions in DATA", conc), func() bool { _, _, _, n := srv.stats(); return n == conc })
	close(gate)
	h.waitIdle("all delivered", func() bool { return len(srv.received()) == conc+2 })
	if _, _, top, _ := srv.stats(); top > conc {
		t.Errorf("%d connections at once, limit %d", top, conc)
	}
}
