package smtpd

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"seg/mta/queue"
	"seg/store"
)

// journalCall is one call of Deps.Journal.
type journalCall struct {
	m      queue.Message
	body   string
	intake string
}

type journalRecorder struct {
	mu    sync.Mutex
	calls []journalCall
}

// hook records each call and returns a copy whose Msg names the part
// (OrigMID) and the intake, so that the tests can find it in the queue.
func (r *journalRecorder) hook(q *fakeQueue) func(*store.Config, *queue.Message, []byte, string) queue.Derived {
	return func(_ *store.Config, m *queue.Message, body []byte, intake string) queue.Derived {
		r.mu.Lock()
		r.calls = append(r.calls, journalCall{m: *m, body: string(body), intake: intake})
		r.mu.Unlock()
		cm := &queue.Message{MID: q.NextMID(), Kind: queue.KindTDC, OrigMID: m.MID, Rcpts: []queue.Recipient{{Addr: intake}}}
		return queue.Derived{Msg: cm, Prefix: []byte("<"), Suffix: []byte(">")}
	}
}

func (r *journalRecorder) get() []journalCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]journalCall(nil), r.calls...)
}

// tdcConfig journals: Sales to its own intake, Quiet not at all, the rest
// (DEFAULT) to the default intake address.
func tdcConfig() *store.Config {
	cfg := testConfig()
	cfg.Listeners[0].RAT = append([]store.RATEntry{{Entry: ".example.com", Action: store.RATAccept}}, cfg.Listeners[0].RAT...)
	cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "journal@intake.test"}
	cfg.Incoming = []store.MailPolicy{
		{Name: "Sales", Recipients: []string{"@sales.example.com"}, TDC: store.TDCCustom, TDCAddress: "sales@intake.test"},
		{Name: "Quiet", Recipients: []string{"@quiet.example.com"}, TDC: store.TDCOff},
		{Name: "DEFAULT", TDC: store.TDCDefault},
	}
	return cfg
}

func TestSplitByPolicyAndJournal(t *testing.T) {
	var rec journalRecorder
	e := newEnvWith(t, tdcConfig(), func(d *Deps) { d.Journal = rec.hook(d.Queue.(*fakeQueue)) })
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("client.test")
	rcpts := []string{"a@example.com", "s@sales.example.com", "q@quiet.example.com", "b@example.com"}
	if got := c.sendMessage("alice@sender.test", rcpts, "Message-ID: <x@y>\r\nSubject: hi\r\n\r\nbody\r\n"); got != "250 2.0.0 Ok: queued as 1" {
		t.Fatalf("DATA: %q", got)
	}
	c.expect("QUIT", "221 ")
	lines := e.waitLog("Info: ICID 1 close")

	// Parts in policy-table order; the first keeps MID 1 and its RIDs,
	// the others are new messages numbered from RID 0.
	type part struct {
		mid    int64
		policy string
		rcpts  []queue.Recipient
	}
	want := []part{
		{1, "Sales", []queue.Recipient{{RID: 1, Addr: "s@sales.example.com"}}},
		{2, "Quiet", []queue.Recipient{{RID: 0, Addr: "q@quiet.example.com"}}},
		{3, "DEFAULT", []queue.Recipient{{RID: 0, Addr: "a@example.com"}, {RID: 1, Addr: "b@example.com"}}},
	}
	msgs := e.q.messages()
	slices.SortFunc(msgs, func(a, b queued) int { return int(a.m.MID - b.m.MID) })
	if len(msgs) != len(want) {
		t.Fatalf("%d messages queued, want %d", len(msgs), len(want))
	}
	for i, w := range want {
		m := msgs[i].m
		if m.MID != w.mid || m.Policy != w.policy || !slices.Equal(m.Rcpts, w.rcpts) || m.From != "alice@sender.test" ||
			m.MessageID != "<x@y>" || string(msgs[i].body) != string(msgs[0].body) {
			t.Errorf("part %d: got MID %d policy %s rcpts %v, want %+v", i, m.MID, m.Policy, m.Rcpts, w)
		}
	}
	wantLog := []string{
		"Info: MID 1 was split creating MID 2 due to a per-recipient policy Quiet in the inbound table",
		"Info: MID 1 was split creating MID 3 due to a per-recipient policy DEFAULT in the inbound table",
		"Info: MID 1 matched all recipients for per-recipient policy Sales in the inbound table",
		"Info: MID 2 matched all recipients for per-recipient policy Quiet in the inbound table",
		"Info: MID 3 matched all recipients for per-recipient policy DEFAULT in the inbound table",
		"Info: MID 1 queued for delivery",
		"Info: TDC: MID 1 with Message-ID '<x@y>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address sales@intake.test",
		"Info: MID 2 queued for delivery",
		"Info: MID 3 queued for delivery",
		"Info: TDC: MID 3 with Message-ID '<x@y>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address journal@intake.test",
		"Info: ICID 1 close",
	}
	i := slices.Index(lines, wantLog[0])
	if i < 0 || !slices.Equal(lines[i:], wantLog) {
		t.Errorf("mail_logs:\n got %s\nwant ...%s", strings.Join(lines, "\n     "), strings.Join(wantLog, "\n     "))
	}

	// Journaled: the parts whose policy says so, each once, to its
	// intake, with the stored body; each copy queued in the same call as
	// its part.
	calls := rec.get()
	slices.SortFunc(calls, func(a, b journalCall) int { return int(a.m.MID - b.m.MID) })
	if len(calls) != 2 || calls[0].m.MID != 1 || calls[0].intake != "sales@intake.test" ||
		calls[1].m.MID != 3 || calls[1].intake != "journal@intake.test" {
		t.Fatalf("Journal calls: %+v", calls)
	}
	for _, jc := range calls {
		if jc.body != string(msgs[0].body) {
			t.Errorf("MID %d journaled with a body other than the stored one", jc.m.MID)
		}
		if len(jc.m.Rcpts) == 0 || jc.m.Policy == "" {
			t.Errorf("MID %d journaled as %+v", jc.m.MID, jc.m)
		}
	}
	for _, q := range msgs {
		want := 0
		if q.m.MID == 1 || q.m.MID == 3 {
			want = 1
		}
		if len(q.derived) != want || want == 1 && q.derived[0].Msg.OrigMID != q.m.MID {
			t.Errorf("MID %d queued with copies %+v, want %d of its own", q.m.MID, q.derived, want)
		}
	}
}

