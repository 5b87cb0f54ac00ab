// Package sshd serves the admin shell over SSH (SPEC 1, 7): `ssh
// admin@host` is the interactive shell, `ssh admin@host 'CMD ; commit'`
// runs one-shot commands and exits with their status, and `ssh
// admin@host < file` (a shell request without a pty) runs a batch file.
// Users authenticate with their password or one of their SSH keys from
// the running configuration.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/netbind"
	"seg/store"
)

// Shell is what the server needs from a shell session (*shell.Session).
type Shell interface {
	RunTerminal(in io.ReadCloser, out io.Writer) error
	RunOneShot(line string) error
	RunBatch(name string, r io.Reader) error
}

// Resizer is implemented by sessions that follow the window size.
type Resizer interface {
	Resize(width, height int)
}

// RebindInterval is how often an address that could not be bound is
// tried again.
const RebindInterval = 5 * time.Second

// Server is the SSH server. Set the exported fields, then Run.
type Server struct {
	Store   store.Store
	HostKey ssh.Signer
	// Open starts a shell session for an authenticated user; its output
	// goes to stdout and stderr.
	Open func(user, source string, stdout, stderr io.Writer) (Shell, error)
	// Printed reports whether a Run error was already shown to the user;
	// others are written to stderr. May be nil.
	Printed func(err error) bool
	// AuthFailed records a failed login (cli_logs). May be nil.
	AuthFailed func(user, source, reason string)
	// Logf reports server problems (bind failures). May be nil.
	Logf func(format string, args ...any)
	// Now is the lockout clock (default time.Now).
	Now func() time.Time
	// Lockouts keeps failed logins across restarts (nil: in memory
	// only, lost when the process ends).
	Lockouts LockoutStore
	// LockTime is how long MaxFailures failed logins lock an account
	// (0: LockTime, SPEC 7's five minutes).
	LockTime time.Duration

	initOnce sync.Once
	locks    lockout
	config   *ssh.ServerConfig

	mu      sync.Mutex
	ln      net.Listener
	addr    string // what ln is bound to, as configured
	want    string // the address of the running configuration
	bindErr error  // why want is not bound; nil when it is
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	ready   chan struct{} // closed once the first bind was tried
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.Now == nil {
			s.Now = time.Now
		}
		lockTime := s.LockTime
		if lockTime <= 0 {
			lockTime = LockTime
		}
		s.locks = lockout{now: s.Now, lockTime: lockTime, persist: s.Lockouts, logf: s.logf}
		s.locks.load()
		s.config = &ssh.ServerConfig{
			PasswordCallback:  s.passwordCallback,
			PublicKeyCallback: s.publicKeyCallback,
			MaxAuthTries:      MaxFailures + 1,
			ServerVersion:     "SSH-2.0-seg",
		}
		s.config.AddHostKey(s.HostKey)
		s.conns = map[net.Conn]struct{}{}
		s.ready = make(chan struct{})
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Addr returns the address the server listens on, or nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Endpoint reports the address of the running configuration, the
// address really bound ("" when none) and why the first is not bound
// (nil when it is).
func (s *Server) Endpoint() (configured, listening string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		listening = s.ln.Addr().String()
	}
	return s.want, listening, s.bindErr
}

// Ready is closed once the server has tried its first bind.
func (s *Server) Ready() <-chan struct{} {
	s.init()
	return s.ready
}

// Run serves SSH on the address of the running configuration and follows
// it: when sshconfig changes, the server moves to the new address
// (sessions in flight stay). A new address that cannot be bound is
// reported and the old one kept. Run returns when ctx ends, after closing
// every connection; its error is only for a store that cannot be read.
func (s *Server) Run(ctx context.Context) error {
	s.init()
	watch, stop := s.Store.Watch()
	defer stop()
	snap, err := s.Store.Current()
	if err != nil {
		close(s.ready)
		return err
	}
	// A first bind that fails (the port is taken) is reported and the
	// server waits for a configuration it can bind: the appliance stays
	// reachable through the control socket to fix sshconfig.
	if err := s.bind(snap.Config.SSH); err != nil {
		s.logf("SSH: %v", err)
	}
	close(s.ready)
	// A port that could not be bound (at start, or taken between the
	// commit check and the move) is tried again until it comes free.
	retry := time.NewTicker(RebindInterval)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-retry.C:
			s.mu.Lock()
			failed := s.bindErr != nil
			s.mu.Unlock()
			if !failed {
				continue
			}
			if cur, err := s.Store.Current(); err == nil && s.bind(cur.Config.SSH) == nil {
				s.logf("SSH: now listening on %s", s.Addr())
			}
		case snap, ok := <-watch:
			if !ok {
				s.shutdown()
				return nil
			}
			if err := s.bind(snap.Config.SSH); err != nil {
				if a := s.Addr(); a != nil {
					s.logf("SSH: %v; still listening on %s", err, a)
				} else {
					s.logf("SSH: %v", err)
				}
			}
		}
	}
}

// bind moves the listener to cfg's address when it changed. The new
// address is bound before the old one closes, so that a failure keeps
// the server reachable where it was; only when the old socket itself
// holds the port (127.0.0.1:22 to 0.0.0.0:22) is it closed first, and
// reopened if the new bind still fails.
func (s *Server) bind(cfg store.SSHConfig) error {
	addr := net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))
	s.mu.Lock()
	s.want = addr
	old, oldAddr := s.ln, s.addr
	same := old != nil && oldAddr == addr
	if same {
		s.bindErr = nil
	}
	s.mu.Unlock()
	if same {
		return nil
	}
	closed := false
	ln, back, err := netbind.Replace(old, oldAddr, addr, func() {
		s.mu.Lock()
		s.ln = nil
		s.mu.Unlock()
		old.Close()
		closed = true
	})
	switch {
	case back != nil:
		s.mu.Lock()
		s.ln = back
		s.mu.Unlock()
		go s.accept(back)
	case closed && err != nil:
		s.mu.Lock()
		s.addr = ""
		s.mu.Unlock()
	}
	if closed {
		old = nil
	}
	if err != nil {
		err = fmt.Errorf("cannot listen on %s: %w", addr, err)
		s.mu.Lock()
		s.bindErr = err
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	s.ln, s.addr, s.bindErr = ln, addr, nil
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	go s.accept(ln)
	return nil
}

func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed by bind or shutdown
		}
		s.mu.Lock()
		if s.ln == nil {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// shutdown closes the listener and every connection and waits for the
// sessions to end.
func (s *Server) shutdown() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serveConn runs the SSH handshake and the connection's channels.
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	// A peer gets 30 s to authenticate, then the deadline is lifted for
	// the session.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.config)
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	user := conn.Permissions.Extensions[permUser]
	src := "ssh " + conn.RemoteAddr().String()
	var wg sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(user, src, ch, chReqs)
		}()
	}
	wg.Wait()
}
