package mta

import (
	"fmt"
	"io"
	"strings"

	"seg/mta/delivery"
	"seg/mta/queue"
)

// queueCommand serves the queue management commands (SPEC 5: they act at
// once and log what they did).
func (m *MTA) queueCommand(name string, args []string, out io.Writer) error {
	switch name {
	case "workqueue":
		w := m.delivery.WorkQueue()
		fmt.Fprintf(out, "Status as of:                  %s\n", stamp(m.o.Now()))
		fmt.Fprintf(out, "Messages In Work Queue:        %d\n", w.Messages)
		fmt.Fprintf(out, "Active Recipients:             %d\n", w.Recipients)
		fmt.Fprintf(out, "Destinations In Memory:        %d\n", w.Destinations)
		fmt.Fprintf(out, "Current Outbound Conn.:        %d\n", w.Connections)
		switch {
		case w.SuspendedAll:
			fmt.Fprintln(out, "Delivery:                      suspended for all destinations")
		case len(w.Suspended) > 0:
			fmt.Fprintf(out, "Delivery suspended for:        %s\n", strings.Join(w.Suspended, ", "))
		default:
			fmt.Fprintln(out, "Delivery:                      running")
		}
		return nil
	case "delivernow":
		d := "ALL"
		if len(args) > 0 {
			d = args[0]
		}
		n := m.delivery.DeliverNow(d)
		if strings.EqualFold(d, "ALL") {
			fmt.Fprintf(out, "Rescheduling all domains for immediate delivery (%d recipients).\n", n)
		} else {
			fmt.Fprintf(out, "Rescheduling %s for immediate delivery (%d recipients).\n", d, n)
		}
		m.o.Log.Info("Delivery rescheduled for %s by administrator: %d recipients", d, n)
		return nil
	case "suspenddel", "resumedel":
		d := ""
		if len(args) > 0 {
			d = args[0]
		}
		what := d
		if d == "" || strings.EqualFold(d, "ALL") {
			what = "all destinations"
		}
		if name == "suspenddel" {
			m.delivery.Suspend(d)
			if what == "all destinations" {
				m.suspended.Store(true)
			}
			fmt.Fprintf(out, "Delivery suspended for %s.\n", what)
			m.o.Log.Info("Delivery suspended for %s by administrator", what)
		} else {
			m.delivery.Resume(d)
			if what == "all destinations" {
				m.suspended.Store(false)
			}
			fmt.Fprintf(out, "Delivery resumed for %s.\n", what)
			m.o.Log.Info("Delivery resumed for %s by administrator", what)
		}
		return nil
	case "showrecipients", "deleterecipients", "bouncerecipients", "redirectrecipients":
		sel, rest, err := selector(args)
		if err != nil {
			return err
		}
		return m.recipientsOp(name, sel, rest, out)
	}
	return fmt.Errorf("Unknown command: %s", name)
}

// selector parses "--domain D | --sender S | --all" (+ "--to HOST").
func selector(args []string) (delivery.Selector, map[string]string, error) {
	var sel delivery.Selector
	rest := map[string]string{}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--all":
			sel.All = true
		case "--domain", "--sender", "--to":
			if i+1 >= len(args) {
				return sel, nil, fmt.Errorf("%s needs a value", args[i])
			}
			v := args[i+1]
			i++
			switch args[i-1] {
			case "--domain":
				sel.Domain = v
			case "--sender":
				sel.Sender = v
			default:
				rest["to"] = v
			}
		default:
			return sel, nil, fmt.Errorf("Unknown option %s", args[i])
		}
	}
	if !sel.All && sel.Domain == "" && sel.Sender == "" {
		return sel, nil, fmt.Errorf("choose recipients with --domain D, --sender S or --all")
	}
	return sel, rest, nil
}

func describe(sel delivery.Selector) string {
	switch {
	case sel.All:
		return "all recipients"
	case sel.Domain != "":
		return "recipients for " + sel.Domain
	}
	return "recipients from " + sel.Sender
}

func (m *MTA) recipientsOp(name string, sel delivery.Selector, rest map[string]string, out io.Writer) error {
	switch name {
	case "showrecipients":
		rs := m.delivery.Recipients(sel)
		if len(rs) == 0 {
			fmt.Fprintln(out, "There are no messages matching your criteria.")
			return nil
		}
		fmt.Fprintln(out, "MID/       Bytes/     Sender/                          Subject")
		fmt.Fprintln(out, "[RID]      [Atmps]    Recipient")
		var last int64 = -1
		for _, r := range rs {
			if r.MID != last {
				fmt.Fprintf(out, "%-10d %-10d %-32s %s\n", r.MID, r.Size, "<"+r.Sender+">", r.Subject)
				last = r.MID
			}
			state := ""
			if r.State == queue.Attempted && r.LastError != "" {
				state = "  (" + r.LastError + ")"
			}
			fmt.Fprintf(out, "%-10s %-10s %s%s\n", fmt.Sprintf("[%d]", r.RID), fmt.Sprintf("[%d]", r.Attempts), r.Rcpt, state)
		}
		return nil
	case "deleterecipients":
		n := m.delivery.Delete(sel)
		fmt.Fprintf(out, "%d recipients deleted.\n", n)
		m.o.Log.Info("deleterecipients: %d %s deleted by administrator", n, describe(sel))
	case "bouncerecipients":
		n := m.delivery.Bounce(sel)
		fmt.Fprintf(out, "%d recipients bounced.\n", n)
		m.o.Log.Info("bouncerecipients: %d %s bounced by administrator", n, describe(sel))
	case "redirectrecipients":
		host := rest["to"]
		if host == "" {
			return fmt.Errorf("redirectrecipients needs --to HOST")
		}
		n := m.delivery.Redirect(sel, host)
		fmt.Fprintf(out, "%d recipients redirected to %s.\n", n, host)
		m.o.Log.Info("redirectrecipients: %d %s redirected to %s by administrator", n, describe(sel), host)
	}
	return nil
}
