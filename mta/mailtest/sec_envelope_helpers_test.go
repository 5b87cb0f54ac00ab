package mailtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// pyDialogScript is an SMTP client that sends each step verbatim with
// Python's smtplib (docmd: the line as given, CRLF appended) and prints
// the replies as JSON. "RAW line" goes out through send(), for a line
// holding a CR that docmd refuses to send; "DATA text" sends DATA and,
// after a 354, text and the final dot.
const pyDialogScript = `
import json, smtplib, sys
host, port, src = sys.argv[1:4]
steps = json.load(sys.stdin)
s = smtplib.SMTP(host, int(port), local_hostname="attacker.test", timeout=30, source_address=(src, 0))
s.ehlo("attacker.test")
out = []
for st in steps:
    if st.startswith("DATA "):
        code, msg = s.docmd("DATA")
        if code == 354:
            s.send(st[5:].encode("latin-1") + b"\r\n.\r\n")
            code, msg = s.getreply()
    elif st.startswith("RAW "):
        s.send(st[4:].encode("latin-1") + b"\r\n")
        code, msg = s.getreply()
    else:
        code, msg = s.docmd(st)
    out.append("%d %s" % (code, msg.decode("latin-1").replace("\n", " ")))
try:
    s.quit()
except Exception:
    pass
json.dump(out, sys.stdout)
`

// pyDialog runs steps from source address src against addr and returns
// one "CODE text" reply per step.
func pyDialog(t *testing.T, addr, src string, steps ...string) []string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	in, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(segtest.Tool(t, "python3"), "-c", pyDialogScript, host, port, src)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 smtplib: %v\n%s", err, stderr.String())
	}
	var replies []string
	if err := json.Unmarshal(out, &replies); err != nil || len(replies) != len(steps) {
		t.Fatalf("python3 smtplib: %v: %q", err, out)
	}
	return replies
}

// waitLine waits until the sink was sent an envelope line starting with
// prefix, and returns all its envelope lines.
func waitLine(t *testing.T, s *segtest.Sink, prefix string, timeout time.Duration) []string {
	t.Helper()
	var lines []string
	ok := segtest.Poll(timeout, func() bool {
		lines = s.EnvelopeLines()
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("sink %s: no line starting %q after %v; lines %q", s.Addr(), prefix, timeout, lines)
	}
	return lines
}
