package dsn

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// FuzzBuild: seg never parses the bounces it receives (bounce
// verification reads only the tagged envelope recipient, fuzzed in
// mta/bounceverify); what reaches a DSN from outside is the original
// message a client sent and the reply a remote server gave. Whatever
// they hold, the report is one well-formed multipart/report (RFC 6522)
// whose delivery-status part reads as header fields, and an untrusted
// report quotes nothing of the original's header but Message-ID and Date.
func FuzzBuild(f *testing.F) {
	f.Add([]byte("From: a@b.test\r\nSubject: hi\r\n folded\r\n\r\nbody\r\n"), "smtp; 550 5.1.1 no such user", "x@y.test", false, false)
	f.Add([]byte("Message-ID: <m@x>\r\nX-Secret: s\r\n\r\n"), "smtp; 421 \r\n--=_seg-dsn-5-1000000000--\r\n", "a@b", true, false)
	f.Add([]byte("Subject: \xff\xfe\r\n\r\n"), "x\x00y", "\xc3\xa9@b.test", false, true)
	f.Fuzz(func(t *testing.T, orig []byte, diag, final string, untrusted, plain bool) {
		raw, err := Build(Report{
			ReportingMTA: "seg.test", To: "sender@src.test", Date: time.Unix(1, 0), OrigMID: 5,
			Recipients: []Recipient{{Final: final, Status: "5.1.1", Diagnostic: diag, RemoteMTA: "mx.test"}},
			Original:   orig, Untrusted: untrusted, Plain: plain,
		})
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("the report is not a message: %v\n%q", err, raw)
		}
		if plain {
			return
		}
		mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/report" {
			t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
		}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var types []string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("part %d: %v\n%q", len(types), err, raw)
			}
			body, err := io.ReadAll(p)
			if err != nil {
				t.Fatalf("part %d: %v", len(types), err)
			}
			ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			types = append(types, ct)
			switch ct {
			case "message/delivery-status":
				// RFC 3464 section 2.1: groups of header fields.
				for _, g := range strings.Split(string(body), "\r\n\r\n") {
					if g == "" {
						continue
					}
					if _, err := mail.ReadMessage(strings.NewReader(g + "\r\n\r\n")); err != nil {
						t.Fatalf("delivery-status group %q: %v", g, err)
					}
				}
			case "text/rfc822-headers":
				if untrusted {
					for _, line := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
						if line == "" || line[0] == ' ' || line[0] == '\t' {
							continue
						}
						name, _, _ := strings.Cut(line, ":")
						if !strings.EqualFold(name, "Message-ID") && !strings.EqualFold(name, "Date") {
							t.Fatalf("untrusted report quotes %q", line)
						}
					}
				}
			}
		}
		if len(types) < 2 || types[0] != "text/plain" || types[1] != "message/delivery-status" {
			t.Fatalf("parts %v\n%q", types, raw)
		}
	})
}
