package dmarcreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"seg/internal/address"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// Queue is what the reports need from seg's queue: a report is a
// message seg generates, with its own MID, delivered like any other.
type Queue interface {
	NextMID() int64
	// Enqueue returns once the message is durable.
	Enqueue(m *queue.Message, body []byte) error
}

// Deps are the Collector's collaborators.
type Deps struct {
	Dir      string // where the records are kept (DATA/dmarc)
	Config   func() *store.Config
	Queue    Queue
	Resolver func(*store.Config) dns.Resolver // for the external destination check
	Log      maillog.Logger
	Now      func() time.Time
}

// Collector keeps the DMARC records of received mail (smtpd hands each
// over with Add, before the message's 250) and sends the aggregate
// reports once a day at dmarcconfig's report time, or when an
// administrator asks (Send).
type Collector struct {
	d Deps
	j *journal

	sendMu sync.Mutex // one reporting run at a time
	kick   chan struct{}
	quit   chan struct{}
	done   chan struct{}
	start  sync.Once
	close  sync.Once
}

// verifyTimeout bounds one external destination check: a silent DNS
// server must not hold the reports forever.
const verifyTimeout = 10 * time.Second

// Open opens (or creates) the record store in d.Dir.
func Open(d Deps) (*Collector, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	j, err := openJournal(d.Dir, d.Log.Warning)
	if err != nil {
		return nil, err
	}
	return &Collector{d: d, j: j, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}, nil
}

// Add stores one message's record. It returns once the record is written
// (a crash of seg loses none; see journal for a power loss); a failure
// is logged and the message goes on: a report is not worth refusing mail.
func (c *Collector) Add(r Record) {
	if err := c.j.add(r); err != nil {
		c.d.Log.Warning("MID %d DMARC: could not store the record for the aggregate report of %s: %v", r.MID, r.PolicyDomain, err)
	}
}

// Summary says what a reporting run did.
type Summary struct {
	Reports []Sent
}

// Sent is one report queued.
type Sent struct {
	MID          int64
	PolicyDomain string
	ReportID     string
	To           []string
	Records      int // rows
	Messages     int
}

