package dmarcreport

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// fakeQueue records what the reports enqueue.
type fakeQueue struct {
	mu   sync.Mutex
	mid  int64
	msgs []*queue.Message
	body [][]byte
	fail error
}

func (q *fakeQueue) NextMID() int64 { q.mu.Lock(); defer q.mu.Unlock(); q.mid++; return q.mid }
func (q *fakeQueue) Enqueue(m *queue.Message, b []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.msgs = append(q.msgs, m)
	q.body = append(q.body, b)
	return nil
}
func (q *fakeQueue) count() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.msgs) }

// clock is a fake clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func testCfg() *store.Config {
	return &store.Config{System: store.System{Hostname: "mx.seg.test"},
		DMARC: store.DMARC{ReportFrom: "dmarc@seg.test", OrgName: "Seg Test Org", ReportTime: "02:00"}}
}

type env struct {
	c   *Collector
	q   *fakeQueue
	log *maillog.Memory
	clk *clock
	dns *dns.Fake
	cfg *store.Config
	dir string
}

func newEnv(t *testing.T, dir string) *env {
	t.Helper()
	e := &env{q: &fakeQueue{}, log: &maillog.Memory{}, clk: &clock{t: t0}, dns: &dns.Fake{}, cfg: testCfg(), dir: dir}
	c, err := Open(Deps{Dir: dir, Config: func() *store.Config { return e.cfg }, Queue: e.q,
		Resolver: func(*store.Config) dns.Resolver { return e.dns }, Log: e.log, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	t.Cleanup(func() { c.Close() })
	return e
}

func rec(mid int64, ip string, dkimOK, spfOK bool, disp string) Record {
	return Record{Time: t0.Add(time.Duration(mid) * time.Minute), MID: mid, PolicyDomain: "example.com",
		RUA:       []string{"mailto:reports@example.com"},
		Published: Published{Domain: "example.com", ADKIM: "r", ASPF: "s", P: "reject", Pct: 100},
		SourceIP:  ip, HeaderFrom: "example.com", EnvelopeFrom: "example.com",
		Disposition: disp, DKIMAligned: dkimOK, SPFAligned: spfOK,
		DKIM: []DKIMResult{{Domain: "example.com", Selector: "s1", Result: map[bool]string{true: "pass", false: "fail"}[dkimOK]}},
		SPF:  SPFResult{Domain: "example.com", Scope: "mfrom", Result: map[bool]string{true: "pass", false: "fail"}[spfOK]}}
}

// validate runs xmllint --schema on a report.
func validate(t *testing.T, x []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(f, x, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/rfc7489-appendix-c-fixed.xsd", f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, x)
	}
}

func TestSchemaAsPrintedDoesNotCompile(t *testing.T) {
	x, err := buildXML(Meta{OrgName: "o", Email: "a@b.test", ReportID: "1", Begin: 1, End: 2}, Published{Domain: "example.com", P: "none"}, []Record{rec(1, "192.0.2.1", true, true, "none")})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "r.xml")
	os.WriteFile(f, x, 0o600)
	out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/rfc7489-appendix-c.xsd", f).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "failed to compile") {
		t.Fatalf("the schema as printed compiled (%v): %s; testdata/README.md is wrong", err, out)
	}
}

// parsed is the part of a report the tests read back.
type parsed struct {
	Metadata struct {
		OrgName  string `xml:"org_name"`
		Email    string `xml:"email"`
		ReportID string `xml:"report_id"`
		Begin    int64  `xml:"date_range>begin"`
		End      int64  `xml:"date_range>end"`
	} `xml:"report_metadata"`
	Policy struct {
		Domain string `xml:"domain"`
		ADKIM  string `xml:"adkim"`
		ASPF   string `xml:"aspf"`
		P      string `xml:"p"`
		SP     string `xml:"sp"`
		FO     string `xml:"fo"`
		Pct    int    `xml:"pct"`
	} `xml:"policy_published"`
	Records []struct {
		IP          string `xml:"row>source_ip"`
		Count       int    `xml:"row>count"`
		Disposition string `xml:"row>policy_evaluated>disposition"`
		DKIM        string `xml:"row>policy_evaluated>dkim"`
		SPF         string `xml:"row>policy_evaluated>spf"`
	} `xml:"record"`
}

