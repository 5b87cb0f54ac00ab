package sshd

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
	"seg/store"
)

// fakeShell stands in for *shell.Session.
type fakeShell struct {
	user, src string
	out, errw io.Writer
	sizes     chan [2]int
}

func (f *fakeShell) RunOneShot(line string) error {
	if strings.HasPrefix(line, "fail") {
		fmt.Fprintln(f.errw, "Unknown command: fail")
		return errPrinted
	}
	fmt.Fprintf(f.out, "%s from %s ran %q\n", f.user, f.src, line)
	return nil
}

func (f *fakeShell) RunBatch(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
	}
	fmt.Fprintf(f.out, "batch %s: %d lines\n", name, n)
	return nil
}

func (f *fakeShell) RunTerminal(in io.ReadCloser, out io.Writer) error {
	sc := bufio.NewScanner(in)
	fmt.Fprint(out, "seg> ")
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "quit" {
			return nil
		}
		fmt.Fprintf(out, "you said %s\nseg> ", line)
	}
	return nil
}

func (f *fakeShell) Resize(w, h int) {
	if f.sizes != nil {
		f.sizes <- [2]int{w, h}
	}
}

var errPrinted = errors.New("printed")

type env struct {
	srv    *Server
	st     store.Store
	clk    *segtest.Clock
	addr   string
	key    ssh.Signer // a client key authorised for admin
	mu     sync.Mutex
	fails  []string
	sizes  chan [2]int
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T) *env {
	t.Helper()
	// The lowest bcrypt cost keeps the many logins below fast under -race;
	// CheckPassword reads the cost from the hash.
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	_, cpriv, _ := ed25519.GenerateKey(rand.Reader)
	ckey, _ := ssh.NewSignerFromKey(cpriv)
	cfg := store.Default("seg.test", hash)
	cfg.Users[0].SSHKeys = []string{string(ssh.MarshalAuthorizedKey(ckey.PublicKey()))}
	cfg.SSH = store.SSHConfig{Address: "127.0.0.1", Port: segtest.FreePort(t)}
	st := store.NewMemory(cfg)
	hostKey, err := LoadOrCreateHostKey(filepath.Join(t.TempDir(), "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, clk: segtest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), key: ckey,
		sizes: make(chan [2]int, 8), done: make(chan error, 1)}
	e.srv = &Server{
		Store:   st,
		HostKey: hostKey,
		Open: func(user, src string, stdout, stderr io.Writer) (Shell, error) {
			return &fakeShell{user: user, src: src, out: stdout, errw: stderr, sizes: e.sizes}, nil
		},
		Printed: func(err error) bool { return errors.Is(err, errPrinted) },
		AuthFailed: func(user, src, why string) {
			e.mu.Lock()
			e.fails = append(e.fails, user+": "+why)
			e.mu.Unlock()
		},
		Now: e.clk.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- e.srv.Run(ctx) }()
	<-e.srv.Ready()
	if e.srv.Addr() == nil {
		t.Fatal("server did not bind")
	}
	e.addr = e.srv.Addr().String()
	t.Cleanup(func() {
		cancel()
		if err := <-e.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return e
}

func dial(addr, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

func TestExecWithPasswordAndExitStatus(t *testing.T) {
	e := start(t)
	c, err := dial(e.addr, "admin", ssh.Password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	out, err := sess.Output("tophosts 1 ; commit")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("admin from ssh %s ran \"tophosts 1 ; commit\"\n", c.LocalAddr()); string(out) != want {
		t.Fatalf("got %q want %q", out, want)
	}
	sess, _ = c.NewSession()
	out, err = sess.CombinedOutput("fail please")
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 1 || string(out) != "Unknown command: fail\n" {
		t.Fatalf("failing command: %v %q", err, out)
	}
}

func TestPublicKeyAndBatch(t *testing.T) {
	e := start(t)
	c, err := dial(e.addr, "admin", ssh.PublicKeys(e.key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	sess.Stdin = strings.NewReader("listenerconfig print\n# c\ncommit\n")
	var out strings.Builder
	sess.Stdout = &out
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Wait(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "batch -: 3 lines\n" {
		t.Fatalf("got %q", out.String())
	}
	// A key that is not listed does not log in.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	okey, _ := ssh.NewSignerFromKey(other)
	if _, err := dial(e.addr, "admin", ssh.PublicKeys(okey)); err == nil {
		t.Fatal("unlisted key accepted")
	}
}

func TestTerminalWithPty(t *testing.T) {
	e := start(t)
	c, err := dial(e.addr, "admin", ssh.Password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, _ := c.NewSession()
	if err := sess.RequestPty("xterm", 40, 100, nil); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	outR, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if got := <-e.sizes; got != [2]int{100, 40} {
		t.Fatalf("pty size %v", got)
	}
	if err := sess.WindowChange(50, 132); err != nil {
		t.Fatal(err)
	}
	if got := <-e.sizes; got != [2]int{132, 50} {
		t.Fatalf("window change %v", got)
	}
	io.WriteString(in, "hello\nquit\n")
	out, _ := io.ReadAll(outR)
	if string(out) != "seg> you said hello\r\nseg> " {
		t.Fatalf("terminal output %q", out)
	}
	if err := sess.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	e := start(t)
	for i := 0; i < MaxFailures; i++ {
		if _, err := dial(e.addr, "admin", ssh.Password("wrong")); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	if _, err := dial(e.addr, "admin", ssh.Password("correct horse")); err == nil {
		t.Fatal("locked account accepted the right password")
	}
	if _, err := dial(e.addr, "admin", ssh.PublicKeys(e.key)); err == nil {
		t.Fatal("locked account accepted its key")
	}
	e.mu.Lock()
	fails := strings.Join(e.fails, "\n")
	e.mu.Unlock()
	if !strings.Contains(fails, "account locked for 5 minutes") || !strings.Contains(fails, "admin: account locked") {
		t.Fatalf("auth log:\n%s", fails)
	}
	e.clk.Advance(LockTime - time.Second)
	if _, err := dial(e.addr, "admin", ssh.Password("correct horse")); err == nil {
		t.Fatal("lock lifted early")
	}
	e.clk.Advance(time.Second)
	c, err := dial(e.addr, "admin", ssh.Password("correct horse"))
	if err != nil {
		t.Fatalf("lock not lifted after %v: %v", LockTime, err)
	}
	c.Close()
}

func TestGoodLoginResetsCount(t *testing.T) {
	e := start(t)
	for round := 0; round < 3; round++ {
		for i := 0; i < MaxFailures-1; i++ {
			dial(e.addr, "admin", ssh.Password("wrong"))
		}
		c, err := dial(e.addr, "admin", ssh.Password("correct horse"))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		c.Close()
	}
}

func TestUnknownUser(t *testing.T) {
	e := start(t)
	if _, err := dial(e.addr, "mallory", ssh.Password("correct horse")); err == nil {
		t.Fatal("unknown user logged in")
	}
}

func TestRebindOnConfigChange(t *testing.T) {
	e := start(t)
	cur, _ := e.st.Current()
	cfg := cur.Config.Clone()
	cfg.SSH.Port = segtest.FreePort(t)
	if _, err := e.st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("127.0.0.1:%d", cfg.SSH.Port)
	segtest.Wait(t, 5*time.Second, "the server on "+want, func() bool { return e.srv.Addr().String() == want })
	c, err := dial(want, "admin", ssh.Password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := net.DialTimeout("tcp", e.addr, time.Second); err == nil {
		t.Fatal("old address still accepts")
	}
}

func TestRebindFailureKeepsOldAddress(t *testing.T) {
	e := start(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	logged := make(chan string, 1)
	e.srv.Logf = func(format string, args ...any) { logged <- fmt.Sprintf(format, args...) }
	cur, _ := e.st.Current()
	cfg := cur.Config.Clone()
	cfg.SSH.Port = busy.Addr().(*net.TCPAddr).Port
	if _, err := e.st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-logged:
		if !strings.Contains(msg, "still listening on "+e.addr) {
			t.Fatalf("log %q", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("bind failure not reported")
	}
	c, err := dial(e.addr, "admin", ssh.Password("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestHostKeyKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssh_host_ed25519_key")
	a, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.PublicKey().Marshal()) != string(b.PublicKey().Marshal()) {
		t.Fatal("host key changed across loads")
	}
	if a.PublicKey().Type() != ssh.KeyAlgoED25519 {
		t.Fatalf("key type %s", a.PublicKey().Type())
	}
}

func TestCRLFWriter(t *testing.T) {
	var b strings.Builder
	w := &crlfWriter{w: &b}
	w.Write([]byte("a\nb\r\nc\r"))
	w.Write([]byte("\nd\n"))
	if b.String() != "a\r\nb\r\nc\r\nd\r\n" {
		t.Fatalf("%q", b.String())
	}
}

func TestFirstBindFailureWaitsForConfig(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	key, _ := LoadOrCreateHostKey(filepath.Join(t.TempDir(), "k"))
	cfg := store.Default("seg.test", "")
	cfg.SSH = store.SSHConfig{Address: "127.0.0.1", Port: busy.Addr().(*net.TCPAddr).Port}
	st := store.NewMemory(cfg)
	logged := make(chan string, 4)
	srv := &Server{Store: st, HostKey: key, Logf: func(f string, a ...any) { logged <- fmt.Sprintf(f, a...) },
		Open: func(string, string, io.Writer, io.Writer) (Shell, error) { return &fakeShell{}, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-srv.Ready()
	if srv.Addr() != nil {
		t.Fatalf("bound to %v on a busy port", srv.Addr())
	}
	if msg := <-logged; !strings.Contains(msg, "cannot listen on") {
		t.Fatalf("log %q", msg)
	}
	cur, _ := st.Current()
	next := cur.Config.Clone()
	next.SSH.Port = segtest.FreePort(t)
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: next, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	segtest.Wait(t, 5*time.Second, "the server to bind after the configuration changed", func() bool { return srv.Addr() != nil })
}
