package shell

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"seg/internal/logsub"
	"seg/store"
)

// The log commands read the subscriptions' files under DATA/logs (tail,
// grep) and rotate them (rollovernow). They need no mail system: cli_logs
// and the others are written offline too.

// LogControl is what the shell needs from the running log subscriptions
// (internal/logsub.Manager implements it; nil when there are none, and
// the files are then read as they are).
type LogControl interface {
	// Flush writes the named file subscription's buffered lines.
	Flush(name string) error
	// Rollover rotates the named file subscription now ("": all).
	Rollover(name string) error
}

// tailLines is how many lines tail shows before following, and all it
// shows where it cannot follow (one-shot and batch runs).
const tailLines = 20

// LogDir is where the subscriptions' files are.
func (s *Session) LogDir() string { return filepath.Join(s.DataDir, "logs") }

// LogCommands returns tail, grep and rollovernow.
func LogCommands() []*Command {
	return []*Command{
		{
			Name:     "tail",
			Help:     "Show the end of a log and follow it (Ctrl-C stops).",
			Usage:    []string{"tail [NAME]   (default mail_logs; one-shot and batch runs print the last 20 lines)"},
			Access:   AccessReadOnly,
			Complete: logNameArg,
			Run:      runTail,
		},
		{
			Name:     "grep",
			Help:     "Search a log for lines matching a regular expression.",
			Usage:    []string{"grep [-i] REGEX [NAME]   (default mail_logs; -i ignores case)"},
			Access:   AccessReadOnly,
			Complete: func(c *Ctx, args []string) []string { return logNameArg(c, args[1:]) },
			Run:      runGrep,
		},
		{
			Name:     "rollovernow",
			Help:     "Roll over a log file now, or all of them.",
			Usage:    []string{"rollovernow [NAME]"},
			Access:   AccessOperator,
			Complete: logNameArg,
			Run:      runRollover,
		},
	}
}

// fileLogs are the running configuration's file subscriptions.
func fileLogs(c *Ctx) []store.LogSubscription {
	var out []store.LogSubscription
	for _, l := range c.Running().LogSubscriptions() {
		if l.Method == store.LogMethodFile {
			out = append(out, l)
		}
	}
	return out
}

func logNameArg(c *Ctx, args []string) []string {
	if len(args) != 1 {
		return nil
	}
	var out []string
	for _, l := range fileLogs(c) {
		out = append(out, l.Name)
	}
	return out
}

// fileLog checks that name is a file subscription and returns its name
// as configured.
func fileLog(c *Ctx, name string) (string, error) {
	for _, l := range c.Running().LogSubscriptions() {
		if strings.EqualFold(l.Name, name) {
			if l.Method != store.LogMethodFile {
				return "", fmt.Errorf("Log %s is pushed to syslog: it has no file to read.", l.Name)
			}
			return l.Name, nil
		}
	}
	return "", fmt.Errorf("No log subscription named %s (see 'logconfig print').", name)
}

// chooseLog asks which file subscription, mail_logs first by default.
func chooseLog(c *Ctx, question string) (string, error) {
	logs := fileLogs(c)
	items := make([]string, len(logs))
	def := 1
	for i, l := range logs {
		items[i] = fmt.Sprintf("%q Type: %q", l.Name, store.LogTypeDescription[l.Type])
		if l.Name == store.LogMailLogs {
			def = i + 1
		}
	}
	c.Printf("\nCurrently configured logs:\n")
	i, err := c.Choose(question, items, def)
	if err != nil {
		return "", err
	}
	return logs[i].Name, nil
}

// flushLog makes the file complete before it is read.
func flushLog(c *Ctx, name string) {
	if c.S.Logs != nil {
		_ = c.S.Logs.Flush(name)
	}
}

