package smtpd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"seg/internal/address"
	"seg/mta/counters"
	"seg/mta/queue"
	"seg/mta/ratelimit"
	"seg/store"
)

// trace (SPEC 13, AsyncOS's message-flow debugger) runs one SMTP session
// through this package's own code, connect (the HAT) and the command
// loop with its session (sender verification, SPF, RAT, limits, DKIM,
// DMARC, the mail-policy split), over an in-memory pipe whose far end
// plays the client. Nothing is queued and nothing is counted: the
// session runs on a Server of its own whose queue only records what it
// is given, with fresh counters and rate windows, and whose log is kept
// for the report. So the replies the trace shows are the ones the real
// session gives, by construction, not by a second implementation that
// could drift.
//
// What it cannot share with a real client: the rate windows start empty
// (the traced recipients do not count against the live ones, nor do the
// live ones against them), and the client neither starts TLS nor
// authenticates (a policy that requires either shows its refusal).

// TraceInput is one envelope to trace.
type TraceInput struct {
	Config   *store.Config // the configuration to trace under (candidate or running)
	Listener string        // its name; "": the first listener
	IP       netip.Addr    // the client's address
	Port     int           // the client's source port (logs only); 0: 25000
	// FQDN is the client's host name as the administrator says it is,
	// taken as its verified reverse DNS; "": looked up, as at connect.
	FQDN string
	// SBRS is the client's SenderBase Reputation Score as the
	// administrator says it is; nil: looked up in the SBRS zones.
	SBRS    *float64
	HELO    string
	From    string   // "": the null reverse-path <>
	Rcpts   []string // as the client would write them, without <>
	Message []byte   // the message data, CRLF or LF line ends, no dot-stuffing
	// Journal makes the journal copier of the traced session from its
	// MID source (nil: no journaling).
	Journal func(newMID func() int64) JournalFunc
}

// TraceStep is one command the client sent and the reply it got
// (several lines joined by "\n", without line ends). The banner's
// command is "".
type TraceStep struct{ Command, Reply string }

// TraceDecision is the HAT's decision for the client, re-derived with
// the connection's own matcher (hatTable.match). Group is the sender
// group's name ("ALL" for the ALL row, which mail_logs writes "None");
// Policy is "" when nothing matched.
type TraceDecision struct {
	Group, Member, Policy, Behavior string
	Flow                            store.FlowSettings
	SBRS                            string // as the HAT log line writes it
}

// TraceRcpt is the RAT's view of one recipient.
type TraceRcpt struct {
	Addr     string          // canonical, as the RAT and the queue see it; the input when it does not parse
	Reply    string          // the RCPT reply ("" when the session ended before it)
	Accepted bool            // 250
	RAT      *store.RATEntry // the entry that matched; nil: none or relayed
	Relayed  bool            // RELAY policy: the RAT is not consulted
}

// TraceResult is what the session did.
type TraceResult struct {
	Listener *store.Listener
	RDNS     string
	Verified bool
	Decision TraceDecision
	Steps    []TraceStep
	Rcpts    []TraceRcpt
	// Queued are the messages the session would have queued: one per
	// mail policy its recipients fall under (Message.Policy), then the
	// journal copies (Kind journal).
	Queued []*queue.Message
	Log    []string // the mail_logs lines, "Info: ..." / "Warning: ..."
}

// traceTimeout bounds one traced session; the DNS lookups inside have
// their own, shorter, budgets (dnsBudget, senderVerifyTimeout).
const traceTimeout = 2 * time.Minute

