package shell_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"seg/internal/mailapi"
	"seg/store"
)

// fakeMail is a MailSystem that records each request it gets as a Go
// call (calls) and prints it in the command's batch form ("[mail
// system] redirectrecipients --all --to HOST"), so that the transcripts
// (shell/testdata/mail.txt) show the request each form ends in.
type fakeMail struct{ calls []string }

func (f *fakeMail) got(w io.Writer, call string, words ...string) error {
	f.calls = append(f.calls, call)
	_, err := fmt.Fprintf(w, "[mail system] %s\n", strings.Join(words, " "))
	return err
}

// all is a host or listener argument as the batch form writes it: ""
// (all of them) is no argument.
func all(name string, words ...string) []string {
	if name == "" {
		return words
	}
	return append(words, name)
}

func selector(sel mailapi.Selector) []string {
	switch {
	case sel.Domain != "":
		return []string{"--domain", sel.Domain}
	case sel.Sender != "":
		return []string{"--sender", sel.Sender}
	case sel.All:
		return []string{"--all"}
	}
	return []string{"(no selector)"}
}

func (f *fakeMail) TopHosts(w io.Writer, o mailapi.HostOrder) error {
	return f.got(w, fmt.Sprintf("TopHosts(%d)", o), "tophosts", fmt.Sprint(int(o)))
}

func (f *fakeMail) HostStatus(w io.Writer, d string) error {
	return f.got(w, fmt.Sprintf("HostStatus(%q)", d), "hoststatus", d)
}

func (f *fakeMail) Status(w io.Writer, detail bool) error {
	words := []string{"status"}
	if detail {
		words = append(words, "detail")
	}
	return f.got(w, fmt.Sprintf("Status(%v)", detail), words...)
}

func (f *fakeMail) DestinationState(d string) (mailapi.DestState, error) {
	f.calls = append(f.calls, fmt.Sprintf("DestinationState(%q)", d))
	return mailapi.DestState{}, nil
}

func (f *fakeMail) ResetCounters(w io.Writer) error {
	return f.got(w, "ResetCounters()", "resetcounters")
}

func (f *fakeMail) WorkQueue(w io.Writer) error { return f.got(w, "WorkQueue()", "workqueue") }

func (f *fakeMail) ShowRecipients(w io.Writer, sel mailapi.Selector) error {
	return f.got(w, fmt.Sprintf("ShowRecipients(%+v)", sel), append([]string{"showrecipients"}, selector(sel)...)...)
}

func (f *fakeMail) DeleteRecipients(w io.Writer, sel mailapi.Selector) error {
	return f.got(w, fmt.Sprintf("DeleteRecipients(%+v)", sel), append([]string{"deleterecipients"}, selector(sel)...)...)
}

func (f *fakeMail) BounceRecipients(w io.Writer, sel mailapi.Selector) error {
	return f.got(w, fmt.Sprintf("BounceRecipients(%+v)", sel), append([]string{"bouncerecipients"}, selector(sel)...)...)
}

func (f *fakeMail) RedirectRecipients(w io.Writer, sel mailapi.Selector, host string) error {
	return f.got(w, fmt.Sprintf("RedirectRecipients(%+v, %q)", sel, host),
		append(append([]string{"redirectrecipients"}, selector(sel)...), "--to", host)...)
}

func (f *fakeMail) DeliverNow(w io.Writer, d string) error {
	arg := d
	if d == "" {
		arg = "ALL"
	}
	return f.got(w, fmt.Sprintf("DeliverNow(%q)", d), "delivernow", arg)
}

func (f *fakeMail) SuspendDelivery(w io.Writer, d string) error {
	return f.got(w, fmt.Sprintf("SuspendDelivery(%q)", d), all(d, "suspenddel")...)
}

func (f *fakeMail) ResumeDelivery(w io.Writer, d string) error {
	return f.got(w, fmt.Sprintf("ResumeDelivery(%q)", d), all(d, "resumedel")...)
}

func (f *fakeMail) SuspendListener(w io.Writer, n string) error {
	return f.got(w, fmt.Sprintf("SuspendListener(%q)", n), all(n, "suspendlistener")...)
}

func (f *fakeMail) ResumeListener(w io.Writer, n string) error {
	return f.got(w, fmt.Sprintf("ResumeListener(%q)", n), all(n, "resumelistener")...)
}

