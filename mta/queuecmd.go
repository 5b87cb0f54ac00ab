package mta

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"seg/internal/mailapi"
	"seg/mta/delivery"
	"seg/mta/queue"
)

// The queue management commands (SPEC 5: they act at once and log what
// they did), for shell.MailSystem.

// WorkQueue prints the work queue summary (workqueue).
func (m *MTA) WorkQueue(out io.Writer) error {
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
}

// DeliverNow makes the waiting recipients of domain ("": every domain)
// due now (delivernow).
func (m *MTA) DeliverNow(out io.Writer, domain string) error {
	n := m.delivery.DeliverNow(domain)
	if domain == "" {
		fmt.Fprintf(out, "Rescheduling all domains for immediate delivery (%d recipients).\n", n)
		domain = "ALL"
	} else {
		fmt.Fprintf(out, "Rescheduling %s for immediate delivery (%d recipients).\n", domain, n)
	}
	m.o.Log.Info("Delivery rescheduled for %s by administrator: %d recipients", domain, n)
	return nil
}

// SuspendDelivery stops new delivery attempts to domain ("": every
// destination) (suspenddel).
func (m *MTA) SuspendDelivery(out io.Writer, domain string) error {
	return m.suspendDelivery(out, domain, true)
}

// ResumeDelivery lifts SuspendDelivery (resumedel); "" lifts every
// suspension.
func (m *MTA) ResumeDelivery(out io.Writer, domain string) error {
	return m.suspendDelivery(out, domain, false)
}

// suspendDelivery suspends or resumes delivery to domain; all of it ("")
// also shows in status' System Status.
func (m *MTA) suspendDelivery(out io.Writer, domain string, suspend bool) error {
	verb, op := "resumed", m.delivery.Resume
	if suspend {
		verb, op = "suspended", m.delivery.Suspend
	}
	op(domain)
	if domain == "" {
		m.suspended.Store(suspend)
	}
	what := destinations(domain)
	fmt.Fprintf(out, "Delivery %s for %s.\n", verb, what)
	if suspend && domain != "" && len(m.delivery.Recipients(delivery.Selector{Domain: domain})) == 0 {
		// A suspension of a domain with nothing queued is taken, as
		// AsyncOS takes it (an operator may hold a destination before
		// mail for it arrives), but said plainly: a typo would
		// otherwise pass unnoticed while the domain meant goes on.
		fmt.Fprintf(out, "No messages are queued for %s; mail queued for it from now on stays in the queue until resumedel %s.\n", domain, domain)
	}
	m.o.Log.Info("Delivery %s for %s by administrator", verb, what)
	return nil
}

// destinations names domain ("": all) in the suspend and resume lines.
func destinations(domain string) string {
	if domain == "" {
		return "all destinations"
	}
	return domain
}

// errNoSelector is a Selector that chooses nothing or more than one way.
var errNoSelector = errors.New("choose recipients with --domain D, --sender S or --all")

// queueSelector is sel for mta/delivery.
func queueSelector(sel mailapi.Selector) (delivery.Selector, error) {
	if !sel.Valid() {
		return delivery.Selector{}, errNoSelector
	}
	return delivery.Selector{Domain: sel.Domain, Sender: sel.Sender, All: sel.All}, nil
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

// ShowRecipients lists the queued recipients sel chooses
// (showrecipients).
func (m *MTA) ShowRecipients(out io.Writer, s mailapi.Selector) error {
	sel, err := queueSelector(s)
	if err != nil {
		return err
	}
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
}

// DeleteRecipients removes them from the queue (deleterecipients).
func (m *MTA) DeleteRecipients(out io.Writer, s mailapi.Selector) error {
	sel, err := queueSelector(s)
	if err != nil {
		return err
	}
	n := m.delivery.Delete(sel)
	fmt.Fprintf(out, "%d recipients deleted.\n", n)
	m.o.Log.Info("deleterecipients: %d %s deleted by administrator", n, describe(sel))
	return nil
}

// BounceRecipients bounces them (bouncerecipients).
func (m *MTA) BounceRecipients(out io.Writer, s mailapi.Selector) error {
	sel, err := queueSelector(s)
	if err != nil {
		return err
	}
	n := m.delivery.Bounce(sel)
	fmt.Fprintf(out, "%d recipients bounced.\n", n)
	m.o.Log.Info("bouncerecipients: %d %s bounced by administrator", n, describe(sel))
	return nil
}

// RedirectRecipients sends them to host instead (redirectrecipients).
func (m *MTA) RedirectRecipients(out io.Writer, s mailapi.Selector, host string) error {
	sel, err := queueSelector(s)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("redirectrecipients needs --to HOST")
	}
	n := m.delivery.Redirect(sel, host)
	fmt.Fprintf(out, "%d recipients redirected to %s.\n", n, host)
	m.o.Log.Info("redirectrecipients: %d %s redirected to %s by administrator", n, describe(sel), host)
	return nil
}