// Trace runs in's envelope through a session of in.Config without
// queueing it.
func (s *Server) Trace(ctx context.Context, in TraceInput) (*TraceResult, error) {
	cfg := in.Config
	if cfg == nil {
		return nil, errors.New("trace: no configuration")
	}
	lc := traceListener(cfg, in.Listener)
	if lc == nil {
		if in.Listener == "" {
			return nil, errors.New("There are no listeners configured.")
		}
		return nil, fmt.Errorf("No listener named %s.", in.Listener)
	}
	if !in.IP.IsValid() {
		return nil, errors.New("trace: no source IP address")
	}
	rec := &traceLog{}
	q := &traceQueue{}
	d := s.d
	d.Queue, d.Log, d.DMARCRecord, d.Authenticate = q, rec, nil, nil
	d.Counters = counters.New(d.Now, nil)
	d.Rates = ratelimit.NewRates(d.Now)
	d.Journal = nil
	if in.Journal != nil {
		d.Journal = in.Journal(q.NextMID)
	}
	if in.FQDN != "" {
		name := strings.TrimSuffix(strings.ToLower(in.FQDN), ".")
		d.ReverseDNS = func(context.Context, netip.Addr) (string, bool) { return name, true }
	}
	dry := New(d)
	dry.sbrs = in.SBRS
	l := &listener{s: dry, name: lc.Name, addr: lc.Address, port: lc.Port, perIP: map[netip.Addr]int{}, sessions: map[*conn]*slot{}}
	dkim, _ := compileDKIMKeys(&cfg.DomainKeys, nil)
	b := &binding{cfg: cfg, lc: lc, hat: compileHAT(&lc.HAT), tls: l.applyTLS(cfg, lc), lim: lc.ConnLimits.OrDefaults(), dkim: dkim}
	l.cur.Store(b)
	rec.reset() // applyTLS's warnings are the commit's, not the session's

	res := &TraceResult{Listener: lc}
	res.Decision, res.RDNS, res.Verified = traceDecision(ctx, dry, b, in.IP)

	ctx, cancel := context.WithTimeout(ctx, traceTimeout)
	defer cancel()
	srv, cli := net.Pipe()
	port := in.Port
	if port == 0 {
		port = 25000
	}
	raw := &tracePipe{Conn: srv,
		local:  &net.TCPAddr{IP: net.ParseIP(listenerIP(lc)), Port: lc.Port},
		remote: &net.TCPAddr{IP: in.IP.AsSlice(), Port: port}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dry.connect(l, raw)
	}()
	if dl, ok := ctx.Deadline(); ok {
		cli.SetDeadline(dl)
	}
	traceClient(cli, in, res, lc)
	cli.Close()
	<-done
	res.Queued = q.queued()
	res.Log = rec.lines()
	return res, nil
}

// traceListener finds the listener by name (case-insensitive), or the
// first one.
func traceListener(cfg *store.Config, name string) *store.Listener {
	for i := range cfg.Listeners {
		if name == "" || strings.EqualFold(cfg.Listeners[i].Name, name) {
			return &cfg.Listeners[i]
		}
	}
	return nil
}

// listenerIP is the listener's address as a connection to it shows it;
// a wildcard address is shown as the loopback address.
func listenerIP(lc *store.Listener) string {
	if a, err := netip.ParseAddr(lc.Address); err == nil && !a.IsUnspecified() {
		return a.String()
	}
	return "127.0.0.1"
}

// traceDecision asks the listener's HAT about ip as connect does, with
// the same matcher and the same DNS.
func traceDecision(ctx context.Context, s *Server, b *binding, ip netip.Addr) (TraceDecision, string, bool) {
	ctx, cancel := context.WithTimeout(ctx, dnsBudget)
	defer cancel()
	hd := s.hostDNS(ctx, b.cfg, ip)
	hd.log = nil // the session logs its own lookups
	rdns, verified := hd.reverse()
	dec := b.hat.match(ip, hd)
	return TraceDecision{Group: dec.Group, Member: dec.Member, Policy: dec.Policy, Behavior: dec.Behavior,
		Flow: *dec.Flow, SBRS: hd.sbrsText(dec.Flow)}, rdns, verified
}