func (f *fakeMail) FindEvent(w io.Writer, q mailapi.EventQuery) error {
	words := []string{"findevent"}
	switch {
	case q.MID != 0:
		words = append(words, "--mid", fmt.Sprint(q.MID))
	case q.From != "":
		words = append(words, "--from", q.From)
	case q.To != "":
		words = append(words, "--to", q.To)
	case q.Subject != "":
		words = append(words, "--subject", q.Subject)
	case q.MessageID != "":
		words = append(words, "--message-id", q.MessageID)
	}
	if !q.Since.IsZero() {
		words = append(words, "--since", q.Since.Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		words = append(words, "--until", q.Until.Format(time.RFC3339))
	}
	if q.Summary {
		words = append(words, "--summary")
	}
	if q.Files != nil {
		words = append(words, "(files "+strings.Join(q.Files, ",")+")")
	}
	return f.got(w, "FindEvent("+strings.Join(words[1:], " ")+")", words...)
}

// FindMessages finds nothing for the pattern "none", MID 7 for "single",
// and MIDs 7 and 9 otherwise.
func (f *fakeMail) FindMessages(q mailapi.EventQuery) ([]mailapi.TrackedMessage, error) {
	f.calls = append(f.calls, "FindMessages()")
	t := time.Date(2026, 12, 7, 10, 0, 0, 0, time.Local)
	all := []mailapi.TrackedMessage{
		{MID: 7, Time: t, From: "alice@a.example", To: []string{"bob@b.example"}, Subject: "Hello"},
		{MID: 9, Time: t.Add(time.Minute), From: "carol@a.example", To: []string{"dave@b.example", "erin@b.example"}, Subject: "Quarterly report"},
	}
	switch q.From + q.To + q.Subject {
	case "none":
		return nil, nil
	case "single":
		return all[:1], nil
	}
	return all, nil
}

func (f *fakeMail) TrackingFiles() ([]mailapi.LogFile, error) {
	t := time.Date(2026, 12, 6, 0, 0, 0, 0, time.Local)
	return []mailapi.LogFile{
		{Name: "mail_logs.@20261206T000000.s", Begun: t},
		{Name: "mail_logs.@20261206T120000.s", Begun: t.Add(12 * time.Hour)},
		{Name: "mail_logs", Begun: t.Add(24 * time.Hour)},
	}, nil
}

func (f *fakeMail) DMARCReport(w io.Writer) error {
	return f.got(w, "DMARCReport()", "dmarcconfig", "report")
}

// Trace prints the request as trace's batch form, with which
// configuration the shell passed.
func (f *fakeMail) Trace(w io.Writer, cfg *store.Config, req mailapi.TraceRequest) error {
	words := []string{"trace", "source", req.SourceIP}
	if req.SourcePort != 0 {
		words = append(words, "port", fmt.Sprint(req.SourcePort))
	}
	if req.FQDN != "" {
		words = append(words, "fqdn", req.FQDN)
	}
	if req.Listener != "" {
		words = append(words, "listener", req.Listener)
	}
	if req.SBRSGiven {
		words = append(words, "sbrs", fmt.Sprint(req.SBRS))
	}
	from := req.From
	if from == "" {
		from = "<>"
	}
	words = append(words, "helo", req.HELO, "from", from, "to", strings.Join(req.Rcpts, ","))
	if req.MessageFile != "" {
		words = append(words, "message", req.MessageFile, fmt.Sprintf("(%d bytes)", len(req.Message)))
	}
	words = append(words, fmt.Sprintf("[uncommitted %v, revision %d, %d listeners]", req.Uncommitted, req.Revision, len(cfg.Listeners)))
	return f.got(w, fmt.Sprintf("Trace(%+v)", req), words...)
}

// WaitApplied: the fake runs every revision at once.
func (f *fakeMail) WaitApplied(context.Context, int) error { return nil }

// TestMailRequests: each batch form ends in one typed request, "all"
// spelled "" whatever the command's own word for it.
func TestMailRequests(t *testing.T) {
	cases := []struct{ line, want string }{
		{"tophosts", "TopHosts(1)"},
		{"tophosts 5", "TopHosts(5)"},
		{"hoststatus Example.COM.", `HostStatus("example.com")`},
		{"status", "Status(false)"},
		{"status DETAIL", "Status(true)"},
		{"resetcounters", "ResetCounters()"},
		{"workqueue", "WorkQueue()"},
		{"showrecipients", "ShowRecipients({Domain: Sender: All:true})"},
		{"showrecipients --domain A.example", "ShowRecipients({Domain:a.example Sender: All:false})"},
		{"deleterecipients --sender <>", "DeleteRecipients({Domain: Sender:<> All:false})"},
		{"bouncerecipients --sender bob@example.com", "BounceRecipients({Domain: Sender:bob@example.com All:false})"},
		{"redirectrecipients --domain a.example --to Relay.example", `RedirectRecipients({Domain:a.example Sender: All:false}, "relay.example")`},
		{"delivernow", `DeliverNow("")`},
		{"delivernow all", `DeliverNow("")`},
		{"delivernow b.example", `DeliverNow("b.example")`},
		{"suspenddel", `SuspendDelivery("")`},
		{"suspenddel c.example", `SuspendDelivery("c.example")`},
		{"suspenddel all", `SuspendDelivery("")`},
		{"resumedel", `ResumeDelivery("")`},
		{"resumedel c.example", `ResumeDelivery("c.example")`},
		{"resumedel ALL", `ResumeDelivery("")`},
		{"suspendlistener", `SuspendListener("")`},
		{"suspendlistener incomingmail", `SuspendListener("IncomingMail")`},
		{"resumelistener", `ResumeListener("")`},
		{"resumelistener IncomingMail", `ResumeListener("IncomingMail")`},
		{"findevent --mid 0042", "FindEvent(--mid 42)"},
		{"findevent --from ^bob", "FindEvent(--from ^bob)"},
		{"findevent --to x@", "FindEvent(--to x@)"},
		{"findevent --subject report", "FindEvent(--subject report)"},
		{"findevent --message-id <a@b> --summary", "FindEvent(--message-id <a@b> --summary)"},
		{"findevent --to x@ --since 2026-12-01 --until 2026-12-02", "FindEvent(--to x@ --since " +
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local).Format(time.RFC3339) + " --until " +
			time.Date(2026, 12, 2, 23, 59, 59, 0, time.Local).Format(time.RFC3339) + ")"},
		{"findevent --mid 5 --since 2026-12-01T10:30", "FindEvent(--mid 5 --since " +
			time.Date(2026, 12, 1, 10, 30, 0, 0, time.Local).Format(time.RFC3339) + ")"},
	}
	for _, c := range cases {
		s, _, _ := batchSession(t, newStore(t))
		f := &fakeMail{}
		s.Mail = f
		if err := s.RunBatch("f.txt", strings.NewReader(c.line+"\n")); err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if len(f.calls) != 1 || f.calls[0] != c.want {
			t.Errorf("%s: calls %q, want %q", c.line, f.calls, c.want)
		}
	}
}
