package mailtest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestDMARCAggregateReportEndToEnd: the real binary with
// dmarc_verification and dmarc_send_reports on, a real DNS server
// publishing rep.test's DMARC record (rua= an address inside rep.test's
// organizational domain, one at vendor.test that authorizes the reports
// with rep.test._report._dmarc.vendor.test, one at stranger.test that
// does not; all routed to a sink of their own), three messages sent (two
// DKIM-aligned, one not), seg killed (SIGKILL) and started again between
// them, then dmarcconfig report: the report reaches the two authorized
// addresses and not the third, its gzip XML validates against the RFC
// 7489 appendix C schema and its counts match the messages sent.
func TestDMARCAggregateReportEndToEnd(t *testing.T) {
	key := newDKIMKey(t)
	dnsAddr := segtest.NewDNS(t,
		key.zone(t, "sel._domainkey.rep.test"),
		`_dmarc.rep.test. 300 IN TXT "v=DMARC1; p=none; fo=1:d; rua=mailto:reports@reports.rep.test,mailto:agg@vendor.test,mailto:x@stranger.test"`,
		`rep.test._report._dmarc.vendor.test. 300 IN TXT "v=DMARC1"`)
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	ruaSink := segtest.NewSink(t, segtest.SinkOptions{})
	a := senderAuthAppliance(t, sink, dnsAddr, "--dmarc_verification=on --dmarc_send_reports=on")
	a.MustCli("smtproutes new reports.rep.test " + ruaSink.Addr() + " ; smtproutes new vendor.test " + ruaSink.Addr() +
		" ; smtproutes new stranger.test " + ruaSink.Addr() + " ; dmarcconfig setup --report-from dmarc@seg.test --org-name 'Seg E2E' ; commit dmarc reports")
	client := segtest.Client{LocalIP: "127.0.0.2"}
	send := func(msg []byte) {
		t.Helper()
		if _, err := client.Send(a.SMTPAddr(), "u@rep.test", []string{"bob@example.test"}, msg); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	send(key.sign(t, senderAuthMessage("u@rep.test", "aligned-1"), "rep.test", "sel"))
	send(senderAuthMessage("u@rep.test", "unaligned"))
	a.WaitLog(t, "DMARC: Message from domain rep.test, DMARC fail", 10*time.Second)
	// A crash: the records handed over before each 250 survive it.
	a.Kill()
	a.Start()
	send(key.sign(t, senderAuthMessage("u@rep.test", "aligned-2"), "rep.test", "sel"))
	a.WaitLogN(t, "DMARC: Message from domain rep.test, DMARC pass", 2, 10*time.Second)

	out := a.MustCli("dmarcconfig report")
	if !strings.Contains(out, "Aggregate report for rep.test queued as MID") || !strings.Contains(out, "to reports@reports.rep.test, agg@vendor.test (3 messages in 2 records") {
		t.Fatalf("dmarcconfig report: %q", out)
	}
	a.WaitLog(t, "DMARC: aggregate report for rep.test not sent to x@stranger.test: rep.test._report._dmarc.stranger.test does not authorize it", 10*time.Second)
	// One report, one delivery per destination domain.
	msgs := ruaSink.WaitCount(t, 2, 30*time.Second)
	var to []string
	for _, m := range msgs {
		if m.From != "dmarc@seg.test" || !bytes.Equal(m.Data, msgs[0].Data) {
			t.Errorf("report from %q, or not the same report", m.From)
		}
		to = append(to, m.Rcpts...)
	}
	if strings.Join(to, ",") != "reports@reports.rep.test,agg@vendor.test" && strings.Join(to, ",") != "agg@vendor.test,reports@reports.rep.test" {
		t.Fatalf("report delivered to %v", to)
	}
	m := msgs[0]
	subject, filename, x := reportAttachment(t, m.Data)
	if !strings.HasPrefix(subject, "Report Domain: rep.test Submitter: seg.test Report-ID: <") {
		t.Errorf("Subject %q", subject)
	}
	if !strings.HasPrefix(filename, "seg.test!rep.test!") || !strings.HasSuffix(filename, ".xml.gz") {
		t.Errorf("attachment name %q", filename)
	}
	f := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(f, x, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", "../dmarcreport/testdata/rfc7489-appendix-c-fixed.xsd", f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, x)
	}
	var fb struct {
		FO      string `xml:"policy_published>fo"`
		Records []struct {
			IP    string `xml:"row>source_ip"`
			Count int    `xml:"row>count"`
			DKIM  string `xml:"row>policy_evaluated>dkim"`
		} `xml:"record"`
	}
	if err := xml.Unmarshal(x, &fb); err != nil {
		t.Fatal(err)
	}
	if fb.FO != "1:d" {
		t.Errorf("policy_published fo %q, want 1:d as published", fb.FO)
	}
	counts := map[string]int{}
	for _, r := range fb.Records {
		if r.IP != "127.0.0.2" {
			t.Errorf("source_ip %q, want 127.0.0.2", r.IP)
		}
		counts[r.DKIM] += r.Count
	}
	if counts["pass"] != 2 || counts["fail"] != 1 || len(fb.Records) != 2 {
		t.Fatalf("report rows %+v: want 2 DKIM-aligned and 1 not, in 2 records\n%s", fb.Records, x)
	}
	a.WaitLog(t, "was generated for DMARC aggregate report of domain rep.test", 10*time.Second)
	// Reported records are gone: a second report has nothing to send.
	if out := a.MustCli("dmarcconfig report"); !strings.Contains(out, "No aggregate report was queued") {
		t.Errorf("second dmarcconfig report: %q", out)
	}
}

// reportAttachment reads a report message: its Subject, the attachment's
// file name and the XML inside the gzip.
func reportAttachment(t *testing.T, data []byte) (subject, filename string, x []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
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
	if x == nil {
		t.Fatalf("no application/gzip part in\n%s", data)
	}
	return msg.Header.Get("Subject"), filename, x
}
