package shell_test

import (
	"io"
	"strings"
	"testing"

	"seg/store"
)

// TestTraceRoles: trace needs the operator role (it reads message files
// from the configuration directory); a read-only user is refused before
// the mail system is asked anything.
func TestTraceRoles(t *testing.T) {
	for _, c := range []struct {
		role string
		ok   bool
	}{{store.RoleAdmin, true}, {store.RoleOperator, true}, {store.RoleReadOnly, false}, {store.RoleGuest, false}} {
		s, out, errOut := batchSession(t, newStore(t))
		s.Role = c.role
		fm := &fakeMail{}
		s.Mail = fm
		err := s.RunBatch("t.txt", strings.NewReader("trace source 127.0.0.5 helo x.test from a@b.test to c@d.test\n"))
		if got := len(fm.calls) == 1 && err == nil; got != c.ok {
			t.Errorf("%s: trace ran %v (err %v, calls %v, out %q, err %q), want %v", c.role, got, err, fm.calls, out, errOut, c.ok)
		}
	}
}

// TestTraceCompletion: Tab offers trace's keywords, the listener names
// after "listener" and the configuration files after "message".
func TestTraceCompletion(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	scr := &screen{}
	go io.Copy(scr, outR)
	go s.RunTerminal(inR, outW)
	t.Cleanup(func() { inW.Close(); outW.Close() })
	typ := func(text string) {
		t.Helper()
		if _, err := inW.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	typ("trace sou\t")
	pos = scr.waitFor(t, pos, "rce ")
	typ("127.0.0.5 listener Inc\t")
	pos = scr.waitFor(t, pos, "omingMail ")
	typ("he\t")
	pos = scr.waitFor(t, pos, "lo ")
	typ("x.test\r")
	scr.waitFor(t, pos, "from is required.")
}
