package smtpd

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"strings"
	"time"

	"seg/store"
)

// connInfo is what a connection decided at connect. The session reads it;
// only the connection's own goroutine changes msgs.
type connInfo struct {
	icid     int64
	cfg      *store.Config   // the snapshot taken at connect
	lc       *store.Listener // in cfg
	ip       netip.Addr
	rdns     string
	dec      decision
	hostname string
	maxSize  int64 // max_message_size; 0: none
	msgs     int64 // messages queued on this connection
	tls      *tlsConfigs
	dkim     dkimKeys // the snapshot's DKIM signing keys
}

// connect admits one accepted connection (SPEC 4.1): it logs it, checks
// the listener's connection limit, matches the HAT, and then refuses it,
// rejects it, or writes the banner and serves the session (conn.go),
// all on the connection's own goroutine.
func (s *Server) connect(l *listener, raw net.Conn) {
	accepted := time.Now()
	b := l.cur.Load()
	lc := b.lc
	icid := s.d.Queue.NextICID()
	ip := addrIP(raw.RemoteAddr())
	local := addrIP(raw.LocalAddr())
	lim := b.lim
	idle := seconds(lim.IdleTimeout)
	reserved := lim.Reserved(lc.MaxConcurrency)

	sl := l.open(ip)
	s.d.Counters.ConnIn(lc.Name, 1)
	var c *conn // once serving
	finish := func() {
		raw.Close()
		if c != nil {
			l.detach(sl, c)
		} else {
			l.release(sl)
		}
		s.d.Counters.ConnIn(lc.Name, -1)
		s.d.Log.Info("ICID %d close", icid)
		s.untrack(raw)
	}

	// One deadline for every lookup before the banner (hatdns.go).
	ctx, cancel := context.WithTimeout(context.Background(), dnsBudget)
	defer cancel()
	hd := s.hostDNS(ctx, b.cfg, ip)
	rdns, verified := hd.reverse()
	shown, ver := "unknown", "no"
	if rdns != "" {
		shown = logSafe(rdns)
	}
	if verified {
		ver = "yes"
	}
	s.d.Log.Info("New SMTP ICID %d interface %s (%s) address %s reverse dns host %s verified %s",
		icid, interfaceName(b.cfg, lc, local), local, ip, shown, ver)

	// Under pressure, idle sessions make room first (slots.go); then a
	// listener with no slot left at all refuses before the HAT.
	l.relieve(s.d.Now(), lc.MaxConcurrency, seconds(lim.PressureIdle))
	if l.full(lc.MaxConcurrency, 0, true) {
		s.refuseListener(raw, icid, idle)
		finish()
		return
	}
	if s.overGlobalLimit(b.cfg.ListenerSetup.MaxConcurrency) {
		s.refuseGlobal(raw, icid, idle)
		finish()
		return
	}

	dec := b.hat.match(ip, hd)
	if b.hat.hat.Policy(dec.Policy) == nil && dec.Policy != "" {
		s.d.Log.Warning("ICID %d sender group %s names mail flow policy %s, which does not exist: rejecting", icid, dec.Group, dec.Policy)
	}
	s.d.Log.Info("ICID %d %s SG %s match %s SBRS %s", icid, dec.Behavior, logGroup(dec.Group), dec.Member, hd.sbrsText(dec.Flow))
	cancel()

	hostname := lc.Hostname
	if hostname == "" {
		hostname = b.cfg.System.Hostname
	}
	if hostname == "" {
		hostname = store.DefaultHostname
	}

	switch dec.Behavior {
	case store.BehaviorTCPRefuse:
		// No banner; an RST rather than a FIN where the OS allows, so the
		// client sees a refused connection (SPEC 4.1).
		if tc, ok := raw.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		finish()
		return
	case store.BehaviorAccept, store.BehaviorRelay:
	default:
		// REJECT, or a behaviour seg does not know (refused rather than
		// guessed). A rejected client holds a slot while it is told so,
		// so it may not take a reserved one.
		if dec.Behavior != store.BehaviorReject {
			s.d.Log.Warning("ICID %d mail flow policy %s has unknown behavior %q: rejecting", icid, dec.Policy, dec.Behavior)
		}
		if l.full(lc.MaxConcurrency, reserved, false) {
			s.refuseListener(raw, icid, idle)
			finish()
			return
		}
		s.rejectSession(raw, rejectGreeting(dec.Flow, hostname, ip, rdns), lim)
		finish()
		return
	}

	trusted := dec.Behavior == store.BehaviorRelay
	switch l.admit(sl, lc.MaxConcurrency, reserved, trusted, dec.Flow.MaxConcurrency) {
	case refuseListener:
		s.refuseListener(raw, icid, idle)
		finish()
		return
	case refuseIP:
		s.sayAndClose(raw, "421 4.7.0 Too many concurrent connections from your address, try again later\r\n", idle)
		s.d.Log.Info("ICID %d Receiving Failed: Connection limit exceeded", icid)
		finish()
		return
	}

	info := &connInfo{icid: icid, cfg: b.cfg, lc: lc, ip: ip, rdns: rdns, dec: dec, hostname: hostname, tls: b.tls, dkim: b.dkim}
	if n := dec.Flow.MaxMessageSize; n > 0 {
		info.maxSize = n
	}
	raw.SetWriteDeadline(time.Now().Add(idle))
	if _, err := raw.Write([]byte(greeting(dec.Flow, hostname, ip, rdns))); err != nil {
		finish()
		return
	}
	c = s.newConn(raw, lim, info, finish)
	c.t.start = accepted // max_connection_time counts from the accept
	l.attach(sl, c)
	c.serve()
}

