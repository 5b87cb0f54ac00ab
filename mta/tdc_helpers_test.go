package mta

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/aslog"
	"seg/internal/segtest"
	"seg/mta/delivery"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/tdc"
	"seg/store"
)

// The Threat Defense Connector wired into the whole MTA: real listeners,
// queue and delivery, go-smtp sinks as destination and message intake,
// and a fake clock for the retry wait and the 120 s.

// teeLog keeps lines in memory for the tests and in mail_logs for
// findevent.
type teeLog struct {
	mem  *maillog.Memory
	file *aslog.Log
}

func (l teeLog) Info(f string, a ...any) {
	l.mem.Info(f, a...)
	l.file.Info(f, a...)
}

func (l teeLog) Warning(f string, a ...any) {
	l.mem.Warning(f, a...)
	l.file.Warning(f, a...)
}

func (l teeLog) Flush() error { return l.file.Flush() }

type tdcEnv struct {
	t      *testing.T
	m      *MTA
	clk    *segtest.Clock // Start's Now
	log    *maillog.Memory
	dest   *segtest.Sink // example.test, .example.test, elsewhere.test
	intake *segtest.Sink // intake.test unless the test routes it elsewhere
	addr   string        // the listener
	opts   Options       // what Start was given, for restart
}

var tdcT0 = time.Date(2026, 3, 5, 14, 21, 4, 0, time.Local)

// tdcSetup describes an environment.
type tdcSetup struct {
	intake segtest.SinkOptions
	// intakeRoute replaces the intake sink in the intake.test route
	// ("" keeps it; "-" drops the route, so that intake.test goes to DNS).
	intakeRoute string
	edit        func(cfg *store.Config)
}

// newTDCEnv starts an MTA whose listener takes mail from 127.0.0.1 as
// incoming (ALLOWED_LIST, $TRUSTED) and from 127.0.0.2 as relayed
// (RELAYLIST), accepts example.test and its subdomains, journals the
// incoming table's DEFAULT to journal@intake.test, and routes by
// smtproutes to the sinks.
func newTDCEnv(t *testing.T, su tdcSetup) *tdcEnv {
	t.Helper()
	e := &tdcEnv{t: t, clk: segtest.NewClock(tdcT0), log: &maillog.Memory{}}
	e.dest = segtest.NewSink(t, segtest.SinkOptions{})
	e.intake = segtest.NewSink(t, su.intake)
	// Whatever fails, the log shows why.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail_logs:\n%s", strings.Join(e.log.Lines(), "\n"))
		}
	})

	cfg := store.Default("seg.test", "")
	l := &cfg.Listeners[0]
	l.Port = 0
	for i := range l.HAT.SenderGroups {
		g := &l.HAT.SenderGroups[i]
		switch g.Name {
		case "RELAYLIST":
			g.Members = []string{"127.0.0.2"}
		case "ALLOWED_LIST":
			g.Members = []string{"127.0.0.1"}
		}
	}
	l.RAT = []store.RATEntry{
		{Entry: "example.test", Action: store.RATAccept},
		{Entry: ".example.test", Action: store.RATAccept},
		{Entry: "ALL", Action: store.RATReject},
	}
	intakeRoute := e.intake.Addr()
	if su.intakeRoute != "" {
		intakeRoute = su.intakeRoute
	}
	cfg.System.Routes = []store.SMTPRoute{
		{Domain: "example.test", Hosts: []string{e.dest.Addr()}},
		{Domain: ".example.test", Hosts: []string{e.dest.Addr()}},
		{Domain: "elsewhere.test", Hosts: []string{e.dest.Addr()}},
	}
	if intakeRoute != "-" {
		cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "intake.test", Hosts: []string{intakeRoute}})
	}
	cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "journal@intake.test"}
	for i := range cfg.Incoming {
		if cfg.Incoming[i].Name == store.DefaultPolicyName {
			cfg.Incoming[i].TDC = store.TDCDefault
		}
	}
	if su.edit != nil {
		su.edit(cfg)
	}

	dir := t.TempDir()
	file, err := aslog.Open(dir, "mail_logs", aslog.Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	e.opts = Options{
		DataDir:   dir,
		Store:     store.NewMemory(cfg),
		Log:       teeLog{mem: e.log, file: file},
		LogDir:    dir,
		Now:       e.clk.Now,
		Resolvers: func(*store.Config) dns.Resolver { return &dns.Fake{} },
	}
	e.start()
	t.Cleanup(func() { e.close() })
	return e
}

