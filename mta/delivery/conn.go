package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/counters"
)

// maxAddrs bounds the addresses one attempt tries.
const maxAddrs = 10

// conn is an open outbound SMTP connection.
type conn struct {
	x      *Delivery
	dest   string
	dcid   int64
	host   string
	nc     net.Conn // the TCP connection (under TLS, if any)
	cl     *client
	msgs   int
	stop   func() bool
	closed bool
	lease  *lease // its slot under the destination's limits (nil: not limited)
}

// connFail is why no connection could be used, with the DCID of the last
// one tried (0 when none was made) for the Delayed/Bounced lines.
type connFail struct {
	*Failure
	dcid     int64
	fallback bool // opportunistic TLS failed: try again without TLS
}

// connect tries the route's hosts in order, their addresses sorted by
// ip_sort_pref, until one gives a usable SMTP session. Each host's TLS
// is use_tls's, or DANE's when the destination asks for it and the host
// publishes authentic TLSA records (dane.go).
func (w *worker) connect(ctx context.Context, j *job, rt *route) (*conn, *connFail) {
	dc := j.cfg.DestControls(j.dest)
	pref := dc.IPSortPref
	mat := w.x.mats.get(j.cfg)
	// An ordinary destination's connections take slots under its limits
	// (limits.go); an address whose slots are all taken is passed over,
	// and when that leaves none, the attempt waits for one.
	limited := j.sp == nil
	dl := limitsOf(dc)
	if limited {
		var all []netip.Addr
		for _, t := range rt.targets {
			all = append(all, sortAddrs(t.addrs, pref)...)
		}
		if w.x.lim.route(j.dest, dl, all) {
			w.x.poke()
		}
	}
	var last, tlsFailed *connFail
	tried := 0
	unreachable := true
	failed := map[netip.Addr]bool{}
	dane := map[string]*danePlan{} // each host's, looked up once
	for {
		full := false
	outer:
		for _, t := range rt.targets {
			if tried == maxAddrs || ctx.Err() != nil {
				break
			}
			// A host's DANE plan is made once, even when the attempt
			// comes back to it after waiting for a slot.
			dp, planned := dane[t.host]
			if !planned {
				var f *connFail
				if dp, f = w.planDANE(ctx, j, rt, t, dc.DANE); f != nil {
					last, tlsFailed, unreachable = f, f, false
				}
				dane[t.host] = dp
				if f != nil {
					for _, a := range t.addrs {
						failed[a] = true
					}
				}
			}
			for _, a := range sortAddrs(t.addrs, pref) {
				if tried == maxAddrs || ctx.Err() != nil {
					break outer
				}
				if failed[a] {
					continue
				}
				var ls lease
				var resv *winEntry
				if limited {
					var ok bool
					if ls, resv, ok = w.x.lim.place(j.dest, dl, a, len(j.rids)); !ok {
						full = true
						continue
					}
					// The scheduler says when a limit holds mail back.
					w.x.poke()
				}
				tried++
				c, f := w.open(ctx, j, t, a, &tlsSetup{mode: dc.UseTLS, dane: dp, mat: mat, now: w.x.d.Now}, ls.src)
				if c != nil {
					if limited {
						c.lease = &ls
						if j.resv == nil {
							j.resv = resv
						}
					}
					return c, nil
				}
				if limited {
					w.x.lim.settle(ls.key, resv, 0)
					w.x.lim.release(ls.key)
				}
				failed[a] = true
				last = f
				if f.Kind == FailTLS {
					tlsFailed = f
				}
				if f.Kind != FailConn {
					unreachable = false
				}
			}
		}
		if !full || tried == maxAddrs || ctx.Err() != nil || !w.x.lim.wait(ctx, j.dest, dl) {
			break
		}
	}
	if tlsFailed != nil && ctx.Err() == nil {
		w.x.tlsAlert(j, tlsFailed)
	}
	if last == nil {
		return nil, &connFail{Failure: &Failure{Kind: FailConn, Status: "4.4.4",
			Text: "no usable address for " + j.dest + " (ip_sort_pref " + pref + ")"}}
	}
	if unreachable {
		w.x.gauge(j.dest, func(h *counters.Host) { h.Down = true })
	}
	return nil, last
}

