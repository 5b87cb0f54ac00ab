package logsub

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Reading a subscription's files (tail, grep): the saved files
// NAME.@STAMP.s oldest first (their stamps sort by time), then NAME.

// Files lists dir/name's files, oldest first.
func Files(dir, name string) []string {
	old, _ := filepath.Glob(filepath.Join(dir, name+".@*.s"))
	sort.Strings(old)
	return append(old, filepath.Join(dir, name))
}

// maxLine bounds one line read back (a longer one is cut there).
const maxLine = 1 << 20

// Scan calls f with every line of dir/name's files, oldest first; f
// returns false to stop.
func Scan(dir, name string, f func(line string) bool) error {
	for _, p := range Files(dir, name) {
		file, err := os.Open(p)
		if os.IsNotExist(err) {
			continue // rotated away meanwhile, or never written
		}
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			if !f(sc.Text()) {
				file.Close()
				return nil
			}
		}
		err = sc.Err()
		file.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Last returns the last n lines of dir/name's current file (rotation
// starts a file with its header, so the current file always has some).
func Last(dir, name string, n int) ([]string, error) {
	var ring []string
	err := Scan(dir, name, func(l string) bool {
		ring = append(ring, l)
		if len(ring) > n {
			ring = ring[1:]
		}
		return true
	})
	return ring, err
}

// Follower reads the lines appended to dir/name from where it is opened,
// across rotations: when the file is renamed away, it finishes the old
// one and goes on with the new one from its start.
type Follower struct {
	path string
	f    *os.File
	part []byte // an incomplete last line, kept until its newline
}

// NewFollower opens dir/name at its end.
func NewFollower(dir, name string) (*Follower, error) {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return &Follower{path: p, f: f}, nil
}

// Poll writes the complete lines appended since the last Poll to w.
func (fl *Follower) Poll(w io.Writer) error {
	if err := fl.drain(w); err != nil {
		return err
	}
	cur, err1 := fl.f.Stat()
	now, err2 := os.Stat(fl.path)
	if err1 != nil || err2 != nil || os.SameFile(cur, now) {
		return nil
	}
	// Rotated: the old file is complete (the writer renames it after
	// its last line); read what is left, then switch.
	if err := fl.drain(w); err != nil {
		return err
	}
	f, err := os.Open(fl.path)
	if err != nil {
		return nil // between the rename and the new file: next time
	}
	fl.f.Close()
	fl.f, fl.part = f, nil
	return fl.drain(w)
}

func (fl *Follower) drain(w io.Writer) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := fl.f.Read(buf)
		if n > 0 {
			fl.part = append(fl.part, buf[:n]...)
			if i := bytes.LastIndexByte(fl.part, '\n'); i >= 0 {
				if _, werr := w.Write(fl.part[:i+1]); werr != nil {
					return werr
				}
				fl.part = append(fl.part[:0], fl.part[i+1:]...)
			}
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Close closes the file.
func (fl *Follower) Close() error { return fl.f.Close() }

// PollInterval is how often tail looks for new lines.
const PollInterval = 200 * time.Millisecond