// refuseListener answers a client the listener has no slot for.
func (s *Server) refuseListener(raw net.Conn, icid int64, idle time.Duration) {
	s.sayAndClose(raw, "421 4.3.2 Too many connections to this listener, try again later\r\n", idle)
	s.d.Log.Info("ICID %d Receiving Failed: Connection limit exceeded", icid)
}

// sayAndClose writes one reply and lets the connection go.
func (s *Server) sayAndClose(raw net.Conn, reply string, idle time.Duration) {
	raw.SetWriteDeadline(time.Now().Add(idle))
	raw.Write([]byte(reply))
}

// rejectSession serves a REJECT policy (SPEC 4.1): the reject banner,
// then every command but QUIT refused. RFC 5321 section 3.1: a server
// that greets with 554 must wait for QUIT and should answer other
// commands with 503. A client that will not stop is cut off after
// badCommandLimit commands, like one sending unknown commands, and the
// listener's idle_timeout and max_connection_time apply as to sessions.
func (s *Server) rejectSession(raw net.Conn, banner string, lim store.ConnLimits) {
	idle := seconds(lim.IdleTimeout)
	end := time.Now().Add(seconds(lim.MaxConnectionTime))
	raw.SetWriteDeadline(time.Now().Add(idle))
	if _, err := raw.Write([]byte(banner)); err != nil {
		return
	}
	br := bufio.NewReader(raw)
	for refused := 0; ; {
		raw.SetDeadline(earliest(time.Now().Add(idle), end))
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				raw.Write([]byte("500 5.5.2 Line too long, closing connection\r\n"))
			}
			return
		}
		if verb, _ := parseCommand(strings.TrimRight(string(line), "\r\n")); verb == "QUIT" {
			raw.Write([]byte("221 2.0.0 Bye\r\n"))
			return
		}
		refused++
		if refused >= badCommandLimit {
			raw.Write([]byte("503 5.5.1 Bad sequence of commands\r\n421 Exceeded bad SMTP command limit, disconnecting.\r\n"))
			return
		}
		if _, err := raw.Write([]byte("503 5.5.1 Bad sequence of commands\r\n")); err != nil {
			return
		}
	}
}

// addrIP is the IP of a connection's address; the zero Addr when it has
// none (then only ALL matches it).
// interfaceName is the "interface NAME (IP)" of the New SMTP ICID line:
// the name of the IP interface (interfaceconfig) whose address the
// connection arrived on, as AsyncOS writes it ("interface Management
// (10.1.1.1)"; Elastic's pattern for the line needs it). A listener
// bound to an address no interface names (or to a wildcard address,
// reached on one) has no interface name to show; the line then names the
// listener, as seg did before it modelled interfaces, so that the
// connection can still be told apart: interfaceconfig new NAME --address
// IP names the address.
func interfaceName(cfg *store.Config, lc *store.Listener, local netip.Addr) string {
	if in := cfg.InterfaceAt(local); in != nil {
		return in.Name
	}
	return lc.Name
}

func addrIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
