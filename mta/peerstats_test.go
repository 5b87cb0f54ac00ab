package mta

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"seg/internal/mailapi"
	"seg/internal/segtest"
	"seg/store"
)

// PeerStats of a running MTA: the machine's name, the counters and
// gauges its own status prints, every recipient host with its rows; its
// JSON reads back the same.
func TestPeerStatsOfARunningMTA(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{edit: func(c *store.Config) { c.TDC.Enabled = false }})
	e.send(2, "alice@client.test", []string{"a@example.test", "b@example.test"}, testBody)
	e.send(1, "alice@client.test", []string{"x@sub.example.test"}, testBody)
	e.waitEmpty()
	// The RAT rejects this recipient (ALL: REJECT).
	cl, err := segtest.Client{}.Dial(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Mail("alice@client.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := cl.Rcpt("nobody@refused.test", nil); err == nil {
		t.Fatal("RCPT nobody@refused.test accepted; the RAT rejects ALL but example.test")
	}
	if err := cl.Rcpt("a@example.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := cl.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testBody))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	e.waitEmpty()

	p := e.m.PeerStats("m2.example.test")
	if p.Machine != "m2.example.test" || !p.Taken.Equal(e.clk.Now()) || p.SystemStatus != "Online" {
		t.Errorf("machine %q taken %v status %q, want m2.example.test, %v, Online", p.Machine, p.Taken, p.SystemStatus, e.clk.Now())
	}
	c := p.Counters
	for _, x := range []struct {
		name      string
		got, want int64
	}{
		{"messages received", c.MessagesReceived.Uptime, 4},
		{"recipients received", c.RecipientsReceived.Uptime, 6},
		{"rejected recipients", c.RejectedRecipients.Uptime, 1},
		{"delivered recipients", c.DeliveredRecipients.Uptime, 6},
		{"completed recipients", c.CompletedRecipients.Uptime, 6},
		{"delivered since reset", c.DeliveredRecipients.Reset, 6},
		{"delivered lifetime", c.DeliveredRecipients.Lifetime, 6},
		{"hard bounced", c.HardBouncedRecipients.Uptime, 0},
		{"unattempted", p.Gauges.Unattempted, 0},
		{"delivery queue", p.Gauges.DeliveryQueue, 0},
	} {
		if x.got != x.want {
			t.Errorf("%s = %d, want %d", x.name, x.got, x.want)
		}
	}
	if p.Gauges.KilobytesFree <= 0 {
		t.Errorf("kilobytes free = %d, want the data dir's free space", p.Gauges.KilobytesFree)
	}
	hosts := map[string]mailapi.PeerHost{}
	for _, h := range p.Hosts {
		hosts[h.Name] = h
	}
	if h := hosts["example.test"]; h.Delivered != 5 {
		t.Errorf("example.test delivered %d, want 5 (hosts %+v)", h.Delivered, p.Hosts)
	}
	if h := hosts["sub.example.test"]; h.Delivered != 1 {
		t.Errorf("sub.example.test delivered %d, want 1 (hosts %+v)", h.Delivered, p.Hosts)
	}

	// The same numbers as the machine's own status.
	var st bytes.Buffer
	if err := e.m.Status(&st, false); err != nil {
		t.Fatal(err)
	}
	for _, row := range []struct {
		label string
		n     mailapi.PeerCount
	}{
		{"Messages Received", c.MessagesReceived},
		{"Delivered Recipients", c.DeliveredRecipients},
		{"Rejected Recipients", c.RejectedRecipients},
	} {
		want := fmt.Sprintf("%s %d %d %d", row.label, row.n.Reset, row.n.Uptime, row.n.Lifetime)
		if !slices.Contains(strings.Split(squeeze(st.String()), "\n"), want) {
			t.Errorf("status has no row %q:\n%s", want, st.String())
		}
	}

	b, err := e.m.PeerStatsJSON("m2.example.test")
	if err != nil {
		t.Fatal(err)
	}
	back, err := mailapi.DecodePeerStats(b)
	if err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	if back.Counters != p.Counters || back.Gauges.DeliveryQueue != p.Gauges.DeliveryQueue || len(back.Hosts) != len(p.Hosts) || back.Machine != p.Machine {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, p)
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
