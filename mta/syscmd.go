package mta

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"seg/internal/mailapi"
	"seg/mta/dns"
	"seg/mta/report"
)

// The system and diagnostic commands (topin, hostrate, dnsstatus,
// nslookup, telnet, suspend, resume) for shell.MailSystem.

// topInRows is how many remote hosts topin lists, as tophosts does.
const topInRows = 20

// TopIn prints the remote hosts with the most inbound connections now,
// or the most messages since start (topin), in AsyncOS's columns plus
// seg's Msgs In.
func (m *MTA) TopIn(out io.Writer, order mailapi.TopInOrder) error {
	if !order.Valid() {
		return fmt.Errorf("topin: sort order %d is not 1 or 2", order)
	}
	rs := m.counters.Remotes(order == mailapi.ByMessagesIn)
	if len(rs) > topInRows {
		rs = rs[:topInRows]
	}
	fmt.Fprintf(out, "Status as of:                  %s\n\n", stamp(m.o.Now()))
	if len(rs) == 0 {
		fmt.Fprintln(out, "No remote hosts have connected since the mail system started.")
		return nil
	}
	fmt.Fprintf(out, "%-3s %-30s %-16s %-16s %8s %8s\n", "#", "Remote hostname", "Remote IP addr.", "listener", "Conn. In", "Msgs In")
	for i, r := range rs {
		fmt.Fprintf(out, "%-3d %-30s %-16s %-16s %8s %8s\n", i+1, r.Host, r.IP, r.Listener, report.Comma(r.ConnIn), report.Comma(r.Messages))
	}
	return nil
}

// HostSample returns a recipient host's counters now (hostrate): the
// totals since start, which resetcounters leaves alone, so that the
// differences between samples stay true across a reset.
func (m *MTA) HostSample(domain string) (mailapi.HostSample, error) {
	s := m.counters.Snapshot()
	out := mailapi.HostSample{At: s.Now, Status: "unknown"}
	h, ok := s.Host(strings.ToLower(domain))
	if !ok {
		return out, nil
	}
	switch {
	case h.Down:
		out.Status = "down"
	case !h.LastActivity.IsZero() || h.ConnOut > 0:
		out.Status = "up"
	}
	out.ConnOut, out.Active = h.ConnOut, h.Active()
	out.Delivered, out.HardBounced, out.SoftBounced = h.Total.Delivered, h.Total.HardBounced, h.Total.SoftBounced
	return out, nil
}

// DNSStatus prints the resolver counters (dnsstatus): AsyncOS's rows
// with the Reset and Uptime columns. seg keeps no Lifetime column for
// them: they are not written to disk.
func (m *MTA) DNSStatus(out io.Writer) error {
	s := m.dnsStats.Snapshot()
	fmt.Fprintf(out, "Status as of:                  %s\n", stamp(m.o.Now()))
	reset := "Never"
	if !s.ResetAt.IsZero() {
		reset = stamp(s.ResetAt)
	}
	fmt.Fprintf(out, "Last counter reset:            %s\n\n", reset)
	fmt.Fprintf(out, "%-34s%13s%13s\n", "Counters:", "Reset", "Uptime")
	for k := dns.Stat(0); k < dns.NumStats; k++ {
		fmt.Fprintf(out, "%-34s%13s%13s\n", "  "+dns.StatNames[k], report.Comma(s.Reset[k]), report.Comma(s.Uptime[k]))
	}
	return nil
}

// nslookupTimeout bounds nslookup's lookups: every configured server
// tried at its own timeout would keep the admin waiting far longer.
const nslookupTimeout = 15 * time.Second

