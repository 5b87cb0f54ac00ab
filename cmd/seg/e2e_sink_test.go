package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestSinkCommand: `seg sink --count 1` prints the one message swaks
// sends, answers it 250, lets swaks QUIT and exits 0.
func TestSinkCommand(t *testing.T) {
	swaks := segtest.Tool(t, "swaks")
	port := segtest.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	out := &segtest.SyncBuffer{}
	sink := exec.Command(segtest.Binary(t), "sink", "--listen", addr, "--count", "1")
	sink.Stdout, sink.Stderr = out, out
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	waited := make(chan struct{})
	go func() {
		exited <- sink.Wait()
		close(waited)
	}()
	t.Cleanup(func() {
		sink.Process.Kill()
		<-waited
	})
	segtest.Wait(t, 10*time.Second, "the sink's start-up line", func() bool {
		return strings.Contains(out.String(), "seg sink: listening on "+addr)
	})

	r, err := segtest.Exec(exec.Command(swaks, "--server", addr, "--from", "a@example.org",
		"--to", "b@example.com", "--header", "Subject: hello sink", "--body", "one\ntwo"), "", 60*time.Second)
	if err != nil || r.Code != 0 {
		t.Fatalf("swaks: %v\n%s", err, r)
	}
	for _, want := range []string{"<-  250 2.0.0 OK: queued", "<-  221 "} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("swaks saw no %q:\n%s", want, r.Stdout)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("seg sink --count 1: %v\n%s", err, out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("seg sink --count 1 still runs after one message\n%s", out)
	}
	got := out.String()
	for _, want := range []string{"=== message 1 from ", "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.com>\n",
		"Subject: hello sink\n", "\n\none\ntwo\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the sink printed no %q:\n%s", want, got)
		}
	}
}

// TestSinkUsage: bad arguments are refused with a message and the
// usage exit status; a non-loopback address needs --public.
func TestSinkUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sink", "--listen", "0.0.0.0:0"}, exitFail, "not a loopback address"},
		{[]string{"sink", "--listen", "127.0.0.1"}, exitFail, "want HOST:PORT"},
		{[]string{"sink", "--count", "-1"}, exitUsage, "--count -1"},
		{[]string{"sink", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"sink", "--nosuch"}, exitUsage, "usage: seg sink"},
		{[]string{"sink", "-h"}, exitOK, "--count N"},
	} {
		r := segtest.Seg(t, "", nil, c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.msg) {
			t.Errorf("seg %q: want exit %d and %q on stderr\n%s", c.args, c.code, c.msg, r)
		}
	}
}
