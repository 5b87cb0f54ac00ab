package shell

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Batch files and one-shot lines (SPEC 3): commands run in their batch
// form, questions get their defaults, the first failure stops the run and
// discards the candidate, and changes left uncommitted at the end are
// discarded with a warning on s.Err. The callers print the returned
// error (stderr) and exit 1.

// BatchError is a failed batch-file line.
type BatchError struct {
	File string
	Line int
	Err  error
}

func (e *BatchError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *BatchError) Unwrap() error { return e.Err }

// maxBatchLine is the longest batch line accepted (a HAT member list
// can be long; a runaway file should not be).
const maxBatchLine = 1 << 20

// RunBatch runs a batch file read from r; name is how errors and the
// warning name it. One command per line; blank lines and lines whose
// first non-blank character is '#' are skipped; quit/exit end the run.
func (s *Session) RunBatch(name string, r io.Reader) error {
	defer s.nonInteractive()()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxBatchLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		err := s.Execute(line)
		if errors.Is(err, ErrQuit) {
			break
		}
		if err != nil {
			s.Discard()
			return &BatchError{File: name, Line: n, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		s.Discard()
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxBatchLine)
		}
		return &BatchError{File: name, Line: n + 1, Err: err}
	}
	s.discardUncommitted("the end of " + name)
	return nil
}

// RunOneShot runs "cmd ; cmd ; ..." (SplitCommands) as a batch.
func (s *Session) RunOneShot(line string) error {
	defer s.nonInteractive()()
	for _, cmd := range SplitCommands(line) {
		err := s.Execute(cmd)
		if errors.Is(err, ErrQuit) {
			break
		}
		if err != nil {
			s.Discard()
			return err
		}
	}
	s.discardUncommitted("the command line")
	return nil
}

// discardUncommitted drops a candidate left at the end of a run, saying
// so: a script that forgot its commit must not look like it worked.
func (s *Session) discardUncommitted(where string) {
	if !s.Dirty() {
		return
	}
	n := len(s.Changes())
	s.Discard()
	if s.Err != nil {
		fmt.Fprintf(s.Err, "Warning: %d uncommitted change(s) discarded (no commit at %s)\n", n, where)
	}
}

// nonInteractive switches the session to batch mode (questions read
// end of input, so they take their defaults) and returns the restore
// func.
func (s *Session) nonInteractive() func() {
	in, inter := s.In, s.Interactive
	s.In, s.Interactive = eofReader{}, false
	return func() { s.In, s.Interactive = in, inter }
}

// eofReader answers every question with end of input.
type eofReader struct{}

func (eofReader) ReadLine(string) (string, error) { return "", io.EOF }
