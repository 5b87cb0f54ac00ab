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
	cl     *smtp.Client
	msgs   int
	stop   func() bool
	closed bool
}

// connFail is why no connection could be used, with the DCID of the last
// one tried (0 when none was made) for the Delayed/Bounced lines.
type connFail struct {
	*Failure
	dcid     int64
	fallback bool // opportunistic TLS failed: try again without TLS
}

// connect tries the route's hosts in order, their addresses sorted by
// ip_sort_pref, until one gives a usable SMTP session.
func (w *worker) connect(ctx context.Context, j *job, rt *route) (*conn, *connFail) {
	p := j.cfg.DestParams(j.dest)
	mode, pref := p.Str("use_tls"), p.Str("ip_sort_pref")
	var last *connFail
	tried := 0
	unreachable := true
outer:
	for _, t := range rt.targets {
		for _, a := range sortAddrs(t.addrs, pref) {
			if tried == maxAddrs || ctx.Err() != nil {
				break outer
			}
			tried++
			c, f := w.open(ctx, j, t, a, mode)
			if c != nil {
				return c, nil
			}
			last = f
			if f.Kind != FailConn {
				unreachable = false
			}
		}
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

// open connects to one address and says hello, with STARTTLS as use_tls
// asks.
func (w *worker) open(ctx context.Context, j *job, t target, a netip.Addr, mode string) (*conn, *connFail) {
	x := w.x
	dcid := x.d.Queue.NextDCID()
	x.gauge(j.dest, func(h *counters.Host) { h.PendingConn++ })
	dctx, cancel := context.WithTimeout(ctx, x.t.Connect)
	nc, err := x.d.Dial(dctx, "tcp", netip.AddrPortFrom(a, uint16(t.port)).String())
	cancel()
	x.gauge(j.dest, func(h *counters.Host) { h.PendingConn-- })
	if err != nil {
		iface := "0.0.0.0"
		if a.Is6() {
			iface = "::"
		}
		reason := connDetail(err)
		if j.sp != nil {
			x.d.Log.Info("%s", j.sp.ConnError(dcid, a.String(), t.port, err.Error(), iface, reason))
		} else {
			x.d.Log.Info("Connection Error: DCID %d domain: %s IP: %s port: %d details: %s interface: %s reason: %s",
				dcid, j.dest, a, t.port, err, iface, reason)
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
	f := c.hello(ctx, mode)
	if !helloCut() {
		// Cut short (or closed just after): whatever hello saw, the
		// cause is the deadline, not the server's TLS or reply.
		f = &connFail{Failure: &Failure{Kind: FailConn, Status: "4.4.2", Text: connDetail(ctx.Err()), RemoteMTA: t.host}, dcid: dcid}
	}
	if f != nil {
		c.close()
		if f.fallback && ctx.Err() == nil {
			return w.open(ctx, j, t, a, "off")
		}
		return nil, f
	}
	return c, nil
}

func (c *conn) client(nc net.Conn) *smtp.Client {
	cl := smtp.NewClient(nc)
	cl.CommandTimeout = c.x.t.Command
	cl.SubmissionTimeout = c.x.t.Data
	return cl
}

// hello reads the greeting and says EHLO; with use_tls on it first asks
// for STARTTLS (RFC 3207). go-smtp's client cannot say EHLO with our name
// before STARTTLS, so the plaintext part is done here, and the client
// takes over the session after it.
func (c *conn) hello(ctx context.Context, mode string) *connFail {
	name := c.x.d.Hostname()
	fail := func(err error) *connFail {
		return &connFail{Failure: smtpFailure(err, c.host), dcid: c.dcid}
	}
	plain := func(r io.Reader) *connFail {
		c.cl = c.client(greeted(c.nc, r))
		if err := c.cl.Hello(name); err != nil {
			return fail(err)
		}
		return nil
	}
	if mode == "" || mode == "off" {
		c.cl = c.client(c.nc)
		if err := c.cl.Hello(name); err != nil {
			return fail(err)
		}
		return nil
	}
	required := mode == "required" || mode == "require_verify"
	c.nc.SetDeadline(time.Now().Add(c.x.t.Command))
	defer c.nc.SetDeadline(time.Time{})
	tp := textproto.NewConn(c.nc)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fail(protoErr(err))
	}
	_, msg, err := cmd(tp, 250, "EHLO %s", name)
	offered := false
	if err == nil {
		for _, l := range strings.Split(msg, "\n")[1:] {
			if strings.EqualFold(strings.TrimSpace(l), "STARTTLS") {
				offered = true
			}
		}
	} else if se := (*smtp.SMTPError)(nil); !errors.As(protoErr(err), &se) {
		return fail(err)
	}
	if offered {
		_, _, err = cmd(tp, 220, "STARTTLS")
		if err != nil {
			if se := (*smtp.SMTPError)(nil); !errors.As(protoErr(err), &se) {
				return fail(err)
			}
			offered = false
		}
	}
	if !offered {
		c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = "none" })
		if required {
			c.x.d.Log.Info("DCID %d IP %s TLS was required but could not be successfully negotiated", c.dcid, remoteIP(c.nc))
			return c.tlsFail("TLS was required but the remote host did not offer STARTTLS", false)
		}
		// The session goes on in plaintext (RFC 3207 section 4.1).
		return plain(tp.R)
	}
	if tp.R.Buffered() > 0 {
		return fail(errors.New("data received before the TLS handshake"))
	}
	verify := mode == "on_verify" || mode == "require_verify"
	cfg := &tls.Config{InsecureSkipVerify: !verify, MinVersion: tls.VersionTLS12}
	if _, err := netip.ParseAddr(c.host); err != nil {
		cfg.ServerName = c.host
	}
	tc := tls.Client(c.nc, cfg)
	hctx, cancel := context.WithTimeout(ctx, c.x.t.Command)
	err = tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		c.x.d.Log.Info("DCID %d TLS failed: %v", c.dcid, err)
		c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = "failed" })
		return c.tlsFail("TLS negotiation failed: "+err.Error(), !required)
	}
	st := tc.ConnectionState()
	proto := tlsVersion(st.Version)
	c.x.d.Log.Info("DCID %d TLS success protocol %s cipher %s", c.dcid, proto, tls.CipherSuiteName(st.CipherSuite))
	c.x.gauge(c.dest, func(h *counters.Host) { h.LastTLS = "success " + proto })
	c.nc.SetDeadline(time.Time{})
	c.cl = c.client(greeted(tc, tc))
	if err := c.cl.Hello(name); err != nil {
		return fail(err)
	}
	return nil
}