// NSLookup asks the running configuration's resolvers (dnsconfig,
// through their cache) for name's records of type t (nslookup).
func (m *MTA) NSLookup(out io.Writer, name string, t mailapi.LookupType) error {
	if _, ok := mailapi.ParseLookupType(string(t)); !ok {
		return fmt.Errorf("nslookup: query type %q is not one of A, AAAA, MX, TXT, PTR", t)
	}
	if _, err := netip.ParseAddr(name); t == "PTR" && err != nil {
		return fmt.Errorf("Invalid arguments when processing nslookup: a PTR query takes an IP address, not %q.", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nslookupTimeout)
	defer cancel()
	res := m.resolvers(m.config())
	var lines []string
	var err error
	switch t {
	case "A", "AAAA":
		var addrs []netip.Addr
		addrs, err = res.LookupIP(ctx, name)
		for _, a := range addrs {
			if a.Is4() == (t == "A") {
				lines = append(lines, fmt.Sprintf("%s=%s", t, a))
			}
		}
	case "MX":
		var mxs []dns.MX
		mxs, err = res.LookupMX(ctx, name)
		for _, mx := range mxs {
			lines = append(lines, fmt.Sprintf("MX=%s PREF=%d", mx.Host, mx.Pref))
		}
	case "TXT":
		var txts []string
		txts, err = res.LookupTXT(ctx, name)
		for _, txt := range txts {
			lines = append(lines, "TXT="+strconv.Quote(txt))
		}
	case "PTR":
		a, _ := netip.ParseAddr(name) // checked above
		var names []string
		names, err = res.LookupPTR(ctx, a)
		for _, n := range names {
			lines = append(lines, "PTR="+n)
		}
	}
	if err != nil {
		var de *dns.Error
		switch {
		case errors.As(err, &de) && de.NotFound():
			fmt.Fprintf(out, "No %s records found for %s (%s).\n", t, name, de.Code)
			return nil
		case errors.As(err, &de):
			return fmt.Errorf("Temporary query error: %s (%s)", name, de.Code)
		}
		return fmt.Errorf("Temporary query error: %s: %v", name, err)
	}
	if len(lines) == 0 {
		fmt.Fprintf(out, "No %s records found for %s.\n", t, name)
		return nil
	}
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return nil
}

// telnetTimeout bounds telnet's connection and its wait for the banner:
// it checks connectivity, it is not a session.
const telnetTimeout = 5 * time.Second

// Telnet connects to host:port, prints the banner the server sends
// within telnetTimeout, and hangs up without sending anything (telnet).
// host is an address or a name resolved through seg's resolvers.
func (m *MTA) Telnet(out io.Writer, host string, port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*telnetTimeout)
	defer cancel()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = m.resolvers(m.config()).LookupIP(ctx, host)
		if err != nil {
			return fmt.Errorf("%s: No address associated with hostname (%v)", host, err)
		}
	}
	dial := m.o.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	var lastErr error
	for _, a := range addrs {
		addr := net.JoinHostPort(a.String(), strconv.Itoa(port))
		fmt.Fprintf(out, "Trying %s...\n", a)
		dctx, dcancel := context.WithTimeout(ctx, telnetTimeout)
		c, err := dial(dctx, "tcp", addr)
		dcancel()
		if err != nil {
			lastErr = err
			continue
		}
		fmt.Fprintf(out, "Connected to %s.\n", host)
		readBanner(c, out)
		c.Close()
		fmt.Fprintln(out, "Connection closed.")
		return nil
	}
	if errors.Is(lastErr, syscall.ECONNREFUSED) {
		return errors.New("telnet: connect to address: Connection refused")
	}
	return fmt.Errorf("telnet: Unable to connect to remote host: %v", lastErr)
}

// readBanner copies what the server sends within telnetTimeout, up to
// the last line of an SMTP reply (RFC 5321 section 4.2: "NNN " ends a
// multiline reply), 4 KB at most.
func readBanner(c net.Conn, out io.Writer) {
	c.SetReadDeadline(time.Now().Add(telnetTimeout))
	r := bufio.NewReader(io.LimitReader(c, 4096))
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			fmt.Fprintln(out, strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && line == "" {
				fmt.Fprintf(out, "(no more data within %s)\n", telnetTimeout)
			}
			return
		}
		if len(line) >= 4 && line[3] == ' ' {
			return
		}
	}
}

// Suspend stops receiving on every listener and delivery to every
// destination (suspend): sessions and deliveries in flight get wait to
// finish; the sessions still open then are closed.
func (m *MTA) Suspend(out io.Writer, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := m.smtpd.Suspend(""); err != nil {
		return err
	}
	fmt.Fprintln(out, "Waiting for listeners to exit...")
	if n := m.smtpd.Disconnect(ctx); n > 0 {
		fmt.Fprintf(out, "Closed %d incoming connections still open after %s.\n", n, wait)
	}
	fmt.Fprintln(out, "Receiving suspended.")
	m.o.Log.Info("Receiving suspended by administrator")
	m.delivery.Suspend("")
	m.suspended.Store(true)
	fmt.Fprintln(out, "Waiting for outgoing deliveries to finish...")
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for m.delivery.WorkQueue().Connections > 0 && ctx.Err() == nil {
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	if n := m.delivery.WorkQueue().Connections; n > 0 {
		fmt.Fprintf(out, "%d outgoing connections are finishing their current message.\n", n)
	}
	fmt.Fprintln(out, "Mail delivery suspended.")
	m.o.Log.Info("Delivery suspended for all destinations by administrator")
	return nil
}

// Resume undoes Suspend (resume): every listener accepts again and
// delivery goes on, to destinations suspended one by one as well.
func (m *MTA) Resume(out io.Writer) error {
	// Delivery resumes even when a listener cannot bind its address
	// again: that error is reported, the rest is undone.
	err := m.smtpd.Resume("")
	if err == nil {
		fmt.Fprintln(out, "Receiving resumed.")
		m.o.Log.Info("Receiving resumed by administrator")
	}
	m.delivery.Resume("")
	m.suspended.Store(false)
	fmt.Fprintln(out, "Mail delivery resumed.")
	m.o.Log.Info("Delivery resumed for all destinations by administrator")
	if err != nil {
		return fmt.Errorf("Receiving could not resume on every listener: %v", err)
	}
	return nil
}
