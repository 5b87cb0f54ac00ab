// Package metricsd serves the Prometheus endpoint (SPEC 13) on the
// address of the running configuration (metricsconfig) and follows
// commits as the SSH server does: a new address is bound before the old
// one closes, "off" closes it, and an address that cannot be bound is
// reported, the old one kept and the new one tried again every
// RebindInterval. The commit check (cmd/seg bindcheck.go) refuses most
// such commits before they get here.
package metricsd

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"seg/internal/netbind"
	"seg/store"
)

// RebindInterval is how often an address that could not be bound is
// tried again.
const RebindInterval = 5 * time.Second

// Server serves Handler on the configured metrics address. Set the
// exported fields, then Run.
type Server struct {
	Store   store.Store
	Handler http.Handler
	// Logf reports bind failures and recoveries. May be nil.
	Logf func(format string, args ...any)

	initOnce sync.Once
	ready    chan struct{}

	mu      sync.Mutex
	ln      net.Listener
	srv     *http.Server // serving ln
	addr    string       // what ln is bound to, as configured
	want    string       // the running configuration's address; "": off
	bindErr error        // why want is not bound
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.ready = make(chan struct{})
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Ready is closed once the first bind was tried.
func (s *Server) Ready() <-chan struct{} {
	s.init()
	return s.ready
}

// Endpoint reports the configured address ("" when off), the address
// really bound ("" when none) and why the first is not bound.
func (s *Server) Endpoint() (configured, listening string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.want, s.addr, s.bindErr
}

// Run serves until ctx ends; its error is only for a store that cannot
// be read.
func (s *Server) Run(ctx context.Context) error {
	s.init()
	watch, stop := s.Store.Watch()
	defer stop()
	snap, err := s.Store.Current()
	if err != nil {
		close(s.ready)
		return err
	}
	if err := s.bind(snap.Config.Metrics.Address); err != nil {
		s.logf("metrics: %v", err)
	}
	close(s.ready)
	retry := time.NewTicker(RebindInterval)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-retry.C:
			s.mu.Lock()
			failed, want := s.bindErr != nil, s.want
			s.mu.Unlock()
			if failed && s.bind(want) == nil {
				s.logf("metrics: now listening on %s", want)
			}
		case snap, ok := <-watch:
			if !ok {
				s.shutdown()
				return nil
			}
			if err := s.bind(snap.Config.Metrics.Address); err != nil {
				if _, l, _ := s.Endpoint(); l != "" {
					s.logf("metrics: %v; still listening on %s", err, l)
				} else {
					s.logf("metrics: %v", err)
				}
			}
		}
	}
}

// bind moves the endpoint to addr ("" closes it). The new address is
// bound before the old one closes, unless the old socket itself holds
// the port (127.0.0.1:9325 to 0.0.0.0:9325): then it is closed first and
// reopened if the new bind still fails.
func (s *Server) bind(addr string) error {
	s.mu.Lock()
	s.want = addr
	old, oldSrv, oldAddr := s.ln, s.srv, s.addr
	if old != nil && oldAddr == addr {
		s.bindErr = nil
		s.mu.Unlock()
		return nil
	}
	if addr == "" {
		s.ln, s.srv, s.addr, s.bindErr = nil, nil, "", nil
		s.mu.Unlock()
		stop(oldSrv)
		return nil
	}
	s.mu.Unlock()
	ln, back, err := netbind.Replace(old, oldAddr, addr, func() {
		s.mu.Lock()
		s.ln, s.srv, s.addr = nil, nil, ""
		s.mu.Unlock()
		stop(oldSrv)
		oldSrv = nil
	})
	if back != nil {
		s.serve(back, oldAddr)
	}
	if err != nil {
		err = fmt.Errorf("cannot listen on %s: %w", addr, err)
		s.mu.Lock()
		s.bindErr = err
		s.mu.Unlock()
		return err
	}
	s.serve(ln, addr)
	s.mu.Lock()
	s.bindErr = nil
	s.mu.Unlock()
	stop(oldSrv)
	return nil
}

// serve starts an HTTP server of its own on ln, so that a move or off
// ends the old address's keep-alive connections too.
func (s *Server) serve(ln net.Listener, addr string) {
	srv := &http.Server{
		Handler: s.Handler,
		// A scraper that stalls holds one goroutine for a bounded time.
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.mu.Lock()
	s.ln, s.srv, s.addr = ln, srv, addr
	s.mu.Unlock()
	go srv.Serve(ln) // returns when stopped
}

// stopGrace is how long a scrape in flight may finish when its address
// is given up.
const stopGrace = 5 * time.Second

// stop closes srv's listener and idle connections at once, and the
// others once their scrape is answered (or after stopGrace).
func stop(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}

func (s *Server) shutdown() {
	s.mu.Lock()
	srv := s.srv
	s.ln, s.srv = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}
