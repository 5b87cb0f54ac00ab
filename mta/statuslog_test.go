package mta

import (
	"regexp"
	"strings"
	"testing"
)

// The status log's line: AsyncOS's field names in AsyncOS's order, with
// the counters after a known workload (one message, one recipient,
// delivered, with its journal copy).
func TestStatusLogLine(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{})
	e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
	e.wait("the message and its copy delivered", func() bool { return e.dest.Count() == 1 && e.intake.Count() == 1 })
	e.waitEmpty()
	line := e.m.StatusLogLine()
	names := regexp.MustCompile(` ([A-Za-z0-9]+) -?\d+`).FindAllStringSubmatch(line, -1)
	var got []string
	for _, n := range names {
		got = append(got, n[1])
	}
	want := "QKUsd QKFre CrtMID CrtICID CrtDCID InjMsg InjRcp GenBncRcp RejRcp DrpMsg SftBncEvnt CmpRcp HrdBncRcp DnsHrdBnc 5XXHrdBnc FltrHrdBnc ExpHrdBnc OtrHrdBnc DlvRcp DelRcp ActvRcp UnatmptRcp AtmptRcp CrtCncIn CrtCncOut DstInMem WorkQ"
	if !strings.HasPrefix(line, "Status: ") || strings.Join(got, " ") != want {
		t.Fatalf("status line %q\nfields %v", line, got)
	}
	for _, f := range []string{" CrtMID 2 ", " CrtICID 1 ", " InjMsg 1 ", " InjRcp 1 ", " HrdBncRcp 0 ", " ActvRcp 0 ", " CrtCncIn 0 ", " WorkQ 0"} {
		if !strings.Contains(line+" ", f) {
			t.Errorf("status line lacks %q: %s", f, line)
		}
	}
}