// open connects to one address and says hello, with STARTTLS as ts
// asks.
func (w *worker) open(ctx context.Context, j *job, t target, a netip.Addr, ts *tlsSetup, src netip.Addr) (*conn, *connFail) {
	x := w.x
	dcid := x.d.Queue.NextDCID()
	x.gauge(j.dest, func(h *counters.Host) { h.PendingConn++ })
	dctx, cancel := context.WithTimeout(ctx, x.t.Connect)
	nc, err := x.dial(dctx, src, netip.AddrPortFrom(a, uint16(t.port)).String())
	cancel()
	x.gauge(j.dest, func(h *counters.Host) { h.PendingConn-- })
	if err != nil {
		iface := sourceAddr(a, src)
		reason, detail := connDetail(err), dialDetail(err)
		if j.sp != nil {
			x.d.Log.Info("%s", j.sp.ConnError(dcid, a.String(), t.port, detail, iface, reason))
		} else {
			x.d.Log.Info("Connection Error: DCID %d domain: %s IP: %s port: %d details: %s interface: %s reason: %s",
				dcid, j.dest, a, t.port, detail, iface, reason)
		}
		return nil, &connFail{Failure: &Failure{Kind: FailConn, Status: "4.4.1", Text: reason, RemoteMTA: t.host}, dcid: dcid}
	}
	if j.sp != nil {
		x.d.Log.Info("%s", j.sp.NewConn(dcid, localIP(nc), a.String(), t.port))
	} else {
		x.d.Log.Info("New SMTP DCID %d interface %s address %s port %d", dcid, localIP(nc), a, t.port)
	}
	x.gauge(j.dest, func(h *counters.Host) { h.ConnOut++; h.Down = false })
	c := &conn{x: x, dest: j.dest, dcid: dcid, host: t.host, nc: nc}
	// The connection lives until Close abandons it; ctx, which may end
	// with the attempt's deadline, bounds only the greeting and hello.
	c.stop = context.AfterFunc(x.abandonCtx, func() { nc.Close() })
	helloCut := context.AfterFunc(ctx, func() { nc.Close() })
	f := c.hello(ctx, ts)
	if !helloCut() {
		// Cut short (or closed just after): whatever hello saw, the
		// cause is the deadline, not the server's TLS or reply.
		f = &connFail{Failure: &Failure{Kind: FailConn, Status: "4.4.2", Text: connDetail(ctx.Err()), RemoteMTA: t.host}, dcid: dcid}
	}
	if f != nil {
		c.close()
		if f.fallback && ctx.Err() == nil {
			return w.open(ctx, j, t, a, &tlsSetup{mode: tlsOff, now: ts.now}, src)
		}
		return nil, f
	}
	return c, nil
}

