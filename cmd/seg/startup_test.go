package main

import (
	"testing"

	"seg/shell"
)

func TestStartupLine(t *testing.T) {
	eps := []shell.Endpoint{
		{Service: "listener IncomingMail", Configured: "127.0.0.1:2525", Listening: "127.0.0.1:2525"},
		{Service: "listener OutgoingMail", Configured: "127.0.0.2:2587", Problem: "Listener OutgoingMail is down"},
		{Service: "ssh", Configured: "127.0.0.1:2222", Listening: "127.0.0.1:2222"},
		{Service: "metrics", Configured: "127.0.0.1:9100"},
	}
	got := startupLine("seg.test", "/d", eps, "/d/seg.sock")
	want := "seg " + version + " running: hostname seg.test, data /d, SMTP IncomingMail 127.0.0.1:2525, " +
		"SMTP OutgoingMail not listening (configured 127.0.0.2:2587), SSH 127.0.0.1:2222, metrics not listening (configured 127.0.0.1:9100), control socket /d/seg.sock"
	if got != want {
		t.Errorf("startupLine:\n got %s\nwant %s", got, want)
	}
	got = startupLine("seg.test", "/d", []shell.Endpoint{{Service: "ssh", Configured: "127.0.0.1:2222"}}, "/d/seg.sock")
	want = "seg " + version + " running: hostname seg.test, data /d, no SMTP listener, SSH not listening (configured 127.0.0.1:2222), control socket /d/seg.sock"
	if got != want {
		t.Errorf("startupLine, nothing listening:\n got %s\nwant %s", got, want)
	}
}