func runTail(c *Ctx, args []string) error {
	name := store.LogMailLogs
	var err error
	switch {
	case len(args) == 1:
		name, err = fileLog(c, args[0])
	case len(args) > 1:
		err = errors.New("Usage: tail [NAME]")
	case c.S.Interactive:
		name, err = chooseLog(c, "Enter the number of the log you wish to tail.")
	}
	if err != nil {
		return err
	}
	flushLog(c, name)
	dir := c.S.LogDir()
	// Opened before the last lines are read, so that nothing logged in
	// between is missed (it may show twice).
	var fl *logsub.Follower
	if c.S.Interactive {
		if fl, err = logsub.NewFollower(dir, name); err != nil {
			return fmt.Errorf("Cannot read log %s: %v", name, err)
		}
		defer fl.Close()
	}
	last, err := logsub.Last(dir, name, tailLines)
	if err != nil {
		return fmt.Errorf("Cannot read log %s: %v", name, err)
	}
	for _, l := range last {
		c.Println(l)
	}
	if fl == nil {
		return nil
	}
	c.Printf("Press Ctrl-C to stop.\n")
	// Lines come while this goroutine waits at the terminal: paging
	// would need a key read there too.
	c.NoPaging()
	// The follower writes from its own goroutine while this one waits
	// for Ctrl-C (or any line, or the end of input) at the terminal.
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(logsub.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				flushLog(c, name)
				if fl.Poll(c.Out) != nil {
					return
				}
			}
		}
	}()
	_, rerr := c.S.In.ReadLine("")
	close(stop)
	<-done
	if rerr != nil && !errors.Is(rerr, ErrInterrupt) {
		return rerr
	}
	return nil
}

func runGrep(c *Ctx, args []string) error {
	fold := false
	var words []string
	for _, a := range args {
		if a == "-i" && len(words) == 0 && !fold {
			fold = true
			continue
		}
		words = append(words, a)
	}
	name := store.LogMailLogs
	var pattern string
	var err error
	switch {
	case len(args) == 0 && c.S.Interactive:
		if name, err = chooseLog(c, "Enter the number of the log you wish to grep."); err != nil {
			return err
		}
		if pattern, err = c.AskRequired("Enter the regular expression to grep.", "", nil); err != nil {
			return err
		}
		if fold, err = c.AskYN("Do you want this search to be case insensitive?", true); err != nil {
			return err
		}
	case len(words) == 1 || len(words) == 2:
		pattern = words[0]
		if len(words) == 2 {
			if name, err = fileLog(c, words[1]); err != nil {
				return err
			}
		}
	default:
		return errors.New("Usage: grep [-i] REGEX [NAME]")
	}
	if pattern == "" {
		return errors.New("grep needs a pattern")
	}
	expr := pattern
	if fold {
		expr = "(?i)" + pattern
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return fmt.Errorf("Invalid regular expression %q: %v", pattern, err)
	}
	flushLog(c, name)
	n := 0
	err = logsub.Scan(c.S.LogDir(), name, func(l string) bool {
		if re.MatchString(l) {
			c.Println(l)
			n++
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("Cannot read log %s: %v", name, err)
	}
	if n == 0 {
		c.Println("No matching lines were found.")
	}
	return nil
}

func runRollover(c *Ctx, args []string) error {
	name := ""
	switch {
	case len(args) == 1:
		var err error
		if name, err = fileLog(c, args[0]); err != nil {
			return err
		}
	case len(args) > 1:
		return errors.New("Usage: rollovernow [NAME]")
	case c.S.Interactive:
		logs := fileLogs(c)
		items := []string{"All Logs"}
		for _, l := range logs {
			items = append(items, fmt.Sprintf("%q Type: %q", l.Name, store.LogTypeDescription[l.Type]))
		}
		i, err := c.Choose("Which log would you like to roll over?", items, 1)
		if err != nil {
			return err
		}
		if i > 0 {
			name = logs[i-1].Name
		}
	}
	if c.S.Logs == nil {
		return errors.New("The log subscriptions are not running.")
	}
	if err := c.S.Logs.Rollover(name); err != nil {
		return err
	}
	if name == "" {
		c.Println("All logs have been rolled over.")
	} else {
		c.Printf("Log %s has been rolled over.\n", name)
	}
	return nil
}