// hello reads the greeting and says EHLO; with use_tls on (or DANE) it
// then asks for STARTTLS (RFC 3207) and says EHLO again over TLS
// (section 4.2: what the server said before the handshake is forgotten).
func (c *conn) hello(ctx context.Context, ts *tlsSetup) *connFail {
	name := c.x.d.Hostname()
	fail := func(err error) *connFail {
		return &connFail{Failure: smtpFailure(err, c.host), dcid: c.dcid}
	}
	c.cl = newClient(c.nc, c.x.t.Command, c.x.t.Data)
	if err := c.cl.greet(); err != nil {
		return fail(err)
	}
	if err := c.cl.hello(name); err != nil {
		return fail(err)
	}
	if ts.dane == nil && (ts.mode == "" || ts.mode == tlsOff) {
		return nil
	}
	required := ts.required()
	offered := c.cl.has("STARTTLS")
	if offered {
		if _, err := c.cl.cmd(220, "STARTTLS"); err != nil {
			if se := (*smtp.SMTPError)(nil); !errors.As(err, &se) {
				return fail(err)
			}
			offered = false
		}
	}
	if !offered {
		c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = "none" })
		if required {
			c.x.d.Log.Info("DCID %d IP %s TLS was required but could not be successfully negotiated", c.dcid, remoteIP(c.nc))
			c.daneOutcome(ts, "failed: STARTTLS not offered by "+c.host)
			return c.tlsFail("TLS was required but the remote host did not offer STARTTLS", false)
		}
		// The session goes on in plaintext (RFC 3207 section 4.1).
		return nil
	}
	if c.cl.br.Buffered() > 0 {
		return fail(errors.New("data received before the TLS handshake"))
	}
	tc := tls.Client(c.nc, ts.config(c.host))
	hctx, cancel := context.WithTimeout(ctx, c.x.t.Command)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		c.x.d.Log.Info("DCID %d TLS failed: %v", c.dcid, err)
		c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = "failed" })
		if required {
			c.x.d.Log.Info("DCID %d IP %s TLS was required but could not be successfully negotiated", c.dcid, remoteIP(c.nc))
		}
		c.daneOutcome(ts, "failed: "+err.Error())
		return c.tlsFail("TLS negotiation failed: "+err.Error(), !required)
	}
	st := tc.ConnectionState()
	proto := tlsVersion(st.Version)
	c.x.d.Log.Info("DCID %d TLS success protocol %s cipher %s", c.dcid, proto, tls.CipherSuiteName(st.CipherSuite))
	last := "success " + proto
	danePassed := ts.dane != nil && !ts.dane.tlsOnly
	switch {
	case danePassed:
		c.x.d.Log.Info("DCID %d DANE success for %s: %s", c.dcid, c.host, ts.verified)
		c.daneOutcome(ts, "success "+c.host+" ("+ts.verified+")")
	case ts.dane != nil:
		// Authentic TLSA records, none usable: TLS without DANE's
		// authentication (RFC 7672 section 2.2).
		c.daneOutcome(ts, "success "+c.host+" (TLS required, no usable TLSA record to authenticate)")
	}
	switch {
	case danePassed:
		last += " (DANE)"
	case ts.verifyErr != nil:
		// on_verify: the session is encrypted but not authenticated.
		c.x.d.Log.Info("DCID %d TLS certificate not verified: %v", c.dcid, ts.verifyErr)
		last += " (not verified)"
	case ts.verified != "":
		last += " (verified)"
	}
	c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = last })
	c.cl = newClient(tc, c.x.t.Command, c.x.t.Data)
	if err := c.cl.hello(name); err != nil {
		return fail(err)
	}
	return nil
}

// daneOutcome records the DANE result of a connection for hoststatus.
func (c *conn) daneOutcome(ts *tlsSetup, s string) {
	if ts.dane != nil {
		c.x.gauge(c.dest, func(h *counters.Host) { h.LastDANE = s })
	}
}

func (c *conn) tlsFail(text string, fallback bool) *connFail {
	return &connFail{Failure: &Failure{Kind: FailTLS, Status: "4.7.0", Text: text, RemoteMTA: c.host}, dcid: c.dcid, fallback: fallback}
}

// protoErr turns a textproto reply error into the *smtp.SMTPError go-smtp
// would have made, enhanced code (RFC 2034) split off.
func protoErr(err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return err
	}
	se := &smtp.SMTPError{Code: te.Code, Message: te.Msg}
	if code, rest, ok := strings.Cut(te.Msg, " "); ok {
		parts := strings.Split(code, ".")
		if len(parts) == 3 {
			var ec smtp.EnhancedCode
			good := true
			for i, p := range parts {
				n, err := strconv.Atoi(p)
				good = good && err == nil
				ec[i] = n
			}
			if good {
				se.EnhancedCode = ec
				se.Message = strings.ReplaceAll(rest, "\n"+code+" ", "\n")
			}
		}
	}
	return se
}

