// Command seg is the secure email gateway appliance (SPEC 1):
//
//	seg run     [--data DIR] [--hostname NAME] [--console]
//	seg cli     [--data DIR] [-u USER] [COMMAND ARGS... | -f FILE|-]
//	seg sink    [--listen HOST:PORT] [--count N] [--public]
//	seg version
//
// Exit status: 0 on success, 1 when a command failed, 2 on usage errors.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// version is the appliance version shown by `seg version` and in log
// file headers.
const version = "0.1.0"

// Exit statuses (SPEC 1).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `usage:
  seg run     [--data DIR] [--hostname NAME] [--console]   start the appliance
  seg cli     [--data DIR] [-u USER]                         interactive shell
  seg cli     [--data DIR] [-u USER] COMMAND [ARGS...]       run commands (" ; " separates)
  seg cli     [--data DIR] [-u USER] -f FILE|-               run a batch file
  seg sink    [--listen HOST:PORT] [--count N] [--public]  a test receiver that prints what it gets
  seg version
--data defaults to $SEG_DATA, else ./data. seg run --cpuprofile FILE writes a Go CPU
profile until the appliance stops (benchmarks).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit status.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "cli":
		return cmdCLI(args[1:], stdin, stdout, stderr)
	case "sink":
		return cmdSink(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "seg %s\n", version)
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "seg: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// newFlags returns a FlagSet that reports errors on stderr without
// exiting, with the --data flag every subcommand has.
func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("seg "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	def := os.Getenv("SEG_DATA")
	if def == "" {
		def = "./data"
	}
	data := fs.String("data", def, "data directory")
	return fs, data
}

// parseFlags parses args and maps the outcome to an exit status: -1 to
// go on, exitOK after -h, exitUsage on a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	return exitUsage
}
