package mailtest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestBlackholeListener: a Blackhole listener (listenerconfig new --type
// blackhole) answers 250 to a message from a host outside RELAYLIST, for
// a recipient it would route to the sink, logs it as discarded, and
// never queues or delivers it. A message sent afterwards through the
// public listener to the same sink arrives alone: had the first been
// queued, it would have gone out first, on the same route.
func TestBlackholeListener(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	port := segtest.FreePort(t)
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		fmt.Sprintf("listenerconfig new Hole --type blackhole --address 127.0.0.1 --port %d", port))
	a.Start()
	if out := a.MustCli("listenerconfig print Hole"); !strings.Contains(out, "Type: Blackhole (accepts mail and discards it") ||
		!strings.Contains(out, "ALL ACCEPT") {
		t.Errorf("listenerconfig print Hole:\n%s", out)
	}
	hole := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	mid, err := segtest.Client{LocalIP: "127.0.0.2"}.Send(hole, "tester@client.test", []string{"nobody@example.test"},
		plainMessage("nobody@example.test", "into the hole", "hole@client.test"))
	if err != nil {
		t.Fatalf("send to the Blackhole listener: %v", err)
	}
	a.WaitLog(t, fmt.Sprintf("Info: Message aborted MID %d Blackhole Listener\n", mid), 10*time.Second)

	control, err := segtest.Client{}.Send(a.SMTPAddr(), "tester@client.test", []string{"control@example.test"},
		plainMessage("control@example.test", "control", "control@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	got := sink.WaitCount(t, 1, 20*time.Second)
	a.WaitLog(t, fmt.Sprintf("Info: Message finished MID %d done\n", control), 10*time.Second)
	if n := sink.Count(); n != 1 || len(got[0].Rcpts) != 1 || got[0].Rcpts[0] != "control@example.test" {
		t.Errorf("the sink got %d messages, the first for %v; want only the control message", n, got[0].Rcpts)
	}
	for _, l := range a.LogLines() {
		if strings.Contains(l, fmt.Sprintf("MID %d queued", mid)) || strings.Contains(l, fmt.Sprintf("MID %d to RID", mid)) {
			t.Errorf("the discarded message was queued or delivered: %s", l)
		}
	}
	a.WaitLog(t, fmt.Sprintf("Info: MID %d ready ", mid), time.Second)
}