func TestReportXMLGroupsAndValidates(t *testing.T) {
	recs := []Record{
		rec(1, "192.0.2.1", true, true, "none"),
		rec(2, "192.0.2.1", true, true, "none"),
		rec(3, "192.0.2.1", false, false, "reject"),
		rec(4, "2001:db8::1", true, false, "none"),
		rec(5, "192.0.2.1", true, true, "none"),
	}
	recs[3].DKIM = nil // no signature: auth_results has only spf
	x, err := buildXML(Meta{OrgName: "Seg <&> Org", Email: "dmarc@seg.test", ReportID: "r1", Begin: 100, End: 200}, recs[0].Published, recs)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, x)
	var p parsed
	if err := xml.Unmarshal(x, &p); err != nil {
		t.Fatal(err)
	}
	if p.Metadata.OrgName != "Seg <&> Org" || p.Metadata.ReportID != "r1" || p.Metadata.Begin != 100 || p.Metadata.End != 200 {
		t.Errorf("metadata %+v", p.Metadata)
	}
	// sp absent: p's value; fo absent: "0" (RFC 7489 section 6.3).
	if p.Policy.Domain != "example.com" || p.Policy.ASPF != "s" || p.Policy.SP != "reject" || p.Policy.FO != "0" || p.Policy.Pct != 100 {
		t.Errorf("policy_published %+v", p.Policy)
	}
	type row struct {
		ip, disp, dkim, spf string
		n                   int
	}
	var got []row
	for _, r := range p.Records {
		got = append(got, row{r.IP, r.Disposition, r.DKIM, r.SPF, r.Count})
	}
	want := []row{
		{"192.0.2.1", "none", "pass", "pass", 3},
		{"192.0.2.1", "reject", "fail", "fail", 1},
		{"2001:0db8:0000:0000:0000:0000:0000:0001", "none", "pass", "fail", 1},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// report reads the queued report message i: its subject, attachment
// name and XML.
func (e *env) report(t *testing.T, i int) (subject, filename string, x []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(e.q.body[i]))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/gzip") {
			continue
		}
		filename = p.FileName()
		zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		if x, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return msg.Header.Get("Subject"), filename, x
}

