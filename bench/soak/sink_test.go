package main

import (
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestSinkCountsAndFlaps: the sink counts a message by its soak
// Message-ID per recipient, refuses reject-* with 550, and down/up
// closes and reopens the same address.
func TestSinkCountsAndFlaps(t *testing.T) {
	s, err := newSink("t", func(r string) bool { return strings.HasPrefix(r, "reject-") })
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	send := func(id string, rcpts ...string) error {
		c, err := smtp.Dial(s.addr)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.SendMail("sender@client.test", rcpts, strings.NewReader("Message-ID: <"+id+">\r\n\r\nbody\r\n"))
	}
	if err := send("soak-1@soak.test", "a@x.test", "b@x.test"); err != nil {
		t.Fatal(err)
	}
	err = send("soak-2@soak.test", "reject-2@x.test")
	if e, ok := err.(*smtp.SMTPError); !ok || e.Code != 550 {
		t.Fatalf("reject-2: %v, want a 550", err)
	}
	if s.count("soak-1@soak.test", "a@x.test") != 1 || s.count("soak-1@soak.test", "b@x.test") != 1 || s.countID("soak-2@soak.test") != 0 {
		t.Fatalf("counts: %v", s.got)
	}
	s.down()
	if c, err := net.Dial("tcp", s.addr); err == nil {
		c.Close()
		t.Fatal("the sink still listens after down")
	}
	if err := s.up(); err != nil {
		t.Fatal(err)
	}
	if err := send("soak-3@soak.test", "a@x.test"); err != nil {
		t.Fatal(err)
	}
	if total, noID := s.stats(); total != 2 || noID != 0 {
		t.Fatalf("stats %d %d, want 2 0", total, noID)
	}
}
