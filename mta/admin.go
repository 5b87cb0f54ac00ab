package mta

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"seg/internal/mailapi"
	"seg/mta/report"
	"seg/mta/smtpd"
)

// The shell's mail-system commands (shell.MailSystem, shell/mailsystem.go):
// reports here, the queue commands in queuecmd.go, the log commands in
// logcmd.go. The shell has checked the arguments; what it could not
// know (a host with no record) is an error here.

// TopHosts prints the 20 busiest recipient hosts sorted by order
// (tophosts).
func (m *MTA) TopHosts(out io.Writer, order mailapi.HostOrder) error {
	if !order.Valid() {
		return fmt.Errorf("tophosts: sort order %d is not a number from 1 to 5", order)
	}
	_, err := io.WriteString(out, report.TopHosts(m.counters.Snapshot(), int(order)))
	return err
}

// HostStatus prints one recipient host's counters (hoststatus), with the
// use of its recipient limit's window.
func (m *MTA) HostStatus(out io.Writer, domain string) error {
	s := m.counters.Snapshot()
	if st, ok := m.delivery.DestState(domain); ok && st.RecipientLimit > 0 {
		for i := range s.Hosts {
			if h := &s.Hosts[i]; h.Name == st.Name {
				h.RateLimit, h.RateMinutes, h.RateUsed, h.RatePerIP = st.RecipientLimit, st.RecipientMinutes, st.WindowUsed, st.PerIP
			}
		}
	}
	text, ok := report.HostStatus(s, domain)
	if !ok {
		return fmt.Errorf("No record of host: %s", domain)
	}
	_, err := io.WriteString(out, text)
	return err
}

// DestinationState returns a destination's live delivery state
// (destconfig detail).
func (m *MTA) DestinationState(domain string) (mailapi.DestState, error) {
	var out mailapi.DestState
	st, ok := m.delivery.DestState(domain)
	if ok {
		out = mailapi.DestState{
			Known: true, Connections: st.Connections, Queued: st.Queued, Suspended: st.Suspended,
			RecipientLimit: st.RecipientLimit, RecipientMinutes: st.RecipientMinutes,
			PerIP: st.PerIP, PerSource: st.PerSource, WindowUsed: st.WindowUsed,
		}
		for _, k := range st.Keys {
			out.Addresses = append(out.Addresses, mailapi.AddrState{IP: k.IP, Source: k.Source, Connections: k.Connections, WindowUsed: k.WindowUsed})
		}
	}
	s := m.counters.Snapshot()
	if h, found := s.Host(strings.ToLower(domain)); found {
		out.Known = true
		out.Down, out.LastTLS, out.LastDANE = h.Down, h.LastTLS, h.LastDANE
	}
	return out, nil
}

// Status prints the system status and counters, with the rates when
// detail (status, status detail).
func (m *MTA) Status(out io.Writer, detail bool) error {
	_, err := io.WriteString(out, report.Status(m.counters.Snapshot(), m.statusInfo(), detail))
	return err
}

// ResetCounters zeroes the counters of status' Reset column
// (resetcounters).
func (m *MTA) ResetCounters(out io.Writer) error {
	m.counters.ResetCounters()
	m.dnsStats.Reset(m.o.Now())
	fmt.Fprintln(out, "Counters reset.")
	m.o.Log.Info("Counters reset by administrator")
	return nil
}

func (m *MTA) statusInfo() report.StatusInfo {
	mid, icid, dcid := m.queue.CurrentIDs()
	st := m.queue.Stats()
	info := report.StatusInfo{MID: mid, ICID: icid, DCID: dcid, KilobytesUsed: st.DiskBytes / 1024}
	var fs syscall.Statfs_t
	if syscall.Statfs(m.o.DataDir, &fs) == nil {
		info.KilobytesFree = int64(fs.Bavail) * int64(fs.Bsize) / 1024
	}
	snap := m.counters.Snapshot()
	info.CurrentInbound = snap.ConnIn
	info.CurrentOutbound = snap.ConnOut
	for _, h := range snap.Hosts {
		info.Unattempted += h.Unattempted
		info.Attempted += h.Attempted
		if h.Active() > 0 {
			info.Destinations++
		}
		if !h.Oldest.IsZero() && (info.Oldest.IsZero() || h.Oldest.Before(info.Oldest)) {
			info.Oldest = h.Oldest
		}
	}
	// Messages In Work Queue stays 0: seg scans in-line, before the
	// 250, so no received message waits for a scanner (workqueue).
	info.DeliveryQueue = int64(st.Messages)
	var susp []string
	for _, l := range m.smtpd.Listeners() {
		switch l.State {
		case smtpd.StateSuspended:
			susp = append(susp, l.Name)
		case smtpd.StateFailed, smtpd.StateMisplaced:
			info.ListenerProblems = append(info.ListenerProblems, ListenerProblem(l))
		}
	}
	switch {
	case len(info.ListenerProblems) > 0:
		// Not "Online": mail the configuration expects to reach seg
		// does not (SPEC 3: a listener that cannot bind is shown down).
		info.SystemStatus = "Listener down"
	case m.suspended.Load():
		info.SystemStatus = "Delivery suspended"
	case len(susp) > 0 && len(susp) == len(m.smtpd.Listeners()):
		info.SystemStatus = "Receiving suspended"
	}
	return info
}

// ListenerProblem says in one line why a listener is not listening where
// the running configuration says: for status, listenerconfig and logs.
func ListenerProblem(l smtpd.ListenerStatus) string {
	want := net.JoinHostPort(l.Address, strconv.Itoa(l.Port))
	why := l.Err
	if i := strings.LastIndex(why, want+": "); i >= 0 {
		why = why[i+len(want)+2:]
	}
	if why == "" {
		why = "not bound"
	}
	if l.Listening != "" {
		return fmt.Sprintf("Listener %s is not listening on %s (%s); still listening on %s", l.Name, want, why, l.Listening)
	}
	return fmt.Sprintf("Listener %s is down: cannot listen on %s (%s)", l.Name, want, why)
}

// SuspendListener stops accepting connections on the listener name, or
// on every listener when name is "" (suspendlistener).
func (m *MTA) SuspendListener(out io.Writer, name string) error {
	return m.listenerOp(out, name, "suspended", m.smtpd.Suspend)
}

// ResumeListener accepts connections again (resumelistener).
func (m *MTA) ResumeListener(out io.Writer, name string) error {
	return m.listenerOp(out, name, "resumed", m.smtpd.Resume)
}

func (m *MTA) listenerOp(out io.Writer, name, verb string, op func(name string) error) error {
	names := []string{name}
	if name == "" {
		names = nil
		for _, l := range m.smtpd.Listeners() {
			names = append(names, l.Name)
		}
	}
	for _, n := range names {
		if err := op(n); err != nil {
			return err
		}
		fmt.Fprintf(out, "Listener %s %s.\n", n, verb)
		m.o.Log.Info("Listener %s %s by administrator", n, verb)
	}
	if len(names) == 0 {
		fmt.Fprintln(out, "There are no listeners.")
	}
	return nil
}

func stamp(t time.Time) string { return report.Stamp(t) }