// start starts the MTA on e.opts: its queue, its listener.
func (e *tdcEnv) start() {
	e.t.Helper()
	m, err := Start(e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.m = m
	for _, ls := range m.Listening() {
		e.addr = fmt.Sprintf("%s:%d", ls.Address, ls.Port)
	}
}

func (e *tdcEnv) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.Close(ctx); err != nil {
		e.t.Errorf("Close: %v", err)
	}
}

// testBody is what the clients send: CRLF lines, a dot line and a line
// starting with one (transparency), 8-bit text.
const testBody = "From: Alice <alice@client.test>\r\n" +
	"To: a@example.test\r\n" +
	"Message-ID: <m1@client.test>\r\n" +
	"Subject: Quarterly report\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	".leading dot\r\n" +
	".\r\n" +
	"caf\xc3\xa9\r\n" +
	"last line\r\n"

// send delivers messages over one SMTP session from 127.0.0.1, saying
// EHLO client.test, and returns their MIDs.
func (e *tdcEnv) send(n int, from string, rcpts []string, body string) []int64 {
	e.t.Helper()
	return segtest.Client{}.SendN(e.t, e.addr, n, from, rcpts, []byte(body))
}

// sendFrom sends one message from the loopback address src.
func sendFrom(t *testing.T, addr, src, from string, rcpts []string, body string) {
	t.Helper()
	if _, err := (segtest.Client{LocalIP: src}).Send(addr, from, rcpts, []byte(body)); err != nil {
		t.Fatalf("sending from %s: %v", src, err)
	}
}

// freeLoopbackPort returns "127.0.0.1:PORT" where nothing listens.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(segtest.FreePort(t)))
}

// wait polls cond until it holds, failing after 20 s.
func (e *tdcEnv) wait(what string, cond func() bool) {
	e.t.Helper()
	segtest.Wait(e.t, 20*time.Second, what, cond)
}

// count is how many mail_logs lines contain every one of subs.
func (e *tdcEnv) count(subs ...string) int { return len(segtest.Grep(e.log.Lines(), subs...)) }

// waitLog waits for a line containing every one of subs.
func (e *tdcEnv) waitLog(subs ...string) {
	e.t.Helper()
	e.wait(fmt.Sprintf("a line with %q", subs), func() bool { return e.count(subs...) > 0 })
}

// mustLog fails unless each line was logged exactly ("Info: ..." or
// "Warning: ...").
func (e *tdcEnv) mustLog(lines ...string) {
	e.t.Helper()
	segtest.MustLog(e.t, e.log.Lines(), lines...)
}

// waitEmpty waits until the delivery queue is empty and every
// connection closed.
func (e *tdcEnv) waitEmpty() {
	e.t.Helper()
	e.wait("an empty queue", func() bool {
		w := e.m.delivery.WorkQueue()
		return w.Messages == 0 && w.Connections == 0 && len(e.m.queue.Messages()) == 0
	})
}

// tick moves the fake clock and has delivery look at it.
func (e *tdcEnv) tick(d time.Duration) {
	e.clk.Advance(d)
	e.m.delivery.Wake()
}

// copyState is the queued journal copy's recipient as the scheduler has
// it once it has looked at the clock (after a tick): each WorkQueue runs
// in the scheduler between two rounds of dispatch.
func (e *tdcEnv) copyState() delivery.RcptInfo {
	e.t.Helper()
	e.m.delivery.WorkQueue()
	e.m.delivery.WorkQueue()
	for _, r := range e.m.delivery.Recipients(delivery.Selector{Domain: tdc.Host}) {
		return r
	}
	e.t.Fatalf("no journal copy in the queue")
	return delivery.RcptInfo{}
}

// command runs a shell mail command (a MailSystem method call, named
// for failure messages) and returns its output.
func (e *tdcEnv) command(name string, run func(w io.Writer) error) string {
	e.t.Helper()
	var b bytes.Buffer
	if err := run(&b); err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return b.String()
}

// copyOf is the MID of orig's journal copy, read from the copy's
// generated line (tdc.LogGenerated).
func (e *tdcEnv) copyOf(orig int64) int64 {
	e.t.Helper()
	for _, l := range e.log.Lines() {
		if c, o, ok := tdc.ParseGenerated(l); ok && o == orig {
			return c
		}
	}
	e.t.Fatalf("no journal copy of MID %d in mail_logs", orig)
	return 0
}
