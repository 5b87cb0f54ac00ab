package report

import (
	"strings"
	"testing"
)

func TestHostStatusRecipientWindow(t *testing.T) {
	s, _ := workload()
	for i := range s.Hosts {
		if s.Hosts[i].Name == "example.com" {
			s.Hosts[i].RateLimit, s.Hosts[i].RateMinutes, s.Hosts[i].RateUsed = 1000, 60, 250
		}
	}
	out, _ := HostStatus(s, "example.com")
	want := "              0  Pending Outbound Connections\n            250  Recipients In Limit Window (1,000 per 60 minutes)\n"
	if !strings.Contains(out, want) {
		t.Errorf("hoststatus:\n%s\nwant:\n%s", out, want)
	}
	for i := range s.Hosts {
		s.Hosts[i].RatePerIP = true
	}
	if out, _ := HostStatus(s, "example.com"); !strings.Contains(out, "(1,000 per 60 minutes for each MX IP, the busiest)") {
		t.Errorf("per MX IP:\n%s", out)
	}
	if out, _ := HostStatus(s, "b.example"); strings.Contains(out, "Limit Window") {
		t.Errorf("a host without a limit:\n%s", out)
	}
}
