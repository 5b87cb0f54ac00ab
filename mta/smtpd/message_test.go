package smtpd

import (
	"testing"
	"time"
)

func TestReceivedHeader(t *testing.T) {
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		helo, rdns, proto string
		rcpts             []string
		want              string
	}{
		{"client.test", "", "ESMTP", []string{"a@x.test"},
			"Received: from client.test ([192.0.2.1])\r\n\tby mx.test with ESMTP id 42\r\n\tfor <a@x.test>; Fri, 2 Jan 2026 03:04:05 +0000\r\n"},
		{"client.test", "ptr.example", "SMTP", []string{"a@x.test", "b@x.test"},
			"Received: from client.test (ptr.example [192.0.2.1])\r\n\tby mx.test with SMTP id 42; Fri, 2 Jan 2026 03:04:05 +0000\r\n"},
		// Words from the client cannot end the comment or add lines.
		{"evil) by me\r\nX-Injected:", "", "ESMTP", []string{"a@x.test"},
			"Received: from evil??by?me??X-Injected: ([192.0.2.1])\r\n\tby mx.test with ESMTP id 42\r\n\tfor <a@x.test>; Fri, 2 Jan 2026 03:04:05 +0000\r\n"},
	} {
		got := string(receivedHeader(tc.helo, tc.rdns, "192.0.2.1", "mx.test", tc.proto, "42", tc.rcpts, date))
		if got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	for _, tc := range []struct {
		msg               string
		id, subj          string
		hasID, hasSubject bool
	}{
		{"Message-ID: <a@b>\r\nSubject: Hi\r\n\r\nbody", "<a@b>", "Hi", true, true},
		{"message-id:<a@b>\r\nSUBJECT:   spaced  \r\n\r\n", "<a@b>", "spaced", true, true},
		{"Subject: folded\r\n\tover\r\n  lines\r\nX: y\r\n\r\n", "", "folded\tover  lines", false, true},
		{"Subject: first\r\nSubject: second\r\n\r\n", "", "first", false, true},
		{"From: a\r\n\r\nSubject: in the body\r\nMessage-ID: <body@x>\r\n", "", "", false, false},
		{"Subject: bare LF\nMessage-ID: <lf@x>\n\nbody", "<lf@x>", "bare LF", true, true},
		{"Subject: no body at all", "", "no body at all", false, true},
		{" leading continuation\r\nSubject: s\r\n\r\n", "", "s", false, true},
		{"", "", "", false, false},
	} {
		id, subj, hasID, hasSubj := headerFields([]byte(tc.msg))
		if id != tc.id || subj != tc.subj || hasID != tc.hasID || hasSubj != tc.hasSubject {
			t.Errorf("%q: got %q %q %v %v", tc.msg, id, subj, hasID, hasSubj)
		}
	}
}
