package shell

import (
	"context"
	"io"

	"seg/internal/mailapi"
	"seg/store"
)

// MailSystem is what the shell needs from the running MTA: one method per
// mail-system command (shell/mailcmd.go), with the arguments the shell has
// already checked, typed. mta.MTA implements it; cmd/seg wires it. Each
// method writes its report to w, in AsyncOS's words, and returns an error
// the operator reads as is. The request types live in internal/mailapi,
// a leaf both sides import, because mta/ must not import shell/.
//
// A domain or listener name "" means all of them, as the command without
// its argument does.
type MailSystem interface {
	// TopHosts prints the 20 busiest recipient hosts (tophosts).
	TopHosts(w io.Writer, order mailapi.HostOrder) error
	// HostStatus prints one recipient host's counters and gauges
	// (hoststatus); domain is lower case.
	HostStatus(w io.Writer, domain string) error
	// DestinationState returns a destination's live delivery state
	// (destconfig detail); domain is lower case.
	DestinationState(domain string) (mailapi.DestState, error)
	// Status prints the system status and counters; detail adds the
	// rates (status, status detail).
	Status(w io.Writer, detail bool) error
	// ResetCounters zeroes the counters of status' Reset column
	// (resetcounters).
	ResetCounters(w io.Writer) error
	// WorkQueue prints the work queue summary (workqueue).
	WorkQueue(w io.Writer) error

	// ShowRecipients lists the queued recipients sel chooses
	// (showrecipients).
	ShowRecipients(w io.Writer, sel mailapi.Selector) error
	// DeleteRecipients removes them from the queue (deleterecipients).
	DeleteRecipients(w io.Writer, sel mailapi.Selector) error
	// BounceRecipients bounces them (bouncerecipients).
	BounceRecipients(w io.Writer, sel mailapi.Selector) error
	// RedirectRecipients sends them to host (a host name or IP address,
	// with an optional :PORT) instead (redirectrecipients).
	RedirectRecipients(w io.Writer, sel mailapi.Selector, host string) error

	// DeliverNow makes the waiting recipients of domain ("": all) due now
	// (delivernow).
	DeliverNow(w io.Writer, domain string) error
	// SuspendDelivery stops new delivery attempts to domain ("": all)
	// (suspenddel); ResumeDelivery lifts it (resumedel).
	SuspendDelivery(w io.Writer, domain string) error
	ResumeDelivery(w io.Writer, domain string) error
	// SuspendListener stops accepting connections on the listener named
	// name ("": every listener) (suspendlistener); ResumeListener accepts
	// them again (resumelistener).
	SuspendListener(w io.Writer, name string) error
	ResumeListener(w io.Writer, name string) error

	// FindEvent prints what message tracking knows of the messages q
	// chooses (findevent): with one match, every mail_logs line of its
	// life; with several, one row each (TrackedMessage.Row); with
	// q.Summary, the one-line tracking view per message.
	FindEvent(w io.Writer, q mailapi.EventQuery) error
	// FindMessages returns the messages q chooses, in MID order (the
	// interactive findevent lists them to pick one).
	FindMessages(q mailapi.EventQuery) ([]mailapi.TrackedMessage, error)
	// TrackingFiles lists the mail_logs files message tracking searches,
	// oldest first.
	TrackingFiles() ([]mailapi.LogFile, error)
	// DMARCReport sends the DMARC aggregate reports of the records
	// collected so far, now (dmarcconfig report).
	DMARCReport(w io.Writer) error
	// Trace prints what the mail system would do with req's envelope
	// under cfg, the session's candidate or the running configuration
	// (trace), sending nothing.
	Trace(w io.Writer, cfg *store.Config, req mailapi.TraceRequest) error
	// WaitApplied returns once the MTA runs revision rev (or a later
	// one), or with ctx's error: commit waits for it, so that the next
	// connection after "Changes committed" sees the change.
	WaitApplied(ctx context.Context, rev int) error
}
