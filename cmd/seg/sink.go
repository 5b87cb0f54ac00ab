package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"seg/internal/smtpsink"
)

const sinkUsage = `usage: seg sink [--listen HOST:PORT] [--count N] [--public]
A test receiver for trying seg out: it accepts every message, answers 250
and prints its envelope, header and first body lines. It stores nothing.
  --listen HOST:PORT  where to listen (default 127.0.0.1:2526); a loopback
                      address unless --public is given
  --count N           exit after N messages (default 0: until Ctrl-C)
  --public            allow a non-loopback --listen address
Point a route at it: smtproutes new example.com 127.0.0.1:2526
`

// cmdSink is `seg sink`: smtpsink on the command line, until Ctrl-C,
// SIGTERM or --count messages.
func cmdSink(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("seg sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sinkUsage) }
	listen := fs.String("listen", "127.0.0.1:2526", "address to listen on")
	count := fs.Int("count", 0, "exit after this many messages")
	public := fs.Bool("public", false, "allow a non-loopback address")
	if rc := parseFlags(fs, args); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "seg sink: unexpected argument %q\n%s", fs.Arg(0), sinkUsage)
		return exitUsage
	}
	if *count < 0 {
		fmt.Fprintf(stderr, "seg sink: --count %d: want 0 or more\n", *count)
		return exitUsage
	}
	ln, err := smtpsink.Listen(*listen, *public)
	if err != nil {
		fmt.Fprintf(stderr, "seg sink: %v\n", err)
		return exitFail
	}
	s := smtpsink.New(ln, smtpsink.Options{Out: stdout, Count: *count})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		s.Close()
	}()
	until := "Ctrl-C stops it"
	if *count > 0 {
		until = fmt.Sprintf("it exits after %d message(s)", *count)
	}
	fmt.Fprintf(stdout, "seg sink: listening on %s; every message is printed here and answered 250 (%s)\n", ln.Addr(), until)
	if err := s.Serve(); err != nil {
		fmt.Fprintf(stderr, "seg sink: %v\n", err)
		return exitFail
	}
	return exitOK
}
