package clustertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// Every machine publishes its statistics under its lease
// (mta.PeerStats): after one message to machine 1, two to machine 2 and
// three to machine 3, `status --cluster` on any machine counts six
// received and delivered, over the three machines.
func TestClusterStatusSumsEveryMachine(t *testing.T) {
	c, sink := newCluster(t)
	n := 0
	for i, a := range c.Machines {
		for k := range i + 1 {
			if _, err := (segtest.Client{LocalIP: probeIP}).Send(a.SMTPAddr(), exempt,
				[]string{fmt.Sprintf("m%d-%d@example.test", i, k)}, []byte("Subject: stats\r\n\r\nbody\r\n")); err != nil {
				t.Fatalf("%s: %v", c.Names[i], err)
			}
			n++
		}
	}
	sink.WaitCount(t, n, 30*time.Second)
	for i, a := range c.Machines {
		var out string
		// Each machine refreshes what it publishes every few seconds.
		if !segtest.Poll(20*time.Second, func() bool {
			out = squeeze(a.MustCli("status --cluster"))
			return strings.Contains(out, "\nMessages Received 6 6 6\n") && strings.Contains(out, "\nDelivered Recipients 6 6 6\n")
		}) {
			t.Fatalf("%s: status --cluster does not count 6 received and delivered:\n%s", c.Names[i], out)
		}
		if !strings.Contains(out, "3 machines up") {
			t.Errorf("%s: status --cluster does not name 3 machines up:\n%s", c.Names[i], out)
		}
	}
	// tophosts --cluster: the one recipient host, its deliveries summed.
	var top string
	if !segtest.Poll(20*time.Second, func() bool {
		top = squeeze(c.Machines[1].MustCli("tophosts --cluster 3"))
		return strings.Contains(top, "\n1 example.test 0 0 6 0 0\n")
	}) {
		t.Errorf("tophosts --cluster does not show example.test with 6 delivered:\n%s", top)
	}
	// Each machine's own status counts its own mail only.
	for i, a := range c.Machines {
		want := fmt.Sprintf("\nMessages Received %d %d %d\n", i+1, i+1, i+1)
		if out := squeeze(a.MustCli("status")); !strings.Contains(out, want) {
			t.Errorf("%s: status lacks %q:\n%s", c.Names[i], want, out)
		}
	}
}

// squeeze trims each line and turns runs of blanks into one space.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