func TestSendQueuesOneReportPerDomain(t *testing.T) {
	e := newEnv(t, t.TempDir())
	for i := int64(1); i <= 3; i++ {
		e.c.Add(rec(i, "192.0.2.1", true, true, "none"))
	}
	other := rec(4, "192.0.2.9", false, false, "quarantine")
	other.PolicyDomain, other.Published.Domain, other.HeaderFrom = "other.test", "other.test", "other.test"
	other.RUA = []string{"mailto:agg@other.test"}
	e.c.Add(other)
	sum, err := e.c.Send(context.Background())
	if err != nil || len(sum.Reports) != 2 || e.q.count() != 2 {
		t.Fatalf("Send = %+v, %v; queued %d", sum, err, e.q.count())
	}
	for i, m := range e.q.msgs {
		subject, filename, x := e.report(t, i)
		validate(t, x)
		var p parsed
		xml.Unmarshal(x, &p)
		d := p.Policy.Domain
		if want := "Report Domain: " + d + " Submitter: seg.test Report-ID: <" + p.Metadata.ReportID + ">"; subject != want {
			t.Errorf("Subject %q, want %q", subject, want)
		}
		if want := "seg.test!" + d + "!" + itoa(p.Metadata.Begin) + "!" + itoa(p.Metadata.End) + ".xml.gz"; filename != want {
			t.Errorf("filename %q, want %q", filename, want)
		}
		if m.From != "dmarc@seg.test" || m.Kind != queue.KindNormal || len(m.Rcpts) != 1 {
			t.Errorf("envelope %+v", m)
		}
		n := 0
		for _, r := range p.Records {
			n += r.Count
		}
		if want := map[string]int{"example.com": 3, "other.test": 1}[d]; n != want {
			t.Errorf("%s: %d messages reported, want %d", d, n, want)
		}
	}
	if !e.hasLog("was generated for DMARC aggregate report of domain example.com") || !e.hasLog("RID 0 To: <reports@example.com>") || !e.hasLog("queued for delivery") {
		t.Errorf("log lines: %q", e.log.Lines())
	}
	// Reported records leave the store: nothing to send again.
	if sum, err := e.c.Send(context.Background()); err != nil || len(sum.Reports) != 0 {
		t.Fatalf("second Send = %+v, %v", sum, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *env) hasLog(s string) bool {
	for _, l := range e.log.Lines() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func TestRecordsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir)
	for i := int64(1); i <= 4; i++ {
		e.c.Add(rec(i, "192.0.2.1", true, true, "none"))
	}
	// A crash: no Close. A torn line at the end, as a write cut short.
	f, err := os.OpenFile(filepath.Join(dir, currentName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"MID":99,"Poli`)
	f.Close()
	e.c.Close()
	e2 := newEnv(t, dir)
	e2.c.Add(rec(5, "192.0.2.1", true, true, "none"))
	sum, err := e2.c.Send(context.Background())
	if err != nil || len(sum.Reports) != 1 || sum.Reports[0].Messages != 5 {
		t.Fatalf("after reopen Send = %+v, %v; want one report of 5 messages", sum, err)
	}
}

func TestQueueFailureKeepsRecords(t *testing.T) {
	e := newEnv(t, t.TempDir())
	e.c.Add(rec(1, "192.0.2.1", true, true, "none"))
	e.q.fail = queue.ErrClosed
	if _, err := e.c.Send(context.Background()); err == nil {
		t.Fatal("Send with a failing queue: no error")
	}
	e.q.fail = nil
	e.c.Add(rec(2, "192.0.2.1", true, true, "none"))
	sum, err := e.c.Send(context.Background())
	if err != nil || len(sum.Reports) != 2 {
		// The kept batch and the new one: two reports, 1 + 1 messages.
		t.Fatalf("Send = %+v, %v; want the kept batch and the new one", sum, err)
	}
}

func TestSendNeedsSetup(t *testing.T) {
	e := newEnv(t, t.TempDir())
	e.cfg.DMARC.ReportFrom = ""
	e.c.Add(rec(1, "192.0.2.1", true, true, "none"))
	if _, err := e.c.Send(context.Background()); err == nil || !strings.Contains(err.Error(), "dmarcconfig setup") {
		t.Fatalf("Send without setup = %v", err)
	}
	e.cfg.DMARC.ReportFrom = "dmarc@seg.test"
	if sum, err := e.c.Send(context.Background()); err != nil || len(sum.Reports) != 1 {
		t.Fatalf("records lost while setup was missing: %+v, %v", sum, err)
	}
}

func TestExternalDestinationVerification(t *testing.T) {
	e := newEnv(t, t.TempDir())
	r := rec(1, "192.0.2.1", true, true, "none")
	r.RUA = []string{"mailto:ok@vendor.test", "mailto:no@stranger.test", "mailto:reports@sub.example.com", "mailto:tiny@example.com!1", "https://x.test/"}
	e.dns.TXT = map[string][]string{"example.com._report._dmarc.vendor.test": {"v=DMARC1"}}
	e.c.Add(r)
	sum, err := e.c.Send(context.Background())
	if err != nil || len(sum.Reports) != 1 {
		t.Fatalf("Send = %+v, %v", sum, err)
	}
	// vendor.test authorizes; stranger.test does not; sub.example.com is
	// inside the organizational domain (no check); !1 is a 1-byte limit.
	got := strings.Join(sum.Reports[0].To, ",")
	if got != "ok@vendor.test,reports@sub.example.com" {
		t.Fatalf("sent to %s", got)
	}
	for _, w := range []string{"not sent to no@stranger.test: example.com._report._dmarc.stranger.test does not authorize it",
		"not sent to tiny@example.com", "exceed its size limit of 1 bytes", "is not a mailto: URI"} {
		if !e.hasLog(w) {
			t.Errorf("no log line with %q in %q", w, e.log.Lines())
		}
	}
	for _, q := range e.dns.Queries() {
		if strings.Contains(q, "sub.example.com") {
			t.Errorf("checked a destination inside the organizational domain: %s", q)
		}
	}
}

func TestParseRUA(t *testing.T) {
	for _, c := range []struct {
		in    string
		addr  string
		limit int64
	}{
		{"mailto:a@b.test", "a@b.test", 0},
		{"mailto:a@b.test!10m", "a@b.test", 10 << 20},
		{"MAILTO:a%2Bx@b.test!5k", "a+x@b.test", 5 << 10},
	} {
		d, err := parseRUA(c.in)
		if err != nil || d.addr != c.addr || d.limit != c.limit {
			t.Errorf("parseRUA(%q) = %+v, %v", c.in, d, err)
		}
	}
	for _, bad := range []string{"https://a.test/", "mailto:a@b.test!x", "mailto:nobody", "mailto:a@b.test!0"} {
		if _, err := parseRUA(bad); err == nil {
			t.Errorf("parseRUA(%q) accepted", bad)
		}
	}
}

func TestNextRun(t *testing.T) {
	for _, c := range []struct {
		last time.Time
		h, m int
		want time.Time
	}{
		{t0, 2, 0, time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)},
		{t0, 23, 30, time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC)},
		{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC), 2, 0, time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)},
	} {
		if got := nextRun(c.last, c.h, c.m); !got.Equal(c.want) {
			t.Errorf("nextRun(%v, %d:%d) = %v, want %v", c.last, c.h, c.m, got, c.want)
		}
	}
}

