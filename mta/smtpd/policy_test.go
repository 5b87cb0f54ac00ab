package smtpd

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"seg/mta/queue"
	"seg/store"
)

// journalCall is one call of Deps.Journal.
type journalCall struct {
	m    queue.Message
	body string
	rule *store.MailPolicy // a copy; nil when the part matched no policy
}

// journalRecorder stands in for tdc.Copier: it journals the parts whose
// policy name is in intakes, to that address. Which policies journal is
// tdc's business (mta/tdc TestWhichPartsAreJournaled); these tests check
// that smtpd offers every part with the policy it matched, queues the
// copy with its part, and logs the copy's line once it is queued.
type journalRecorder struct {
	intakes map[string]string // policy name -> intake address
	mu      sync.Mutex
	calls   []journalCall
}

// hook records each call and returns a copy whose Msg names the part
// (OrigMID) and the intake, so that the tests can find it in the queue.
func (r *journalRecorder) hook(q *fakeQueue) JournalFunc {
	return func(_ *store.Config, m *queue.Message, rule *store.MailPolicy, body []byte) (queue.Derived, []string, []string, bool) {
		jc := journalCall{m: *m, body: string(body)}
		intake := ""
		if rule != nil {
			p := *rule
			jc.rule = &p
			intake = r.intakes[rule.Name]
		}
		r.mu.Lock()
		r.calls = append(r.calls, jc)
		r.mu.Unlock()
		if intake == "" {
			return queue.Derived{}, nil, nil, false
		}
		cm := &queue.Message{MID: q.NextMID(), Kind: queue.KindTDC, OrigMID: m.MID, Rcpts: []queue.Recipient{{Addr: intake}}}
		return queue.Derived{Msg: cm, Prefix: []byte("<"), Suffix: []byte(">")},
			[]string{fmt.Sprintf("copy MID %d of MID %d made", cm.MID, m.MID)},
			[]string{fmt.Sprintf("journal copy of MID %d queued for %s", m.MID, intake)}, true
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
	rec := journalRecorder{intakes: map[string]string{"Sales": "sales@intake.test", "DEFAULT": "journal@intake.test"}}
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
		"Info: copy MID 4 of MID 1 made",
		"Info: copy MID 5 of MID 3 made",
		"Info: MID 1 queued for delivery",
		"Info: journal copy of MID 1 queued for sales@intake.test",
		"Info: MID 2 queued for delivery",
		"Info: MID 3 queued for delivery",
		"Info: journal copy of MID 3 queued for journal@intake.test",
		"Info: ICID 1 close",
	}
	i := slices.Index(lines, wantLog[0])
	if i < 0 || !slices.Equal(lines[i:], wantLog) {
		t.Errorf("mail_logs:\n got %s\nwant ...%s", strings.Join(lines, "\n     "), strings.Join(wantLog, "\n     "))
	}

	// Every part offered once, with the policy it matched and the stored
	// body; the copies made (Sales, DEFAULT) each queued in the same call
	// as its part.
	calls := rec.get()
	slices.SortFunc(calls, func(a, b journalCall) int { return int(a.m.MID - b.m.MID) })
	cfg := tdcConfig()
	if len(calls) != 3 {
		t.Fatalf("Journal calls: %+v", calls)
	}
	for i, want := range []store.MailPolicy{cfg.Incoming[0], cfg.Incoming[1], cfg.Incoming[2]} {
		if jc := calls[i]; jc.m.MID != int64(i+1) || jc.rule == nil || !reflect.DeepEqual(*jc.rule, want) {
			t.Errorf("Journal call %d: MID %d rule %+v, want MID %d rule %+v", i, jc.m.MID, jc.rule, i+1, want)
		}
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

// TestRelayedMailSplitsByOutgoingTable: mail received under RELAY is
// split by the outgoing table and offered with its policy and Relayed
// set (tdc never journals it: TestWhichPartsAreJournaled).
func TestRelayedMailSplitsByOutgoingTable(t *testing.T) {
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
	calls := rec.get()
	if len(calls) != 1 || !calls[0].m.Relayed || calls[0].rule == nil || !reflect.DeepEqual(*calls[0].rule, cfg.Outgoing[0]) {
		t.Errorf("Journal calls %+v, want one for the relayed message with the outgoing DEFAULT %+v", calls, cfg.Outgoing[0])
	}
}

func TestNothingJournaledWhenNotQueued(t *testing.T) {
	rec := journalRecorder{intakes: map[string]string{"Sales": "sales@intake.test", "DEFAULT": "journal@intake.test"}}
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
	if e.hasLog("queued for delivery") || e.hasLog("journal copy of") {
		t.Errorf("a part that was not queued was logged as queued:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
	// The copies' lives, begun before the write, end with it.
	for _, mid := range []int{3, 4} {
		made, aborted := fmt.Sprintf("Info: copy MID %d of MID ", mid), fmt.Sprintf("Info: Message aborted MID %d Receiving aborted", mid)
		if !e.hasLog(made) || !e.hasLog(aborted) {
			t.Errorf("copy MID %d: want its made line and %q:\n%s", mid, aborted, strings.Join(e.log.Lines(), "\n"))
		}
	}
}