func (c *conn) tlsFail(text string, fallback bool) *connFail {
	return &connFail{Failure: &Failure{Kind: FailTLS, Status: "4.7.0", Text: text, RemoteMTA: c.host}, dcid: c.dcid, fallback: fallback}
}

// cmd sends one command and reads its reply.
func cmd(tp *textproto.Conn, expect int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	return tp.ReadResponse(expect)
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

// greetedConn replays a greeting for go-smtp's client, which expects one,
// on a session whose greeting has been read already.
type greetedConn struct {
	net.Conn
	r io.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) { return g.r.Read(p) }

func greeted(nc net.Conn, rest io.Reader) net.Conn {
	return &greetedConn{Conn: nc, r: io.MultiReader(strings.NewReader("220 greeted\r\n"), rest)}
}

// transact sends one message: MAIL, a RCPT per recipient, DATA. It
// reports each recipient's outcome, the reply to DATA, and whether the
// connection can carry another message.
func (c *conn) transact(j *job, body []byte) ([]outcome, string, bool) {
	m := j.m
	if j.sp != nil {
		c.x.d.Log.Info("%s", j.sp.DeliveryStart(c.dcid, m))
	} else {
		c.x.d.Log.Info("Delivery start DCID %d MID %d to RID [%s]", c.dcid, m.MID, ridList(j.rids))
	}
	var outs []outcome
	failAll := func(rids []int, f *Failure) {
		for _, rid := range rids {
			outs = append(outs, outcome{rid: rid, f: f})
		}
	}
	if err := c.cl.Mail(m.From, &smtp.MailOptions{Size: int64(len(body))}); err != nil {
		failAll(j.rids, smtpFailure(err, c.host))
		return outs, "", alive(err) && c.reset()
	}
	var acc []int
	for i, rid := range j.rids {
		err := c.cl.Rcpt(rcptOf(m, rid).Addr, nil)
		if err == nil {
			acc = append(acc, rid)
			continue
		}
		f := smtpFailure(err, c.host)
		if !alive(err) {
			// The session is over: nothing in this transaction went.
			failAll(acc, f)
			failAll(j.rids[i:], f)
			return outs, "", false
		}
		outs = append(outs, outcome{rid: rid, f: f})
	}
	if len(acc) == 0 {
		return outs, "", c.reset()
	}
	wc, err := c.cl.Data()
	if err != nil {
		failAll(acc, smtpFailure(err, c.host))
		return outs, "", alive(err) && c.reset()
	}
	if _, err := wc.Write(body); err != nil {
		failAll(acc, smtpFailure(err, c.host))
		return outs, "", false
	}
	resp, err := wc.CloseWithResponse()
	if err != nil {
		failAll(acc, smtpFailure(err, c.host))
		return outs, "", alive(err)
	}
	for _, rid := range acc {
		outs = append(outs, outcome{rid: rid})
	}
	return outs, resp.StatusText, true
}

// alive reports whether the session survives an error: an SMTP reply
// other than 421 (RFC 5321 section 3.8: the server is closing).
func alive(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code != 421
}

func (c *conn) reset() bool { return c.cl.Reset() == nil }

// alive checks with NOOP that the server still holds the session.
func (c *conn) alive() bool { return c.cl.Noop() == nil }

// quit ends the session politely, then closes.
func (c *conn) quit() {
	if c.cl != nil && !c.closed {
		c.cl.CommandTimeout = min(c.x.t.Command, 30*time.Second)
		c.cl.Quit()
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