// poll waits for cond, with a deadline (never a fixed sleep).
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSchedulerSendsDailyAtReportTime(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir)
	e.c.Start()
	e.c.Add(rec(1, "192.0.2.1", true, true, "none"))
	// 10:00; the report time is 02:00: nothing before tomorrow 02:00.
	poll(t, "the state file", func() bool { _, err := os.Stat(filepath.Join(dir, "state.json")); return err == nil })
	e.clk.set(time.Date(2026, 12, 8, 1, 59, 0, 0, time.UTC))
	e.c.Kick()
	e.c.Add(rec(2, "192.0.2.1", true, true, "none"))
	e.clk.set(time.Date(2026, 12, 8, 2, 0, 30, 0, time.UTC))
	e.c.Kick()
	poll(t, "the first daily report", func() bool { return e.q.count() == 1 })
	poll(t, "the daily run's log line", func() bool { return e.hasLog("DMARC: daily aggregate reports run at 02:00: 1 reports queued") })
	// Later the same day: no second run, even after a restart.
	e.c.Add(rec(3, "192.0.2.1", true, true, "none"))
	e.c.Close()
	e2 := newEnv(t, dir)
	e2.q = e.q
	e2.c.d.Queue = e.q
	e2.clk.set(time.Date(2026, 12, 8, 23, 0, 0, 0, time.UTC))
	e2.c.Start()
	e2.c.Kick()
	e2.clk.set(time.Date(2026, 12, 9, 2, 1, 0, 0, time.UTC))
	e2.c.Kick()
	poll(t, "the second daily report", func() bool { return e.q.count() == 2 })
	_, _, x := e.report(t, 1)
	var p parsed
	xml.Unmarshal(x, &p)
	if len(p.Records) != 1 || p.Records[0].Count != 1 {
		t.Fatalf("second report %+v, want the one message received after the first", p.Records)
	}
}
