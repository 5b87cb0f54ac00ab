package listenercmd

import (
	"strings"
	"testing"

	"seg/shell/shelltest"
)

// TestPartialLineInBatch: in a batch file or a one-shot line (no one to
// ask) a partial line is a usage error, at its FILE:LINE in a file,
// listing the forms that continue it, even when the session was opened
// on a terminal.
func TestPartialLineInBatch(t *testing.T) {
	cases := []struct{ line, want string }{
		{"listenerconfig edit IncomingMail hostaccess", "f.txt:2: Usage: listenerconfig edit NAME hostaccess new sendergroup"},
		{"listenerconfig edit IncomingMail", "f.txt:2: Usage: listenerconfig edit NAME"},
		{"listenerconfig edit", "f.txt:2: Usage: listenerconfig edit NAME"},
		{"listenerconfig edit IncomingMail hostaccess edit sendergroup RELAYLIST", "f.txt:2: Nothing to change"},
	}
	for _, tc := range cases {
		h := shelltest.NewSession(t, registry(), newStore())
		err := h.S.RunBatch("f.txt", strings.NewReader("# partial\n"+tc.line+"\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to start with %q", tc.line, err, tc.want)
		}
		if out := h.Output(); strings.Contains(out, "Choose the operation") {
			t.Errorf("%s: a batch line opened a menu:\n%s", tc.line, out)
		}
	}
	h := shelltest.NewSession(t, registry(), newStore())
	err := h.S.RunOneShot("listenerconfig edit IncomingMail hostaccess")
	if err == nil || !strings.HasPrefix(err.Error(), "Usage: listenerconfig edit NAME hostaccess new sendergroup") {
		t.Errorf("one-shot partial line: error = %v", err)
	}
	if strings.Contains(h.Output(), "Choose the operation") {
		t.Errorf("a one-shot line opened a menu:\n%s", h.Output())
	}
}
