package ctl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// fakeShell stands in for *shell.Session.
type fakeShell struct {
	user   string
	out    io.Writer
	errw   io.Writer
	mu     sync.Mutex
	sizes  []Size
	resize chan Size
	// onRun, when set, is called by RunOneShot before it returns (a
	// command that stops the server, as shutdown does).
	onRun func()
}

func (f *fakeShell) RunOneShot(line string) error {
	if strings.HasPrefix(line, "fail") {
		return errors.New("Unknown command: fail")
	}
	fmt.Fprintf(f.out, "%s ran %q\n", f.user, line)
	if f.onRun != nil {
		f.onRun()
	}
	return nil
}

func (f *fakeShell) RunBatch(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		if sc.Text() == "bad" {
			fmt.Fprintf(f.errw, "%s:%d: bad line\n", name, n)
			return printedErr{}
		}
	}
	fmt.Fprintf(f.out, "%s: %d lines\n", name, n)
	return nil
}

func (f *fakeShell) RunTerminal(in io.ReadCloser, out io.Writer) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() == "quit" {
			return nil
		}
		fmt.Fprintf(out, "> %s\n", strings.ToUpper(sc.Text()))
	}
	return nil
}

func (f *fakeShell) Resize(w, h int) {
	f.mu.Lock()
	f.sizes = append(f.sizes, Size{w, h})
	f.mu.Unlock()
	if f.resize != nil {
		f.resize <- Size{w, h}
	}
}

type printedErr struct{}

func (printedErr) Error() string { return "batch failed" }

// serve starts a server on a socket in a temp dir.
func serve(t *testing.T, sh *fakeShell) (string, *Server) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seg.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Open: func(h Hello, stdout, stderr io.Writer) (Shell, error) {
			if h.User != "admin" {
				return nil, fmt.Errorf("Unknown user: %s", h.User)
			}
			sh.user, sh.out, sh.errw = h.User, stdout, stderr
			return sh, nil
		},
		Printed: func(err error) bool { return errors.As(err, new(printedErr)) },
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path, s
}

