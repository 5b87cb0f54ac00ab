package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// TestDiskFullQueue: the queue on a real 2 MiB tmpfs of its own, most
// of it taken by another file. Messages are sent until the filesystem
// is full: the one that does not fit gets 452 4.3.1 (RFC 3463 "mail
// system full") and a new transaction gets 452 4.3.1 at MAIL, before
// its data; the messages queued before are delivered intact; once the
// other file is removed, seg takes mail again without a restart.
func TestDiskFullQueue(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	qdir := filepath.Join(a.Dir, "queue")
	segtest.SmallFS(t, qdir, "2m")
	other := filepath.Join(qdir, "other-data")
	if err := os.WriteFile(other, make([]byte, 1536<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	// Deliveries wait until the end: what was queued stays on the full
	// filesystem meanwhile.
	release := sink.HoldData()
	a.Start()

	msg := func(seq int) []byte {
		return []byte(fmt.Sprintf("From: <s@client.test>\r\nTo: <r@example.test>\r\nSubject: disk full %d\r\nX-Seq: %05d\r\n\r\n%s\r\n",
			seq, seq, strings.Repeat(filler, 70))) // about 100 KB
	}
	is452 := func(err error) bool {
		var se *smtp.SMTPError
		return errors.As(err, &se) && se.Code == 452 && se.EnhancedCode == smtp.EnhancedCode{4, 3, 1}
	}
	sent := map[int][]byte{}
	var full error
	for seq := range 40 {
		if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "s@client.test", []string{"r@example.test"}, msg(seq)); err != nil {
			full = err
			break
		}
		sent[seq] = msg(seq)
	}
	if !is452(full) {
		t.Fatalf("after %d messages of 100 KB on a filesystem with 512 KiB free: %v, want 452 4.3.1", len(sent), full)
	}
	if len(sent) < 2 {
		t.Fatalf("only %d messages fit before the filesystem was full", len(sent))
	}
	t.Logf("%d messages queued; the next: %v", len(sent), full)
	cl, err := (segtest.Client{}).Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Mail("s@client.test", nil); !is452(err) {
		t.Fatalf("MAIL while the queue's filesystem is full: %v, want 452 4.3.1", err)
	}
	cl.Close()
	// The first refusal came after DATA (the write failed), the next at
	// MAIL (the queue knew it was full).
	a.WaitLog(t, "could not be queued: queue: insufficient storage", 10*time.Second)
	a.WaitLog(t, "Receiving Failed: Insufficient system storage", 10*time.Second)

	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	seq := len(sent)
	segtest.Wait(t, 10*time.Second, "seg to take mail again after space was freed", func() bool {
		_, err := (segtest.Client{}).Send(a.SMTPAddr(), "s@client.test", []string{"r@example.test"}, msg(seq))
		return err == nil
	})
	sent[seq] = msg(seq)

	release()
	got := sink.WaitCount(t, len(sent), 60*time.Second)
	for _, m := range got {
		_, rest, err := segtest.SplitReceived(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		s := xSeq.FindSubmatch(rest)
		if s == nil {
			t.Fatalf("a delivered message without X-Seq: %.200q", rest)
		}
		var n int
		fmt.Sscan(string(s[1]), &n)
		if want, ok := sent[n]; !ok || !bytes.Equal(rest, want) {
			t.Errorf("message %d delivered with %d bytes that differ from the %d sent (sent: %v)", n, len(rest), len(want), ok)
		}
	}
	t.Logf("%d messages delivered intact", len(got))
	a.Stop()
}