// transact sends one message: MAIL, a RCPT per recipient of ob (the
// job's envelope in canonical text, address.go), DATA, the body. It
// reports each recipient's outcome, the reply to the final dot, and
// whether the connection can carry another message.
func (c *conn) transact(j *job, ob outbound, body []byte) ([]outcome, string, bool) {
	m := j.m
	rids := ob.rids
	if j.sp != nil {
		c.x.d.Log.Info("%s", j.sp.DeliveryStart(c.dcid, m))
	} else {
		c.x.d.Log.Info("Delivery start DCID %d MID %d to RID [%s]", c.dcid, m.MID, ridList(rids))
	}
	var outs []outcome
	failAll := func(rids []int, f *Failure) {
		for _, rid := range rids {
			outs = append(outs, outcome{rid: rid, f: f})
		}
	}
	e := c.envelope(ob.from, ob.rcpts, len(body))
	var acc []int
	for i, err := range e.rcpt {
		if err == nil {
			acc = append(acc, rids[i])
		}
	}
	if e.dead != nil {
		// The session broke: recipients the server refused keep its
		// reply, the others get the broken session.
		f := smtpFailure(e.dead, c.host)
		for i, rid := range rids {
			if i < len(e.rcpt) && e.rcpt[i] != nil && e.mail == nil {
				outs = append(outs, outcome{rid: rid, f: smtpFailure(e.rcpt[i], c.host)})
			} else {
				outs = append(outs, outcome{rid: rid, f: f})
			}
		}
		return outs, "", false
	}
	if e.mail != nil {
		failAll(rids, smtpFailure(e.mail, c.host))
		return outs, "", alive(e.mail) && c.reset()
	}
	for i, err := range e.rcpt {
		if err == nil {
			continue
		}
		f := smtpFailure(err, c.host)
		if !alive(err) {
			// The server is closing: nothing in this transaction went.
			for k := range i {
				if e.rcpt[k] == nil {
					outs = append(outs, outcome{rid: rids[k], f: f})
				}
			}
			failAll(rids[i:], f)
			return outs, "", false
		}
		outs = append(outs, outcome{rid: rids[i], f: f})
	}
	if len(acc) == 0 {
		return outs, "", c.reset()
	}
	if e.data != nil {
		failAll(acc, smtpFailure(e.data, c.host))
		return outs, "", alive(e.data) && c.reset()
	}
	cl := c.cl
	cl.deadline(c.x.t.Data)
	cl.writeBody(body)
	if err := cl.flush(); err != nil {
		failAll(acc, smtpFailure(err, c.host))
		return outs, "", false
	}
	resp, err := cl.reply(2)
	if err != nil {
		failAll(acc, smtpFailure(err, c.host))
		return outs, "", alive(err)
	}
	for _, rid := range acc {
		outs = append(outs, outcome{rid: rid})
	}
	return outs, resp, true
}

// envelope is the replies to one transaction's MAIL, RCPTs and DATA.
type envelope struct {
	mail error   // MAIL's reply, nil when accepted
	rcpt []error // each RCPT's, nil when accepted; shorter than the recipients when they were not all sent
	data error   // DATA's when not 354 (nil: the body can follow)
	dead error   // an I/O or protocol error: the session is unusable
}