func run(t *testing.T, path string, h Hello, stdin io.Reader) (int, string, string) {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	code, err := Run(c, h, stdin, &out, &errw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errw.String()
}

func TestOneShot(t *testing.T) {
	path, _ := serve(t, &fakeShell{})
	code, out, errs := run(t, path, Hello{User: "admin", Mode: ModeOneShot, Command: "tophosts 1 ; commit"}, nil)
	if code != 0 || out != "admin ran \"tophosts 1 ; commit\"\n" || errs != "" {
		t.Fatalf("code %d out %q err %q", code, out, errs)
	}
	code, out, errs = run(t, path, Hello{User: "admin", Mode: ModeOneShot, Command: "fail now"}, nil)
	if code != 1 || out != "" || errs != "Unknown command: fail\n" {
		t.Fatalf("failing command: code %d out %q err %q", code, out, errs)
	}
}

func TestBatch(t *testing.T) {
	path, _ := serve(t, &fakeShell{})
	code, out, _ := run(t, path, Hello{User: "admin", Mode: ModeBatch, File: "conf.txt"}, strings.NewReader("a\nb\nc\n"))
	if code != 0 || out != "conf.txt: 3 lines\n" {
		t.Fatalf("code %d out %q", code, out)
	}
	// An error the shell printed itself is not printed again.
	code, _, errs := run(t, path, Hello{User: "admin", Mode: ModeBatch, File: "x"}, strings.NewReader("a\nb\nbad\nd\n"))
	if code != 1 || errs != "x:3: bad line\n" {
		t.Fatalf("code %d err %q", code, errs)
	}
	// A large input crosses many frames.
	big := strings.Repeat("line of batch input\n", 100000)
	code, out, _ = run(t, path, Hello{User: "admin", Mode: ModeBatch}, strings.NewReader(big))
	if code != 0 || out != "-: 100000 lines\n" {
		t.Fatalf("big batch: code %d out %q", code, out)
	}
}

func TestTerminalAndResize(t *testing.T) {
	sh := &fakeShell{resize: make(chan Size, 4)}
	path, _ := serve(t, sh)
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	resize := make(chan Size, 1)
	var out bytes.Buffer
	res := make(chan int, 1)
	go func() {
		code, err := Run(c, Hello{User: "admin", Mode: ModeTerminal, Width: 80, Height: 24}, pr, &out, io.Discard, resize)
		if err != nil {
			t.Error(err)
		}
		res <- code
	}()
	if got := <-sh.resize; got != (Size{80, 24}) {
		t.Fatalf("initial size %v", got)
	}
	resize <- Size{132, 50}
	if got := <-sh.resize; got != (Size{132, 50}) {
		t.Fatalf("resized to %v", got)
	}
	io.WriteString(pw, "hello\nquit\n")
	select {
	case code := <-res:
		if code != 0 || out.String() != "> HELLO\n" {
			t.Fatalf("code %d out %q", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("terminal session did not end on quit")
	}
	pw.Close()
}

func TestUnknownUserAndBadHello(t *testing.T) {
	path, _ := serve(t, &fakeShell{})
	code, _, errs := run(t, path, Hello{User: "mallory", Mode: ModeOneShot, Command: "x"}, nil)
	if code != 1 || errs != "Unknown user: mallory\n" {
		t.Fatalf("code %d err %q", code, errs)
	}
	code, _, errs = run(t, path, Hello{User: "admin", Mode: "telepathy"}, nil)
	if code != 2 || !strings.Contains(errs, "unknown session mode") {
		t.Fatalf("code %d err %q", code, errs)
	}
	// A peer speaking garbage gets a protocol error, and the server goes on.
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	WriteFrame(c, FrameStdin, []byte("not a hello"))
	typ, p, err := ReadFrame(c)
	if err != nil || typ != FrameStderr || !strings.Contains(string(p), "protocol error") {
		t.Fatalf("got %q %q %v", typ, p, err)
	}
	c.Close()
	if code, _, _ := run(t, path, Hello{User: "admin", Mode: ModeOneShot, Command: "x"}, nil); code != 0 {
		t.Fatalf("server broken after a bad peer: %d", code)
	}
}

func TestCloseEndsOpenSessions(t *testing.T) {
	path, s := serve(t, &fakeShell{})
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	res := make(chan error, 1)
	go func() {
		_, err := Run(c, Hello{User: "admin", Mode: ModeTerminal}, pr, io.Discard, io.Discard, nil)
		res <- err
	}()
	// Wait for the session to be open before closing the server.
	segtest.Wait(t, 5*time.Second, "the session to open", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 1
	})
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung on an open terminal session")
	}
	<-res
}

func TestListenSocketModeAndStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seg.sock")
	if _, err := Dial(path); !NotRunning(err) {
		t.Fatalf("missing socket: NotRunning(%v) = false", err)
	}
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", st.Mode().Perm())
	}
	// The socket was bound in a private directory and renamed into
	// place; nothing of that is left.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("data dir holds %d entries after Listen, want only the socket", len(entries))
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another seg appliance") {
		t.Fatalf("second Listen on a live socket: %v", err)
	}
	// Simulate a crash: the socket file stays, nothing listens.
	ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal("socket file should be left behind")
	}
	if _, err := Dial(path); !NotRunning(err) {
		t.Fatalf("stale socket: NotRunning(%v) = false", err)
	}
	ln, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()
	os.WriteFile(path, []byte("x"), 0o600)
	if _, err := Listen(path); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
}

func TestFrameLimits(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, FrameStdout, make([]byte, MaxPayload+1)); err == nil {
		t.Fatal("oversized frame written")
	}
	b.Write([]byte{FrameStdout, 0xff, 0xff, 0xff, 0xff})
	if _, _, err := ReadFrame(&b); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized frame read: %v", err)
	}
	b.Reset()
	b.Write([]byte{FrameStdout, 0, 0, 0, 9, 'a'})
	if _, _, err := ReadFrame(&b); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("truncated frame: %v", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{FrameHello, 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{FrameExit, 0, 0, 0, 4, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			typ, p, err := ReadFrame(r)
			if err != nil {
				return
			}
			var b bytes.Buffer
			if err := WriteFrame(&b, typ, p); err != nil {
				t.Fatal(err)
			}
			typ2, p2, err := ReadFrame(&b)
			if err != nil || typ2 != typ || !bytes.Equal(p, p2) {
				t.Fatalf("round trip: %q %q %v", typ2, p2, err)
			}
		}
	})
}
