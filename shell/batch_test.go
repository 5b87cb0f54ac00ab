package shell_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"seg/shell"
	"seg/store"
)

// batchSession is a non-interactive admin session on st; out and errOut
// collect its stdout and stderr.
func batchSession(t *testing.T, st store.Store) (s *shell.Session, out, errOut *bytes.Buffer) {
	t.Helper()
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	s = &shell.Session{
		User: "admin", Role: store.RoleAdmin, Source: "test", Store: st,
		Commands: testRegistry(), Out: out, Err: errOut, DataDir: t.TempDir(),
	}
	return s, out, errOut
}

func TestBatchErrorStopsAndKeepsOnlyCommitted(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	file := `# set up
sethostname one.example.com
commit "first"
sethostname two.example.com
setssh nonsense
sethostname three.example.com
commit "never"
`
	err := s.RunBatch("f.txt", strings.NewReader(file))
	var be *shell.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("RunBatch = %v, want *BatchError", err)
	}
	if be.File != "f.txt" || be.Line != 5 {
		t.Errorf("error at %s:%d, want f.txt:5", be.File, be.Line)
	}
	if got, want := err.Error(), "f.txt:5: You must enter a number."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cur := running(t, st)
	if cur.Revision.Number != 2 || cur.Config.System.Hostname != "one.example.com" {
		t.Errorf("running = revision %d hostname %q, want revision 2 one.example.com",
			cur.Revision.Number, cur.Config.System.Hostname)
	}
	if s.Dirty() {
		t.Error("candidate kept after a failed batch")
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q; the caller prints the error", errOut)
	}
}

func TestBatchErrorOnLineThree(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	err := s.RunBatch("f.txt", strings.NewReader("help\n\nnosuchcommand arg\nsethostname x.example.com\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "f.txt:3: Unknown command: nosuchcommand") {
		t.Fatalf("RunBatch = %v, want f.txt:3: Unknown command...", err)
	}
}

func TestBatchCommentsBlankLinesAndCRLF(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	file := "# comment\r\n\r\n   \r\n  # indented comment\r\nsethostname crlf.example.com\r\n\tcommit \"from windows\"\r\n"
	if err := s.RunBatch("f.txt", strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	cur := running(t, st)
	if cur.Config.System.Hostname != "crlf.example.com" || cur.Revision.Comment != "from windows" {
		t.Errorf("running hostname %q comment %q", cur.Config.System.Hostname, cur.Revision.Comment)
	}
	if errOut.Len() != 0 {
		t.Errorf("unexpected warning %q", errOut)
	}
}

func TestBatchUncommittedWarning(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	file := "sethostname a.example.com\ncommit\nsethostname b.example.com\nsetssh 2200\n"
	if err := s.RunBatch("f.txt", strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	want := "Warning: 2 uncommitted change(s) discarded (no commit at the end of f.txt)\n"
	if errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	cur := running(t, st)
	if cur.Config.System.Hostname != "a.example.com" || cur.Config.SSH.Port != 2222 {
		t.Errorf("running hostname %q ssh port %d, want a.example.com and 2222", cur.Config.System.Hostname, cur.Config.SSH.Port)
	}
	if s.Dirty() {
		t.Error("candidate kept")
	}
}

func TestBatchQuitEndsRun(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	if err := s.RunBatch("f.txt", strings.NewReader("sethostname q.example.com\nquit\ncommit\n")); err != nil {
		t.Fatal(err)
	}
	if running(t, st).Revision.Number != 1 {
		t.Error("commit after quit was run")
	}
	if !strings.Contains(errOut.String(), "1 uncommitted change(s) discarded") {
		t.Errorf("stderr = %q, want the uncommitted warning", errOut)
	}
}

func TestBatchAsksNothing(t *testing.T) {
	s, out, _ := batchSession(t, newStore(t))
	s.Mail = &fakeMail{}
	// commit without a comment, clear without confirmation, tophosts
	// with its default sort, hoststatus without its host: an error.
	file := "sethostname b.example.com\nclear\ncommit\ntophosts\nhoststatus\n"
	err := s.RunBatch("f.txt", strings.NewReader(file))
	if err == nil || !strings.HasPrefix(err.Error(), "f.txt:5: hoststatus needs arguments here. Usage: hoststatus DOMAIN") {
		t.Fatalf("RunBatch = %v", err)
	}
	want := "All changes have been discarded.\nThere are no changes to commit.\n[mail system] tophosts 1\n"
	if out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
}

func TestBatchLongLine(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	long := "help " + strings.Repeat("x", 2<<20) + "\n"
	err := s.RunBatch("big.txt", strings.NewReader("help\n"+long))
	if err == nil || !strings.HasPrefix(err.Error(), "big.txt:2: line longer than") {
		t.Fatalf("RunBatch = %v", err)
	}
}

func TestOneShot(t *testing.T) {
	st := newStore(t)
	s, out, errOut := batchSession(t, st)
	if err := s.RunOneShot(`sethostname one.example.com ; setssh 2200 ; commit "two ; changes"`); err != nil {
		t.Fatal(err)
	}
	cur := running(t, st)
	if cur.Config.System.Hostname != "one.example.com" || cur.Config.SSH.Port != 2200 || cur.Revision.Comment != "two ; changes" {
		t.Errorf("running: hostname %q port %d comment %q", cur.Config.System.Hostname, cur.Config.SSH.Port, cur.Revision.Comment)
	}
	if !strings.HasPrefix(out.String(), "Changes committed: ") || errOut.Len() != 0 {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
}

func TestOneShotFailureAndWarning(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	err := s.RunOneShot("sethostname a.example.com ; setssh x ; commit")
	if err == nil || err.Error() != "You must enter a number." {
		t.Fatalf("RunOneShot = %v", err)
	}
	if running(t, st).Revision.Number != 1 || s.Dirty() {
		t.Error("failed one-shot changed something")
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q", errOut)
	}
	if err := s.RunOneShot("sethostname a.example.com"); err != nil {
		t.Fatal(err)
	}
	if want := "Warning: 1 uncommitted change(s) discarded (no commit at the command line)\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	if running(t, st).Revision.Number != 1 {
		t.Error("uncommitted one-shot was applied")
	}
}

func TestOneShotOffline(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	err := s.RunOneShot("tophosts 1")
	if !errors.Is(err, shell.ErrMailNotRunning) {
		t.Fatalf("RunOneShot = %v, want ErrMailNotRunning", err)
	}
	if err.Error() != "The mail system is not running." {
		t.Errorf("message %q", err)
	}
}