// traceClient plays the client: banner, EHLO, MAIL, each RCPT, DATA
// when a recipient was accepted, QUIT. It stops where the session
// refuses to go on.
func traceClient(cli net.Conn, in TraceInput, res *TraceResult, lc *store.Listener) {
	br := bufio.NewReader(cli)
	closed := false // the server hung up: nothing more to send
	step := func(cmd string) (string, bool) {
		if cmd != "" {
			if _, err := cli.Write([]byte(cmd + "\r\n")); err != nil {
				closed = true
				res.Steps = append(res.Steps, TraceStep{cmd, "(connection closed)"})
				return "", false
			}
		}
		reply, err := readReply(br)
		if err != nil {
			closed = true
			if reply == "" {
				reply = "(connection closed)"
			}
			res.Steps = append(res.Steps, TraceStep{cmd, reply})
			return reply, false
		}
		res.Steps = append(res.Steps, TraceStep{cmd, reply})
		return reply, true
	}
	defer func() {
		if !closed {
			step("QUIT")
		}
	}()
	if r, ok := step(""); !ok || !strings.HasPrefix(r, "2") {
		return
	}
	if r, ok := step("EHLO " + in.HELO); !ok || !strings.HasPrefix(r, "2") {
		return
	}
	if r, ok := step("MAIL FROM:<" + in.From + ">"); !ok || !strings.HasPrefix(r, "2") {
		return
	}
	accepted := 0
	for _, a := range in.Rcpts {
		rc := TraceRcpt{Addr: a}
		if p, err := address.ParseForwardPath("<" + a + ">"); err == nil {
			rc.Addr = p.Mailbox.String()
		}
		if res.Decision.Behavior == store.BehaviorRelay {
			rc.Relayed = true
		} else {
			rc.RAT = matchRAT(lc.RAT, rc.Addr)
		}
		r, ok := step("RCPT TO:<" + a + ">")
		rc.Reply, rc.Accepted = r, ok && strings.HasPrefix(r, "250")
		res.Rcpts = append(res.Rcpts, rc)
		if rc.Accepted {
			accepted++
		}
		if !ok {
			return
		}
	}
	if accepted == 0 {
		return
	}
	if r, ok := step("DATA"); !ok || !strings.HasPrefix(r, "354") {
		return
	}
	if _, err := cli.Write(traceData(in.Message)); err != nil {
		return
	}
	step(".")
}

// readReply reads one reply, its lines joined by "\n".
func readReply(br *bufio.Reader) (string, error) {
	var lines []string
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			lines = append(lines, line)
		}
		if err != nil {
			return strings.Join(lines, "\n"), err
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n"), nil
		}
	}
}

// traceData makes message data of msg (RFC 5321 section 4.5.2): CRLF line
// ends, a leading dot doubled, a last line ended. The terminating "."
// is the step that follows.
func traceData(msg []byte) []byte {
	text := strings.ReplaceAll(string(msg), "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// tracePipe is the server end of the pipe, with the addresses of the
// connection it plays.
type tracePipe struct {
	net.Conn
	local, remote net.Addr
}

func (p *tracePipe) LocalAddr() net.Addr  { return p.local }
func (p *tracePipe) RemoteAddr() net.Addr { return p.remote }

// traceQueue numbers messages and keeps what it is given.
type traceQueue struct {
	mu   sync.Mutex
	mid  int64
	icid int64
	msgs []*queue.Message
}

func (q *traceQueue) NextMID() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.mid++
	return q.mid
}

func (q *traceQueue) NextICID() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.icid++
	return q.icid
}

func (q *traceQueue) EnqueueWith(m *queue.Message, _ []byte, derived ...queue.Derived) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, m)
	for _, d := range derived {
		q.msgs = append(q.msgs, d.Msg)
	}
	return nil
}

// SpaceLow: a trace stores nothing, so it never runs out of space.
func (q *traceQueue) SpaceLow(int64) bool { return false }

func (q *traceQueue) queued() []*queue.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*queue.Message(nil), q.msgs...)
}

// traceLog keeps the session's mail_logs lines.
type traceLog struct {
	mu sync.Mutex
	l  []string
}

func (t *traceLog) Info(f string, a ...any)    { t.add("Info: " + fmt.Sprintf(f, a...)) }
func (t *traceLog) Warning(f string, a ...any) { t.add("Warning: " + fmt.Sprintf(f, a...)) }

func (t *traceLog) add(line string) {
	t.mu.Lock()
	t.l = append(t.l, line)
	t.mu.Unlock()
}

func (t *traceLog) reset() {
	t.mu.Lock()
	t.l = nil
	t.mu.Unlock()
}

func (t *traceLog) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.l...)
}
