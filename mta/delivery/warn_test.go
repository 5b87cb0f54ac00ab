package delivery

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/counters"
	"seg/mta/queue"
	"seg/store"
)

// EnqueueWarning queues the warning and counts it on the original, as
// the durable queue does in one write.
func (q *memQueue) EnqueueWarning(m *queue.Message, body []byte, w queue.Warned) error {
	if err := q.Enqueue(m, body); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if o := q.msgs[w.MID]; o != nil {
		for _, rid := range w.RIDs {
			if rc := &o.Rcpts[rid]; !rc.State.Final() {
				rc.Warnings++
				rc.LastWarned = w.At
			}
		}
	}
	return nil
}

// warnings returns the delay warnings queued so far about mid.
func (q *memQueue) warnings(mid int64) []*queue.Message {
	var out []*queue.Message
	for _, b := range q.bounces() {
		if b.OrigMID == mid && b.Subject == warnSubject {
			out = append(out, b)
		}
	}
	return out
}

func warnProfile(count, interval, retry string) func(*store.Config) {
	return func(c *store.Config) {
		p := c.Bounce[0].Params
		p["send_warnings"] = "on"
		p["send_warnings_count"] = count
		p["send_warnings_interval"] = interval
		p["initial_retry"] = retry
		p["max_retry_timeout"] = retry
	}
}

// softServer refuses every recipient at example.test with 451 and
// accepts the rest (the senders' mail: DSNs).
func softServer(t *testing.T) *smtpServer {
	srv := newSMTPServer(t, nil)
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(to string) error {
			if strings.HasSuffix(to, "@example.test") {
				return smtpErr(451, smtp.EnhancedCode{4, 3, 2}, "try again later")
			}
			return nil
		}
	})
	return srv
}

// TestDelayWarningSchedule: with a fake clock, a recipient that keeps
// soft-failing gets a delay warning no sooner than the interval after
// arrival and after the previous one, at most count times; the warning
// is an RFC 3464 "delayed" DSN to the sender, logged and counted as a
// generated bounce.
func TestDelayWarningSchedule(t *testing.T) {
	srv := softServer(t)
	h := newHarness(t, edits(viaRoute("example.test", srv), viaRoute("src.test", srv), warnProfile("2", "600", "300")))
	h.start()
	mid := h.send("alice@src.test", "bob@example.test", "carol@example.test")
	attempt := func(n int) {
		t.Helper()
		h.waitIdle(fmt.Sprintf("attempt %d", n), func() bool {
			return len(h.lines("Delayed:", fmt.Sprintf(" MID %d From: <alice@src.test> To: <bob@example.test> RID 0 ", mid))) == n
		})
	}
	// Attempts every 300 s; warnings due at 600 s and 1200 s.
	wantWarnings := []int{0, 0, 1, 1, 2, 2, 2}
	for i, want := range wantWarnings {
		if i > 0 {
			h.tick(300 * time.Second)
		}
		attempt(i + 1)
		if got := len(h.q.warnings(mid)); got != want {
			t.Fatalf("after attempt %d (t0+%ds): %d warnings, want %d", i+1, 300*i, got, want)
		}
	}
	m, _ := h.q.Get(mid)
	for _, rc := range m.Rcpts {
		if rc.Warnings != 2 || !rc.LastWarned.Equal(t0.Add(1200*time.Second)) {
			t.Errorf("RID %d: %d warnings, last at %v; want 2, the last at t0+1200s", rc.RID, rc.Warnings, rc.LastWarned)
		}
	}
	w := h.q.warnings(mid)[0]
	if w.From != "" || w.Kind != queue.KindBounce || !slices.Equal([]string{w.Rcpts[0].Addr}, []string{"alice@src.test"}) {
		t.Errorf("warning envelope = %+v", w)
	}
	body := h.q.body(w.MID)
	// One warning covers both recipients delayed in that attempt.
	for _, want := range []string{
		"Subject: Delivery Status Notification (Delay)", "Action: delayed", "Status: 4.3.2",
		"Final-Recipient: rfc822; bob@example.test", "Final-Recipient: rfc822; carol@example.test",
		"Diagnostic-Code: smtp; 451 4.3.2 try again later",
		"Will-Retry-Until: " + t0.Add(72*time.Hour).Format(time.RFC1123Z),
		"has not yet been delivered",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("warning lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Action: failed") {
		t.Errorf("a warning reports a failure:\n%s", body)
	}
	h.mustLog(
		fmt.Sprintf("Info: MID %d was generated for bounce of MID %d", w.MID, mid),
		fmt.Sprintf("Info: MID %d Subject 'Delivery Status Notification (Delay)'", w.MID),
	)
	if s := h.ctr.Snapshot(); s.Uptime[counters.GenBounceRecipients] != 2 {
		t.Errorf("Gen. Bounce Recipients = %d, want 2", s.Uptime[counters.GenBounceRecipients])
	}
	// The warnings went out, with the null sender.
	h.waitIdle("the warnings delivered", func() bool {
		n := 0
		for _, r := range srv.received() {
			if r.from == "" && strings.Contains(r.data, "Action: delayed") {
				n++
			}
		}
		return n == 2
	})
	if st := h.q.state(mid, 0); st != queue.Attempted {
		t.Errorf("the warned message is in state %d, want still queued", st)
	}
}

// TestDelayWarningWho: none for the null sender or with send_warnings
// off; the profile's bounce address gets them instead of the sender,
// as plain text with use_dsn_bounce_format off.
func TestDelayWarningWho(t *testing.T) {
	srv := softServer(t)
	h := newHarness(t, edits(viaRoute("example.test", srv), viaRoute("src.test", srv), warnProfile("1", "60", "60"),
		func(c *store.Config) {
			c.Bounce = append(c.Bounce, store.BounceProfile{Name: "quiet", Params: store.Params{"send_warnings": "off"}})
			c.Bounce = append(c.Bounce, store.BounceProfile{Name: "admin", Params: store.Params{
				"bounce_address": "postmaster@src.test", "use_dsn_bounce_format": "off"}})
		},
		destParams("quiet.example.test", store.Params{"bounce_profile": "quiet"}),
		viaRoute("quiet.example.test", srv),
		destParams("admin.example.test", store.Params{"bounce_profile": "admin"}),
		viaRoute("admin.example.test", srv),
	))
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(to string) error {
			if strings.Contains(to, "example.test") {
				return smtpErr(451, smtp.EnhancedCode{4, 3, 2}, "try again later")
			}
			return nil
		}
	})
	h.start()
	null := h.send("", "bob@example.test")
	quiet := h.send("alice@src.test", "bob@quiet.example.test")
	admin := h.send("alice@src.test", "bob@admin.example.test")
	for i := range 3 {
		if i > 0 {
			h.tick(60 * time.Second)
		}
		h.waitIdle(fmt.Sprintf("attempt %d", i+1), func() bool {
			for _, mid := range []int64{null, quiet, admin} {
				if len(h.lines("Delayed:", fmt.Sprintf(" MID %d From: ", mid))) != i+1 {
					return false
				}
			}
			return true
		})
	}
	if w := h.q.warnings(null); len(w) != 0 {
		t.Errorf("a <> sender got %d delay warnings", len(w))
	}
	if w := h.q.warnings(quiet); len(w) != 0 {
		t.Errorf("send_warnings off (profile quiet), yet %d delay warnings", len(w))
	}
	w := h.q.warnings(admin)
	if len(w) != 1 || w[0].Rcpts[0].Addr != "postmaster@src.test" {
		t.Fatalf("profile admin: warnings %+v, want one to postmaster@src.test", w)
	}
	body := h.q.body(w[0].MID)
	if !strings.Contains(body, "Content-Type: text/plain") || !strings.Contains(body, "<bob@admin.example.test>: 4.3.2") {
		t.Errorf("plain warning:\n%s", body)
	}
}

