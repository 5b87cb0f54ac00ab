package mta

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"seg/mta/counters"
	"seg/mta/delivery"
	"seg/mta/dmarcreport"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/mta/ratelimit"
	"seg/mta/smtpd"
	"seg/mta/tdc"
	"seg/mta/tracking"
	"seg/store"
)

// Options configure the MTA.
type Options struct {
	DataDir string // queue in DataDir/queue, counters in DataDir/counters.json
	Store   store.Store
	Log     maillog.Logger // mail_logs
	LogDir  string         // where mail_logs lives, for tail/grep
	// Tracking is message tracking's index of mail_logs (findevent),
	// fed by the log's writer; nil: findevent says it is not available.
	Tracking *tracking.Index
	// BounceLog is the bounce log (logconfig type bounces); nil: none.
	BounceLog maillog.Logger
	Now       func() time.Time
	// Dial overrides outbound dialling (tests); nil dials for real.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolvers overrides DNS (tests); nil builds resolvers from dnsconfig.
	Resolvers func(*store.Config) dns.Resolver
	// Busy reports whether the machine's CPU is saturated (a
	// cpuload.Meter): journal copies then give way to ordinary mail
	// (delivery.Deps.Busy). nil: never.
	Busy func() bool
	// Authenticate checks a user's password for SMTP AUTH (SPEC 10);
	// cmd/seg gives the SSH server's, so that both count toward one
	// account lockout (SPEC 7). nil: every AUTH fails.
	Authenticate func(user, password string) error
}

// MTA is the running mail system: listeners, queue, delivery, counters.
type MTA struct {
	o         Options
	cfg       atomic.Pointer[store.Config]
	queue     *queue.Queue
	counters  *counters.Counters
	smtpd     *smtpd.Server
	delivery  *delivery.Delivery
	dmarc     *dmarcreport.Collector
	stopWatch func()
	watchDone chan struct{}
	saveStop  chan struct{}
	saveDone  chan struct{}
	bindStop  chan struct{}
	bindDone  chan struct{}
	closeOnce sync.Once
	suspended atomic.Bool // suspenddel with no domain
	applied   appliedRevision
}

// Start opens the queue, starts delivery of what it recovered, binds the
// listeners of the running configuration and follows commits.
func Start(o Options) (*MTA, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	snap, err := o.Store.Current()
	if err != nil {
		return nil, err
	}
	// The lifetime counters ride on the queue's commits (lifetime.go).
	ctrs := counters.New(o.Now, loadLifetime(o.DataDir))
	q, err := queue.Open(filepath.Join(o.DataDir, "queue"), queue.Options{Now: o.Now, Logf: func(f string, a ...any) { o.Log.Warning(f, a...) },
		Stamper: lifetimeStamper{ctrs}})
	if err != nil {
		return nil, err
	}
	m := &MTA{o: o, queue: q, saveStop: make(chan struct{}), saveDone: make(chan struct{}),
		bindStop: make(chan struct{}), bindDone: make(chan struct{}), watchDone: make(chan struct{})}
	m.cfg.Store(snap.Config)
	m.applied.set(snap.Revision.Number)
	m.counters = ctrs
	resolvers := o.Resolvers
	if resolvers == nil {
		r := &dns.Resolvers{}
		resolvers = r.For
	}
	m.delivery = delivery.New(delivery.Deps{
		Config:    m.config,
		Queue:     q,
		Counters:  m.counters,
		Log:       o.Log,
		BounceLog: o.BounceLog,
		Resolver:  resolvers,
		Now:       o.Now,
		Dial:      o.Dial,
		// Journal copies: their own retry table, the.tdc.queue's
		// connections and log lines (SPEC 6).
		Retry:   tdc.RetryFor(nil),
		Special: tdc.SpecialFor,
		Busy:    o.Busy,
	})
	// DMARC aggregate reports (SPEC 12): records kept in DataDir/dmarc,
	// reports generated into the queue.
	m.dmarc, err = dmarcreport.Open(dmarcreport.Deps{Dir: filepath.Join(o.DataDir, "dmarc"), Config: m.config,
		Queue: q, Resolver: resolvers, Log: o.Log, Now: o.Now})
	if err != nil {
		q.Close()
		return nil, err
	}
	m.smtpd = smtpd.New(smtpd.Deps{
		Queue:    q,
		Counters: m.counters,
		Log:      o.Log,
		Now:      o.Now,
		Rates:    ratelimit.NewRates(o.Now), // one set for the process: commits keep the counts
		// tdc decides which parts of a message split by mail policy
		// are journaled, and makes their copies (SPEC 6).
		Journal:      tdc.Copier{NewMID: q.NextMID, Now: o.Now}.Copy,
		Authenticate: o.Authenticate,
		// Reverse DNS, the HAT's DNS members and envelope sender
		// verification (SPEC 10), through delivery's resolvers and so
		// their cache.
		Resolver:    resolvers,
		DMARCRecord: m.dmarc.Add,
	})
	q.SetNotify(m.delivery.Notify)
	m.delivery.Start(q.Recovered())
	if err := m.smtpd.Apply(snap.Config); err != nil {
		// A listener that cannot bind is reported; the others run.
		o.Log.Warning("Listener start failed: %v", err)
	}
	watch, stop := o.Store.Watch()
	m.stopWatch = stop
	go m.follow(watch)
	go m.saveLoop()
	go m.rebindLoop()
	m.dmarc.Start()
	return m, nil
}

func (m *MTA) config() *store.Config { return m.cfg.Load() }

// follow applies each committed configuration: listeners are reconciled,
// and delivery reads the new snapshot on its next attempt (and retimes
// queued mail under it at once).
func (m *MTA) follow(watch <-chan *store.Snapshot) {
	defer close(m.watchDone)
	for snap := range watch {
		m.cfg.Store(snap.Config)
		m.delivery.Reconfigured()
		if err := m.smtpd.Apply(snap.Config); err != nil {
			m.o.Log.Warning("Listener reconfiguration failed: %v", err)
		}
		m.applied.set(snap.Revision.Number)
		m.dmarc.Kick() // the report time may have changed
	}
}

// rebindInterval is how often listeners that could not bind their
// address try again.
const rebindInterval = 5 * time.Second

// rebindLoop retries the binds that failed (at start-up, or a reload
// onto a port taken after the commit check), so that a listener comes
// up once the port is free, with no commit needed.
func (m *MTA) rebindLoop() {
	defer close(m.bindDone)
	t := time.NewTicker(rebindInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for _, name := range m.smtpd.RetryBinds() {
				m.o.Log.Info("Listener %s is now listening on its configured address", name)
			}
		case <-m.bindStop:
			return
		}
	}
}

// Close stops accepting mail, lets sessions and deliveries in flight end
// until ctx is done (abandoned attempts stay in the queue and are retried
// after restart), then closes the queue.
func (m *MTA) Close(ctx context.Context) error {
	var errs []error
	m.closeOnce.Do(func() {
		m.stopWatch()
		<-m.watchDone
		close(m.bindStop)
		<-m.bindDone
		errs = append(errs, m.smtpd.Close(ctx))
		errs = append(errs, m.dmarc.Close())
		errs = append(errs, m.delivery.Close(ctx))
		close(m.saveStop)
		<-m.saveDone
		errs = append(errs, m.queue.Close())
	})
	return errors.Join(errs...)
}

// Listening returns the listeners' state (for tests and status).
func (m *MTA) Listening() []smtpd.ListenerStatus { return m.smtpd.Listeners() }

func (m *MTA) String() string { return fmt.Sprintf("mta(%s)", m.o.DataDir) }
