package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"seg/mta/counters"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// workload builds counters from a known sequence of events.
func workload() (counters.Snapshot, time.Time) {
	t0 := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	now := t0
	c := counters.New(func() time.Time { return now }, []int64{5})
	c.Add(counters.MessagesReceived, 3)
	c.Add(counters.RecipientsReceived, 7)
	now = t0.Add(22*time.Minute + 23*time.Second)
	c.Delivered("example.com", 255)
	c.SoftBounced("example.com", 21)
	c.HardBounced("example.com", counters.Hard5XX, 8)
	c.UpdateHost("example.com", func(h *counters.Host) { h.Unattempted, h.Attempted, h.Down = 300, 65, true })
	c.Delivered("the.tdc.queue", 1204)
	c.UpdateHost("the.tdc.queue", func(h *counters.Host) { h.ConnOut = 3 })
	c.Deleted("b.example", 2)
	return c.Snapshot(), t0
}

func TestTopHostsLayout(t *testing.T) {
	s, _ := workload()
	golden(t, "tophosts1.txt", TopHosts(s, 1))
	got := TopHosts(s, 3)
	want := "1    the.tdc.queue                           0       3    1,204        0        0\n"
	if !contains(got, want) {
		t.Errorf("sort by delivered: want first row %q in\n%s", want, got)
	}
}

func TestHostStatus(t *testing.T) {
	s, _ := workload()
	out, ok := HostStatus(s, "EXAMPLE.com")
	if !ok {
		t.Fatal("example.com not found")
	}
	golden(t, "hoststatus.txt", out)
	if _, ok := HostStatus(s, "nowhere.example"); ok {
		t.Error("unknown host reported as known")
	}
}

func TestStatus(t *testing.T) {
	s, _ := workload()
	info := StatusInfo{MID: 1234, ICID: 99, DCID: 1000000, Unattempted: 300, Attempted: 65, DeliveryQueue: 42}
	golden(t, "status.txt", Status(s, info, false))
	golden(t, "status_detail.txt", Status(s, info, true))
}

func TestComma(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1204: "1,204", 182000: "182,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := Comma(n); got != want {
			t.Errorf("Comma(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCtimePadsDay(t *testing.T) {
	got := Ctime(time.Date(2026, 11, 2, 9, 5, 1, 0, time.UTC))
	if got != "Mon Nov  2 09:05:01 2026" {
		t.Errorf("Ctime = %q", got)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// The DANE line appears only for a destination whose DANE outcome was
// recorded (dane set), after the TLS line.
func TestHostStatusDANE(t *testing.T) {
	c := counters.New(func() time.Time { return time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC) }, nil)
	c.UpdateHost("dane.example", func(h *counters.Host) {
		h.LastTLS, h.LastDANE = "success TLSv1.3", "success mx.dane.example (DANE TLSA 3 1 1)"
	})
	out, _ := HostStatus(c.Snapshot(), "dane.example")
	if want := "Last TLS Status:       success TLSv1.3\nLast DANE Status:      success mx.dane.example (DANE TLSA 3 1 1)\n"; !contains(out, want) {
		t.Errorf("hoststatus lacks %q:\n%s", want, out)
	}
	s, _ := workload()
	if out, _ := HostStatus(s, "example.com"); contains(out, "DANE") {
		t.Errorf("a DANE line without DANE:\n%s", out)
	}
}
