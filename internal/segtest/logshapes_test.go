package segtest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLogShapeExamples: every shape matches its own real line, and no
// earlier shape takes that line from it (MatchLogShape answers the first
// match).
func TestLogShapeExamples(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range LogShapes {
		if seen[s.Name] {
			t.Errorf("shape %q listed twice", s.Name)
		}
		seen[s.Name] = true
		got, ok := MatchLogShape("Info: " + s.Example)
		if !ok || got.Name != s.Name {
			t.Errorf("%s: its example %q matches %q (ok %v)", s.Name, s.Example, got.Name, ok)
		}
	}
}

// TestLogShapeExamplesAreReal: the examples cited as "S:n" are line n of
// reference/mail_logs.sample, verbatim, when the shared reference is at
// hand (it lives beside the repository in the work tree, not in it).
func TestLogShapeExamplesAreReal(t *testing.T) {
	data, err := os.ReadFile("../../../shared/reference/mail_logs.sample")
	if err != nil {
		t.Logf("reference sample not at hand (%v): examples not checked against it", err)
		return
	}
	sample := strings.Split(string(data), "\n")
	n := 0
	for _, s := range LogShapes {
		num, ok := strings.CutPrefix(s.Source, "S:")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(num)
		if err != nil || i < 1 || i > len(sample) {
			t.Errorf("%s: bad source %q", s.Name, s.Source)
			continue
		}
		if line := sample[i-1]; !strings.HasSuffix(line, ": "+s.Example) {
			t.Errorf("%s: sample line %d is\n%q\nnot ...%q", s.Name, i, line, s.Example)
		}
		n++
	}
	if n < 30 {
		t.Errorf("only %d shapes cite a sample line", n)
	}
}

// TestMatchLogShapeRefuses: lines AsyncOS never writes match no shape.
func TestMatchLogShapeRefuses(t *testing.T) {
	for _, l := range []string{
		"Info: ICID 3 ACCEPT SG ALL match ALL SBRS None extra",
		"Info: Bounced: DCID 8 MID 9 to RID 0 - 5.1.1 - Bad destination mailbox address ('550', ['x']) []",
		"Info: MID 4 to RID [0] pending till Tue Apr 27 13:05:17 2004 [Default]",
		"Info: TDC: MID 35 with Message-ID '<Lands'End.123@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address i@x.test",
		"Info: Connection Error: DCID 1 domain: x.test IP: 127.0.0.1 port: 25 details: dial tcp 127.0.0.1:25: connect: connection refused interface: 0.0.0.0 reason: connection refused x",
		"Warning: MID 3 could not record delivery results in the queue: disk full",
	} {
		if s, ok := MatchLogShape(l); ok {
			t.Errorf("%q matches %q", l, s.Name)
		}
	}
}
