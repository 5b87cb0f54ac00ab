package dmarcreport

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
	"time"
)

// reportMail is what the report message says besides the report.
type reportMail struct {
	From, Submitter string   // report-from and its domain
	To              []string // the rua addresses it goes to
	PolicyDomain    string
	ReportID        string
	Begin, End      int64
	Date            time.Time
	MessageID       string // without angle brackets
	Records, Count  int    // rows and messages, for the text part
}

// subject is the Subject of RFC 7489 section 7.2.1.1:
// "Report Domain: D Submitter: S Report-ID: <ID>".
func (m reportMail) subject() string {
	return fmt.Sprintf("Report Domain: %s Submitter: %s Report-ID: <%s>", m.PolicyDomain, m.Submitter, m.ReportID)
}

// filename is the attachment's name of section 7.2.1.1:
// receiver!policy-domain!begin!end.xml.gz (with erratum 7099's example).
func (m reportMail) filename() string {
	return fmt.Sprintf("%s!%s!%d!%d.xml.gz", m.Submitter, m.PolicyDomain, m.Begin, m.End)
}

// buildMessage renders the report message: a short text part and the
// report, gzipped, as an application/gzip attachment (section 7.2.1.1).
func buildMessage(m reportMail, report []byte) ([]byte, error) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(report); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.SetBoundary(fmt.Sprintf("=_seg-dmarc-%d", m.Date.UnixNano())); err != nil {
		return nil, err
	}
	th := textproto.MIMEHeader{}
	th.Set("Content-Type", "text/plain; charset=us-ascii")
	tw, err := mw.CreatePart(th)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(tw, "This is a DMARC aggregate report (RFC 7489) from %s for %s.\r\n", m.Submitter, m.PolicyDomain)
	fmt.Fprintf(tw, "Report-ID: %s\r\nPeriod: %s to %s\r\nMessages: %d in %d records.\r\n",
		m.ReportID, time.Unix(m.Begin, 0).UTC().Format(time.RFC3339), time.Unix(m.End, 0).UTC().Format(time.RFC3339), m.Count, m.Records)

	ah := textproto.MIMEHeader{}
	ah.Set("Content-Type", mime.FormatMediaType("application/gzip", map[string]string{"name": m.filename()}))
	ah.Set("Content-Transfer-Encoding", "base64")
	ah.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.filename()}))
	aw, err := mw.CreatePart(ah)
	if err != nil {
		return nil, err
	}
	enc := gz.Bytes()
	b64 := base64.StdEncoding.EncodeToString(enc)
	for len(b64) > 76 { // RFC 2045 section 6.8
		aw.Write([]byte(b64[:76] + "\r\n"))
		b64 = b64[76:]
	}
	aw.Write([]byte(b64 + "\r\n"))
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&out, "%s: %s\r\n", k, v) }
	h("From", "<"+m.From+">")
	tos := make([]string, len(m.To))
	for i, t := range m.To {
		tos[i] = "<" + t + ">"
	}
	h("To", strings.Join(tos, ",\r\n\t"))
	h("Subject", m.subject())
	h("Date", m.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+m.MessageID+">")
	h("Auto-Submitted", "auto-generated") // RFC 3834 section 5
	h("MIME-Version", "1.0")
	h("Content-Type", fmt.Sprintf("multipart/mixed;\r\n\tboundary=%q", mw.Boundary()))
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