// TestCommitAppliesToQueued (SPEC 11): a committed change of the bounce
// profile reaches mail already waiting: a shorter max_retry_timeout
// brings the retry forward, a shorter max_queue_lifetime expires it on
// time, and delay warnings turned on are sent at the next soft failure.
func TestCommitAppliesToQueued(t *testing.T) {
	srv := softServer(t)
	h := newHarness(t, edits(viaRoute("example.test", srv), viaRoute("src.test", srv), func(c *store.Config) {
		c.Bounce[0].Params["initial_retry"] = "3600"
	}))
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	attempts := func(n int) {
		t.Helper()
		h.waitIdle(fmt.Sprintf("attempt %d", n), func() bool { return len(h.lines("Delayed:", fmt.Sprintf("MID %d ", mid))) == n })
	}
	attempts(1) // retry at t0+3600
	commit := func(edit func(p store.Params)) {
		c := h.cfg.Load().Clone()
		edit(c.Bounce[0].Params)
		h.cfg.Store(c)
		h.x.Reconfigured()
	}
	h.tick(30 * time.Second)
	commit(func(p store.Params) {
		p["initial_retry"], p["max_retry_timeout"] = "120", "120"
		p["send_warnings"], p["send_warnings_interval"] = "on", "60"
	})
	// The retry moves to 120 s after the commit, from t0+3600.
	var next time.Time
	h.x.do(func() {
		h.x.s.dispatch()
		next = h.x.s.msgs[mid].items["example.test"].next
	})
	if want := t0.Add(150 * time.Second); !next.Equal(want) {
		t.Fatalf("retry at %v after the commit, want %v", next, want)
	}
	h.tick(120 * time.Second)
	attempts(2)
	if w := h.q.warnings(mid); len(w) != 1 {
		t.Fatalf("%d delay warnings after send_warnings was turned on, want 1", len(w))
	}
	// A lifetime that has already passed expires the message at once.
	commit(func(p store.Params) { p["max_queue_lifetime"] = "60" })
	h.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Expired {
		t.Fatalf("state %d, want Expired", st)
	}
	if n := len(h.lines("Delayed:", fmt.Sprintf("MID %d ", mid))); n != 2 {
		t.Errorf("%d attempts, want 2: expiry needs none", n)
	}
	b := h.q.bounces()
	if len(b) != 2 || b[1].Subject != "Delivery Status Notification (Failure)" {
		t.Errorf("DSNs %+v, want the warning then the expiry bounce", b)
	}
}
