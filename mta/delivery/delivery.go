// Package delivery sends queued mail on (SPEC 5). One scheduler goroutine
// owns the per-destination queues and decides what to attempt when
// (STYLE 1); workers run the SMTP transactions and report back. Every
// attempt is recorded in the durable queue before dialling (STYLE 2).
package delivery

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"seg/mta/counters"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// Queue is what delivery needs of the durable queue (mta/queue).
type Queue interface {
	NextMID() int64
	NextDCID() int64
	// Enqueue stores a new message (a DSN); it is durable on return.
	Enqueue(m *queue.Message, body []byte) error
	// EnqueueWarning stores a delay warning and counts it on the
	// recipients it reports, in one durable write (warn.go).
	EnqueueWarning(m *queue.Message, body []byte, w queue.Warned) error
	Body(mid int64) ([]byte, error)
	// Attempt durably records an attempt (attempts+1, next retry time)
	// before the connection is made.
	Attempt(mid int64, rids []int, next time.Time) error
	// Update records recipient states after an attempt.
	Update(mid int64, ups []queue.Update) error
	Messages() []*queue.Message
	Get(mid int64) (*queue.Message, bool)
}

// Timeouts bound each step of an attempt. Zero fields take the defaults
// (RFC 5321 section 4.5.3.2 for the SMTP ones).
type Timeouts struct {
	Connect time.Duration // TCP connect, per address (30s)
	Command time.Duration // greeting and each command's reply (5m)
	Data    time.Duration // the reply to the final dot (10m)
	DNS     time.Duration // the route lookup (30s)
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Connect, 30*time.Second)
	def(&t.Command, 5*time.Minute)
	def(&t.Data, 10*time.Minute)
	def(&t.DNS, 30*time.Second)
	return t
}

// Deps is everything delivery uses, passed in by whoever wires the MTA.
type Deps struct {
	Config   func() *store.Config // the running configuration, taken once per attempt
	Queue    Queue
	Counters *counters.Counters
	Log      maillog.Logger
	// BounceLog, if set, gets one line per bounced or delayed recipient
	// in AsyncOS's bounce log form (bouncelog.go).
	BounceLog maillog.Logger
	Resolver  func(*store.Config) dns.Resolver
	Now       func() time.Time
	Dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialFrom dials from a local address (destconfig source_ip); nil
	// binds a net.Dialer to it.
	DialFrom func(ctx context.Context, local netip.Addr, network, addr string) (net.Conn, error)
	Hostname func() string // EHLO name and DSN Reporting-MTA
	Timeouts
	// Retry chooses the retry policy for a message; nil uses the bounce
	// profile of the destination (NewProfilePolicy). The Threat Defense
	// Connector installs its retry table here for queue.KindTDC.
	Retry func(cfg *store.Config, m *queue.Message, dest string) RetryPolicy
	// Special gives the rules of the appliance's own destination queues
	// (the.tdc.queue); nil, or a nil result, means an ordinary one.
	Special func(dest string) Special
	// Busy reports whether the machine's CPU is saturated (mta/cpuload);
	// while it is and ordinary mail is being delivered, Special queues
	// hold their items (Special.Hold). nil: never busy.
	Busy func() bool
}

// Delivery is the outbound side of the MTA.
type Delivery struct {
	d Deps
	t Timeouts

	kick    chan struct{} // capacity 1: "look again"
	results chan *result
	ops     chan func()
	quit    chan struct{} // closed by Close: start nothing new
	done    chan struct{} // closed when the scheduler has returned

	mu      sync.Mutex
	pending []*queue.Message // handed over by Notify, taken by the scheduler
	started bool
	closed  bool

	// abandon is cancelled when Close runs out of time: in-flight
	// attempts stop, and their recipients stay Attempted in the queue.
	abandonCtx context.Context
	abandon    context.CancelFunc

	lim *limiter // destination limits, shared by the scheduler and the workers
	s   *sched   // owned by the scheduler goroutine

	mats   materials // outbound TLS roots and client certificate (tls.go)
	alerts alerts    // when each destination last raised the TLS alert (alert.go)
}

// New makes a Delivery; call Start to run it.
func New(d Deps) *Delivery {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Dial == nil {
		var nd net.Dialer
		d.Dial = nd.DialContext
	}
	if d.DialFrom == nil {
		d.DialFrom = func(ctx context.Context, local netip.Addr, network, addr string) (net.Conn, error) {
			nd := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0))}
			return nd.DialContext(ctx, network, addr)
		}
	}
	if d.Hostname == nil {
		d.Hostname = func() string { return d.Config().System.Hostname }
	}
	if d.Retry == nil {
		d.Retry = func(cfg *store.Config, _ *queue.Message, dest string) RetryPolicy {
			return NewProfilePolicy(cfg, dest)
		}
	}
	x := &Delivery{
		d:       d,
		t:       d.Timeouts.withDefaults(),
		kick:    make(chan struct{}, 1),
		results: make(chan *result),
		ops:     make(chan func()),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	x.abandonCtx, x.abandon = context.WithCancel(context.Background())
	x.lim = newLimiter(d.Now, d.Log)
	x.s = newSched(x)
	return x
}

// Start runs the scheduler with the messages the queue recovered at open.
func (x *Delivery) Start(recovered []*queue.Message) {
	x.mu.Lock()
	if x.started || x.closed {
		x.mu.Unlock()
		return
	}
	x.started = true
	x.pending = append(append([]*queue.Message(nil), recovered...), x.pending...)
	x.mu.Unlock()
	go x.s.run()
	x.poke()
}

// Notify hands over a newly queued message. It never blocks; a MID the
// scheduler already knows is ignored.
func (x *Delivery) Notify(m *queue.Message) {
	x.mu.Lock()
	if !x.closed {
		x.pending = append(x.pending, m)
	}
	x.mu.Unlock()
	x.poke()
}

func (x *Delivery) poke() {
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

func (x *Delivery) takePending() []*queue.Message {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.pending
	x.pending = nil
	return p
}

// Close stops delivery: nothing new starts, in-flight attempts may finish
// until ctx is done; then they are abandoned (their connections closed),
// and their recipients stay Attempted, to be retried after a restart.
// Close returns when every worker has stopped.
func (x *Delivery) Close(ctx context.Context) error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	started := x.started
	x.mu.Unlock()
	close(x.quit)
	if !started {
		x.abandon()
		return nil
	}
	select {
	case <-x.done:
		x.abandon()
		return nil
	case <-ctx.Done():
		x.abandon()
		<-x.done
		return ctx.Err()
	}
}

// do runs f in the scheduler goroutine and waits for it; it reports false
// when the scheduler is not running.
func (x *Delivery) do(f func()) bool {
	x.mu.Lock()
	started := x.started
	x.mu.Unlock()
	if !started {
		return false
	}
	done := make(chan struct{})
	select {
	case x.ops <- func() { f(); close(done) }:
		<-done
		return true
	case <-x.done:
		return false
	case <-x.quit:
		return false
	}
}