func TestRelayedMailIsNeverJournaled(t *testing.T) {
	cfg := tdcConfig()
	// 127.0.0.1 is in RELAYLIST ($RELAYED) in the default HAT.
	var rec journalRecorder
	e := newEnvWith(t, cfg, func(d *Deps) { d.Journal = rec.hook(d.Queue.(*fakeQueue)) })
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.test")
	if got := c.sendMessage("alice@inside.test", []string{"a@example.com", "s@sales.example.com", "x@elsewhere.test"}, "Subject: out\r\n\r\nbody\r\n"); got != "250 2.0.0 Ok: queued as 1" {
		t.Fatalf("DATA: %q", got)
	}
	c.expect("QUIT", "221 ")
	e.waitLog("Info: ICID 1 close")
	if !e.hasLog("Info: MID 1 matched all recipients for per-recipient policy DEFAULT in the outbound table") {
		t.Errorf("no outbound match line:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
	if n := len(e.q.messages()); n != 1 {
		t.Errorf("%d messages queued, want 1 (the outgoing table has only DEFAULT)", n)
	}
	if calls := rec.get(); len(calls) != 0 {
		t.Errorf("relayed mail journaled: %+v", calls)
	}
}

func TestNothingJournaledWhenNotQueued(t *testing.T) {
	var rec journalRecorder
	e := newEnvWith(t, tdcConfig(), func(d *Deps) { d.Journal = rec.hook(d.Queue.(*fakeQueue)) })
	e.q.setFail(errors.New("disk full"))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("client.test")
	if got := c.sendMessage("alice@sender.test", []string{"a@example.com", "s@sales.example.com"}, "Subject: x\r\n\r\nbody\r\n"); !strings.HasPrefix(got, "451 ") {
		t.Fatalf("DATA with a failing queue: %q", got)
	}
	c.expect("QUIT", "221 ")
	e.waitLog("Info: ICID 1 close")
	if n := len(e.q.messages()); n != 0 {
		t.Errorf("%d messages queued by a failing queue", n)
	}
	if e.hasLog("queued for delivery") || e.hasLog("enqueued for forwarding") {
		t.Errorf("a part that was not queued was logged as queued:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
}
