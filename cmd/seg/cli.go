package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"seg/internal/ctl"
	"seg/shell/commands"
	"seg/store"
)

// inUseWait is how long `seg cli` waits for an appliance that holds the
// config store but has no control socket yet (it is starting).
const inUseWait = 15 * time.Second

// cliRequest is what `seg cli` was asked to do.
type cliRequest struct {
	hello ctl.Hello
	input io.Reader // batch input; nil otherwise
}

// cmdCLI is `seg cli`: a session on the running appliance over the
// control socket, or on the config store directly when none runs.
func cmdCLI(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs, data := newFlags("cli", stderr)
	user := fs.String("u", "admin", "the appliance user to act as")
	file := fs.String("f", "", "run the batch file `FILE` (- for standard input)")
	if rc := parseFlags(fs, args); rc >= 0 {
		return rc
	}
	if *file != "" && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "seg cli: give either a command or -f FILE, not both\n%s", usage)
		return exitUsage
	}
	req := cliRequest{hello: ctl.Hello{User: *user}}
	switch {
	case *file == "-":
		req.hello.Mode, req.hello.File, req.input = ctl.ModeBatch, "-", stdin
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			fmt.Fprintf(stderr, "seg cli: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		req.hello.Mode, req.hello.File, req.input = ctl.ModeBatch, *file, f
	case fs.NArg() > 0:
		req.hello.Mode, req.hello.Command = ctl.ModeOneShot, joinArgs(fs.Args())
	case isTerminal(stdin):
		req.hello.Mode = ctl.ModeTerminal
		sz := termSize(stdin)
		req.hello.Width, req.hello.Height = sz.Width, sz.Height
	default:
		// Commands piped in: `seg cli < file` is a batch file.
		req.hello.Mode, req.hello.File, req.input = ctl.ModeBatch, "-", stdin
	}

	dir, err := filepath.Abs(*data)
	if err != nil {
		fmt.Fprintf(stderr, "seg cli: %v\n", err)
		return exitFail
	}
	sock := filepath.Join(dir, "seg.sock")
	deadline := time.Now().Add(inUseWait)
	for {
		conn, err := ctl.Dial(sock)
		if err == nil {
			return cliOnline(conn, req, stdin, stdout, stderr)
		}
		if !ctl.NotRunning(err) {
			fmt.Fprintf(stderr, "seg cli: cannot reach the appliance at %s: %v\n", sock, err)
			return exitFail
		}
		code, err := cliOffline(dir, req, stdin, stdout, stderr)
		if !errors.Is(err, store.ErrInUse) {
			if err != nil {
				fmt.Fprintf(stderr, "seg cli: %v\n", err)
			}
			return code
		}
		// The store is locked but nobody answers on the socket: an
		// appliance is starting (or another offline seg cli runs).
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "seg cli: %v\n", err)
			return exitFail
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cliOnline runs the session on the appliance. In terminal mode the
// local terminal goes raw and its bytes and window size are relayed; the
// appliance's readline does the editing.
func cliOnline(conn net.Conn, req cliRequest, stdin *os.File, stdout, stderr io.Writer) int {
	var (
		input  = req.input
		resize <-chan ctl.Size
	)
	if req.hello.Mode == ctl.ModeTerminal {
		restore, err := makeRaw(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "seg cli: %v\n", err)
			return exitFail
		}
		defer restore()
		sizes, stop := watchSize(stdin)
		defer stop()
		input, resize = stdin, sizes
	}
	code, err := ctl.Run(conn, req.hello, input, stdout, stderr, resize)
	if err != nil {
		fmt.Fprintf(stderr, "seg cli: %v\n", err)
		return exitFail
	}
	return code
}

// cliOffline runs the session on DIR/config.db itself, without a mail
// system. store.ErrInUse (wrapped) means the store is locked.
func cliOffline(dir string, req cliRequest, stdin *os.File, stdout, stderr io.Writer) (int, error) {
	d, err := prepareDataDir(dir)
	if err != nil {
		return exitFail, err
	}
	// The generated password goes to stderr here: stdout carries the
	// commands' output, which scripts capture.
	st, _, err := d.openStore("", stderr, func(format string, args ...any) { fmt.Fprintf(stderr, "seg cli: "+format+"\n", args...) })
	if err != nil {
		return exitFail, err
	}
	defer st.Close()
	// A password changed offline removes the initial password file, as a
	// commit does while seg runs.
	initialPW := newInitialPassword(d, func(format string, args ...any) { fmt.Fprintf(stderr, "seg cli: "+format+"\n", args...) })
	defer func() {
		if snap, err := st.Current(); err == nil {
			initialPW.check(snap.Config)
		}
	}()
	logs := newLogSet(d, func(format string, args ...any) { fmt.Fprintf(stderr, "seg cli: "+format+"\n", args...) }, nil)
	defer logs.close()
	if snap, err := st.Current(); err != nil {
		return exitFail, err
	} else if err := logs.apply(snap.Config); err != nil {
		return exitFail, err
	}
	// Offline nothing of seg's listens: every new address must bind.
	st.SetCommitCheck(bindCheck(nil))
	a := &admin{dir: d, store: st, cmds: commands.Registry(), log: &cliLog{log: logs.writer(store.LogCLILogs), auth: logs.writer(store.LogAuthentication)}, logs: logs.m}
	s, err := a.newSession(req.hello.User, "offline", stdout, stderr)
	if err != nil {
		return exitFail, err
	}
	switch req.hello.Mode {
	case ctl.ModeOneShot:
		err = s.RunOneShot(req.hello.Command)
	case ctl.ModeBatch:
		err = s.RunBatch(req.hello.File, req.input)
	case ctl.ModeTerminal:
		restore, rerr := makeRaw(stdin)
		if rerr != nil {
			return exitFail, rerr
		}
		s.Resize(req.hello.Width, req.hello.Height)
		sizes, stop := watchSize(stdin)
		go func() {
			for sz := range sizes {
				s.Resize(sz.Width, sz.Height)
			}
		}()
		err = s.RunTerminal(stdin, stdout)
		stop()
		restore()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail, nil
	}
	return exitOK, nil
}

// joinArgs rebuilds the command line from the words the user's shell
// split, quoting words that need it so the appliance's tokenizer sees
// the same words: `seg cli commit "raise limit"`. A lone ";" stays a
// command separator.
func joinArgs(args []string) string {
	if len(args) == 1 {
		return args[0] // one quoted line: `seg cli 'a ; b'`
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = quoteWord(a)
	}
	return strings.Join(out, " ")
}

func quoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\"'\\") {
		return w
	}
	if !strings.Contains(w, "'") {
		return "'" + w + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(w) + `"`
}
