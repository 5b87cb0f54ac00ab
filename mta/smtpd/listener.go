package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"seg/internal/netbind"
	"seg/store"
)

// listener is one configured listener. It outlives its sockets: a rebind
// or suspend replaces the socket, while the connection counts (which the
// HAT limits use) stay with the listener.
type listener struct {
	s    *Server
	cur  atomic.Pointer[binding]         // configuration that new connections take
	cert atomic.Pointer[tls.Certificate] // the certificate presented now (tls.go)

	// Guarded by Server.mu.
	name      string
	addr      string
	port      int
	suspended bool
	sock      *socket // nil when not accepting
	err       error   // last bind error of the configured address

	cmu      sync.Mutex // the slots (slots.go)
	active   int        // open connections, sessions or not
	perIP    map[netip.Addr]int
	sessions map[*conn]*slot // sessions being served: eviction candidates
}

// binding is the snapshot a connection takes at connect: the whole
// configuration, its listener, and the listener's HAT ready to match.
type binding struct {
	cfg *store.Config
	lc  *store.Listener
	hat *hatTable
	tls *tlsConfigs // nil: no certificate (tls.go)
	// lim is lc.ConnLimits with defaults for values out of range, worked
	// out once per snapshot rather than at every connection.
	lim store.ConnLimits
	// dkim are the snapshot's DKIM signing keys, parsed once for every
	// listener (dkimsign.go).
	dkim dkimKeys
}

// socket is one bound address.
type socket struct {
	ln       net.Listener
	addr     string // the configured address it was bound for
	cfgPort  int    // the configured port (0: any) it was bound for
	port     int    // the port bound
	stopping chan struct{}
	accepted chan struct{} // closed when the accept loop has returned
}

// start binds the listener's configured address and serves it; called
// with Server.mu held.
func (l *listener) start() error {
	sk, err := l.bindSocket(l.addr, l.port)
	if err != nil {
		l.err = err
		return err
	}
	l.err = nil
	l.serve(sk)
	return nil
}

// bindSocket binds addr:port for the listener without serving it yet, so that
// a rebind can bind the new address while the old socket still serves
// (Apply).
func (l *listener) bindSocket(addr string, port int) (*socket, error) {
	hp := net.JoinHostPort(addr, strconv.Itoa(port))
	// No TCP keepalive on SMTP sessions: the session's own limits
	// (timeouts.go: idle_timeout, max_connection_time) end a client that
	// went silent, and Go's default (15 s keepalive) cost four setsockopt
	// calls on every accepted connection, 1% of the relay's CPU with
	// smtp-source's one connection per message (bench/relay.sh PROFILE=1).
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", hp)
	if err != nil {
		err = netbind.Reason(err)
	}
	if err != nil {
		return nil, fmt.Errorf("listener %s: cannot listen on %s: %w", l.name, hp, err)
	}
	sk := &socket{ln: ln, addr: addr, cfgPort: port, stopping: make(chan struct{}), accepted: make(chan struct{})}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		sk.port = ta.Port
	}
	return sk, nil
}

// serve makes sk the listener's socket and starts accepting on it;
// called with Server.mu held and no socket serving.
func (l *listener) serve(sk *socket) {
	l.sock = sk
	l.s.wg.Add(1)
	go func() {
		defer l.s.wg.Done()
		l.acceptLoop(sk)
	}()
}

// misplaced reports whether the listener serves on another address
// than its configured one (a rebind failed and the old one was kept).
func (l *listener) misplaced() bool {
	return l.sock != nil && (l.sock.addr != l.addr || l.sock.cfgPort != l.port)
}

// stop closes the socket; connections already accepted carry on. Called
// with Server.mu held. It returns a channel closed once the socket
// accepts no more connections (nil when there was no socket).
func (l *listener) stop() <-chan struct{} {
	sk := l.sock
	if sk == nil {
		return nil
	}
	l.sock = nil
	close(sk.stopping)
	sk.ln.Close()
	return sk.accepted
}

// acceptLoop accepts connections until the socket closes; each is served
// on a session goroutine (sessiongo.go), which the Server's wait group
// counts.
func (l *listener) acceptLoop(sk *socket) {
	defer close(sk.accepted)
	var delay time.Duration
	for {
		raw, err := sk.ln.Accept()
		if err != nil {
			select {
			case <-sk.stopping:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry,
			// as net/http does.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-sk.stopping:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		l.s.track(raw)
		l.s.runSession(func() { l.s.connect(l, raw) })
	}
}
