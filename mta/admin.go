package mta

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"seg/mta/report"
	"seg/mta/smtpd"
)

// Command serves the shell's mail-system commands (shell.MailSystem). The
// shell has validated and normalised the arguments (shell/mailcmd.go).
func (m *MTA) Command(name string, args []string, out io.Writer) error {
	switch name {
	case "tophosts":
		key := 1
		if len(args) > 0 {
			key, _ = strconv.Atoi(args[0])
		}
		_, err := io.WriteString(out, report.TopHosts(m.counters.Snapshot(), key))
		return err
	case "hoststatus":
		if len(args) != 1 {
			return fmt.Errorf("hoststatus needs a host name")
		}
		text, ok := report.HostStatus(m.counters.Snapshot(), args[0])
		if !ok {
			return fmt.Errorf("No record of host: %s", args[0])
		}
		_, err := io.WriteString(out, text)
		return err
	case "status":
		detail := len(args) > 0 && args[0] == "detail"
		_, err := io.WriteString(out, report.Status(m.counters.Snapshot(), m.statusInfo(), detail))
		return err
	case "resetcounters":
		m.counters.ResetCounters()
		fmt.Fprintln(out, "Counters reset.")
		m.o.Log.Info("Counters reset by administrator")
		return nil
	case "suspendlistener", "resumelistener":
		return m.listenerOp(name, args, out)
	case "tail", "grep", "findevent":
		return m.logCommand(name, args, out)
	}
	return m.queueCommand(name, args, out)
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
	info.WorkQueue = int64(st.Messages)
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

func (m *MTA) listenerOp(name string, args []string, out io.Writer) error {
	var names []string
	if len(args) > 0 {
		names = args
	} else {
		for _, l := range m.smtpd.Listeners() {
			names = append(names, l.Name)
		}
	}
	verb := "suspended"
	for _, n := range names {
		var err error
		if name == "suspendlistener" {
			err = m.smtpd.Suspend(n)
		} else {
			verb = "resumed"
			err = m.smtpd.Resume(n)
		}
		if err != nil {
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