// Send reports everything collected so far, now: one report per policy
// domain (and published policy) to its rua addresses, through the queue.
func (c *Collector) Send(ctx context.Context) (Summary, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	cfg := c.d.Config()
	if err := ready(cfg); err != nil {
		return Summary{}, err
	}
	now := c.d.Now()
	if _, err := c.j.cut(now.UnixNano()); err != nil {
		return Summary{}, fmt.Errorf("could not cut the DMARC records: %v", err)
	}
	batches, err := c.j.batches()
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	var errs []error
	for _, b := range batches {
		sent, err := c.sendBatch(ctx, cfg, b, now)
		sum.Reports = append(sum.Reports, sent...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return sum, errors.Join(errs...)
}

// ready says why reports cannot be made with cfg, if they cannot.
func ready(cfg *store.Config) error {
	if cfg.DMARC.ReportFrom == "" || cfg.DMARC.OrgName == "" {
		return errors.New("DMARC aggregate reports need a report-from address and an organization name: run dmarcconfig setup")
	}
	return nil
}

// report is one aggregate report to make from a batch.
type report struct {
	key  string
	pub  Published
	rua  []string
	recs []Record
}

// split groups a batch's records into reports: one per policy domain,
// published policy and rua list, in a stable order (so that a run again
// after a crash gives the same keys and report IDs).
func split(recs []Record) []*report {
	by := map[string]*report{}
	for _, r := range recs {
		pub := r.Published
		if pub.Domain == "" {
			pub.Domain = r.PolicyDomain
		}
		pub.Domain = strings.ToLower(pub.Domain)
		b, _ := json.Marshal(struct {
			P   Published
			RUA []string
		}{pub, r.RUA})
		k := string(b)
		rp := by[k]
		if rp == nil {
			rp = &report{key: k, pub: pub, rua: r.RUA}
			by[k] = rp
		}
		rp.recs = append(rp.recs, r)
	}
	out := make([]*report, 0, len(by))
	for _, rp := range by {
		out = append(out, rp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// sendBatch queues the reports of one batch not yet queued, and removes
// the batch once all are. A report that cannot go anywhere (no usable
// rua address) is logged and counts as done; one the queue refused
// keeps the batch for the next run.
func (c *Collector) sendBatch(ctx context.Context, cfg *store.Config, batch string, now time.Time) ([]Sent, error) {
	recs, bad, err := c.j.read(batch)
	if err != nil {
		return nil, err
	}
	if bad > 0 {
		c.d.Log.Warning("DMARC: %d unreadable records skipped in %s", bad, batch)
	}
	done, err := c.j.doneKeys(batch)
	if err != nil {
		return nil, err
	}
	var nanos int64
	fmt.Sscanf(strings.TrimPrefix(batch, "batch-"), "%d", &nanos)
	end := time.Unix(0, nanos).Unix()
	var out []Sent
	var errs []error
	for i, rp := range split(recs) {
		if done[rp.key] {
			continue
		}
		id := fmt.Sprintf("%d.%d.%s", nanos, i+1, submitter(cfg))
		s, err := c.sendReport(ctx, cfg, rp, id, end, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.j.markDone(batch, rp.key); err != nil {
			errs = append(errs, err)
			continue
		}
		if s.MID != 0 {
			out = append(out, s)
		}
		done[rp.key] = true
	}
	if len(errs) == 0 {
		if err := c.j.remove(batch); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// submitter is the domain of the report-from address: the Mail
// Receiver's domain in the Subject and the file name.
func submitter(cfg *store.Config) string {
	_, d, _ := strings.Cut(cfg.DMARC.ReportFrom, "@")
	return strings.ToLower(d)
}

func (c *Collector) sendReport(ctx context.Context, cfg *store.Config, rp *report, id string, end int64, now time.Time) (Sent, error) {
	log := c.d.Log
	domain := rp.pub.Domain
	begin := end
	count := 0
	for _, r := range rp.recs {
		begin = min(begin, r.Time.Unix())
		count++
	}
	rows := len(groupRecords(rp.recs))
	xmlData, err := buildXML(Meta{OrgName: cfg.DMARC.OrgName, Email: cfg.DMARC.ReportFrom, ReportID: id, Begin: begin, End: end}, rp.pub, rp.recs)
	if err != nil {
		return Sent{}, err
	}
	var res dns.Resolver
	if c.d.Resolver != nil {
		res = c.d.Resolver(cfg)
	}
	var dests []dest
	for _, uri := range rp.rua {
		d, err := parseRUA(uri)
		if err != nil {
			log.Warning("DMARC: aggregate report for %s not sent to %s", domain, err)
			continue
		}
		if needsVerification(domain, d.addr) {
			vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
			ok, err := verifyExternal(vctx, res, domain, d.addr)
			cancel()
			if err != nil {
				log.Warning("DMARC: aggregate report for %s not sent to %s: the external destination check failed temporarily (%v)", domain, d.addr, err)
				continue
			}
			if !ok {
				log.Warning("DMARC: aggregate report for %s not sent to %s: %s._report._dmarc.%s does not authorize it (RFC 7489 section 7.1)", domain, d.addr, domain, addrDomain(d.addr))
				continue
			}
		}
		dests = append(dests, d)
	}
	host := cfg.System.Hostname
	m := reportMail{From: cfg.DMARC.ReportFrom, Submitter: submitter(cfg), PolicyDomain: domain, ReportID: id,
		Begin: begin, End: end, Date: now, Records: rows, Count: count}
	// The size limits (section 6.4) apply to the message as sent; a
	// destination whose limit it exceeds does not get it.
	var raw []byte
	for {
		m.To = nil
		for _, d := range dests {
			m.To = append(m.To, d.addr)
		}
		if len(m.To) == 0 {
			log.Warning("DMARC: aggregate report for %s (Report-ID %s, %d messages) not sent: no rua destination to send it to", domain, id, count)
			return Sent{}, nil
		}
		mid := c.d.Queue.NextMID()
		m.MessageID = fmt.Sprintf("%d.%d.dmarc@%s", now.UnixNano(), mid, host)
		raw, err = buildMessage(m, xmlData)
		if err != nil {
			return Sent{}, err
		}
		kept := dests[:0]
		for _, d := range dests {
			if d.limit > 0 && int64(len(raw)) > d.limit {
				log.Warning("DMARC: aggregate report for %s not sent to %s: %d bytes exceed its size limit of %d bytes", domain, d.addr, len(raw), d.limit)
				continue
			}
			kept = append(kept, d)
		}
		if len(kept) < len(dests) {
			dests = kept
			continue // the To: header changes: build again
		}
		return c.enqueue(mid, m, raw, rows)
	}
}

func (c *Collector) enqueue(mid int64, m reportMail, raw []byte, rows int) (Sent, error) {
	nm := &queue.Message{MID: mid, Kind: queue.KindNormal, From: m.From, Received: m.Date, Size: int64(len(raw)),
		MessageID: "<" + m.MessageID + ">", Subject: m.subject(), Relayed: true}
	for i, t := range m.To {
		nm.Rcpts = append(nm.Rcpts, queue.Recipient{RID: i, Addr: t})
	}
	if err := c.d.Queue.Enqueue(nm, raw); err != nil {
		return Sent{}, fmt.Errorf("could not queue the aggregate report for %s: %v", m.PolicyDomain, err)
	}
	log := c.d.Log
	log.Info("Start MID %d ICID 0", mid)
	log.Info("MID %d was generated for DMARC aggregate report of domain %s (Report-ID %s, %d records, %d messages)", mid, m.PolicyDomain, m.ReportID, rows, m.Count)
	log.Info("MID %d ICID 0 From: <%s>", mid, m.From)
	for i, t := range m.To {
		log.Info("MID %d ICID 0 RID %d To: <%s>", mid, i, t)
	}
	log.Info("MID %d Message-ID %s", mid, maillog.Repr(nm.MessageID))
	log.Info("MID %d Subject %s", mid, maillog.Repr(nm.Subject))
	log.Info("MID %d ready %d bytes from <%s>", mid, len(raw), m.From)
	log.Info("MID %d queued for delivery", mid)
	return Sent{MID: mid, PolicyDomain: m.PolicyDomain, ReportID: m.ReportID, To: m.To, Records: rows, Messages: m.Count}, nil
}

func addrDomain(a string) string {
	if mb, err := address.Parse(a); err == nil {
		return mb.DomainKey()
	}
	_, d, _ := strings.Cut(a, "@")
	return d
}

// Close stops the scheduler and closes the record store.
func (c *Collector) Close() error {
	var err error
	c.close.Do(func() {
		close(c.quit)
		// Not started: nothing to wait for.
		c.start.Do(func() { close(c.done) })
		<-c.done
		err = c.j.close()
	})
	return err
}

// statePath holds the time of the last daily run.
func (c *Collector) statePath() string { return filepath.Join(c.d.Dir, "state.json") }

type state struct {
	LastRun time.Time `json:"last_run"`
}

func (c *Collector) loadState() (state, error) {
	var s state
	data, err := os.ReadFile(c.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

func (c *Collector) saveState(s state) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := c.statePath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.statePath()); err != nil {
		return err
	}
	return syncDir(c.d.Dir)
}
