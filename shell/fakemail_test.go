package shell_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"seg/internal/mailapi"
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
	call := fmt.Sprintf("FindEvent(%+v)", q)
	switch {
	case q.MID != 0:
		return f.got(w, call, "findevent", "--mid", fmt.Sprint(q.MID))
	case q.From != "":
		return f.got(w, call, "findevent", "--from", q.From)
	case q.To != "":
		return f.got(w, call, "findevent", "--to", q.To)
	}
	return f.got(w, call, "findevent", "--subject", q.Subject)
}

func (f *fakeMail) DMARCReport(w io.Writer) error {
	return f.got(w, "DMARCReport()", "dmarcconfig", "report")
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
		{"findevent --mid 0042", "FindEvent({MID:42 From: To: Subject:})"},
		{"findevent --from ^bob", "FindEvent({MID:0 From:^bob To: Subject:})"},
		{"findevent --to x@", "FindEvent({MID:0 From: To:x@ Subject:})"},
		{"findevent --subject report", "FindEvent({MID:0 From: To: Subject:report})"},
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