// envelope sends MAIL, the RCPTs and DATA. To a server that offers
// PIPELINING (RFC 2920) they go in one write and every reply is read
// after (section 3.1); otherwise each waits for its reply, and the
// commands stop at a refused MAIL, a 421, or before DATA when no
// recipient was accepted. Either way, when DATA was answered 354 the body
// must follow, unless no recipient went: then the final dot alone is
// sent, so that the session stays in step.
func (c *conn) envelope(from string, rcpts []string, size int) envelope {
	cl := c.cl
	var e envelope
	pipe := cl.has("PIPELINING")
	cl.deadline(c.x.t.Command)
	// read reads one reply within its own timeout (RFC 5321 section
	// 4.5.3.2 times each command, pipelined or not); an error that is
	// not a reply ends the session.
	read := func(expect int, within time.Duration) (error, bool) {
		if !pipe {
			if err := cl.flush(); err != nil {
				e.dead = err
				return nil, false
			}
		}
		cl.deadline(within)
		_, err := cl.reply(expect)
		if err != nil && !isReply(err) {
			e.dead = err
			return nil, false
		}
		return err, true
	}
	cl.send("%s", cl.mailCmd(from, size))
	if !pipe {
		var ok bool
		if e.mail, ok = read(2, c.x.t.Command); !ok || e.mail != nil {
			return e
		}
	}
	accepted := false
	for _, to := range rcpts {
		cl.send("RCPT TO:<%s>", to)
		if pipe {
			continue
		}
		err, ok := read(2, c.x.t.Command)
		if !ok {
			return e
		}
		e.rcpt = append(e.rcpt, err)
		accepted = accepted || err == nil
		if err != nil && !alive(err) {
			return e
		}
	}
	if !pipe && !accepted {
		return e
	}
	cl.send("DATA")
	if pipe {
		if err := cl.flush(); err != nil {
			e.dead = err
			return e
		}
		// The server may take each command's time before it answers
		// the first of the group.
		var ok bool
		if e.mail, ok = read(2, c.x.t.Command*time.Duration(len(rcpts)+2)); !ok {
			return e
		}
		for range rcpts {
			err, ok := read(2, c.x.t.Command)
			if !ok {
				return e
			}
			e.rcpt = append(e.rcpt, err)
			accepted = accepted || err == nil
		}
	}
	var ok bool
	if e.data, ok = read(354, c.x.t.Command); !ok {
		return e
	}
	if e.data == nil && (e.mail != nil || !accepted) {
		// A server that said 354 with nothing to deliver to: end the
		// empty message (RFC 2920 section 3.1), it will refuse it.
		cl.send(".")
		if err := cl.flush(); err != nil {
			e.dead = err
			return e
		}
		if _, ok := read(2, c.x.t.Data); !ok {
			return e
		}
		e.data = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no valid recipients"}
	}
	return e
}

// isReply reports whether err is a server reply (not an I/O error).
func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// alive reports whether the session survives an error: an SMTP reply
// other than 421 (RFC 5321 section 3.8: the server is closing).
func alive(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code != 421
}

func (c *conn) reset() bool {
	_, err := c.cl.cmd(2, "RSET")
	return err == nil
}

// alive checks with NOOP that the server still holds the session.
func (c *conn) alive() bool {
	_, err := c.cl.cmd(2, "NOOP")
	return err == nil
}

// quit ends the session politely, then closes.
func (c *conn) quit() {
	if c.cl != nil && !c.closed {
		c.cl.quit(min(c.x.t.Command, 30*time.Second))
	}
	c.close()
}

func (c *conn) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.stop()
	c.nc.Close()
	if c.lease != nil {
		c.x.lim.release(c.lease.key)
	}
	c.x.d.Log.Info("DCID %d close", c.dcid)
	c.x.gauge(c.dest, func(h *counters.Host) { h.ConnOut-- })
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}

func localIP(nc net.Conn) string {
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	h, _, _ := net.SplitHostPort(nc.LocalAddr().String())
	return h
}

func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	h, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	return h
}

// connDetail names a network error as an operator would.
func connDetail(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "connection timed out"
	case errors.Is(err, context.Canceled):
		return "delivery abandoned at shutdown"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by remote host"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	return err.Error()
}
