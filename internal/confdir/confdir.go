package confdir

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Size caps for ReadFile. MaxFile is for tables and saved configurations
// (the largest real tree is a few hundred kilobytes); a password file
// holds one line (bcrypt reads 72 bytes); MaxPEM fits a key and a long
// certificate chain.
const (
	MaxFile   = 16 << 20
	MaxSecret = 4 << 10
	MaxPEM    = 1 << 20
)

// DefaultTimeout is a read's deadline when Dir.Timeout is zero: a local
// file of MaxFile bytes reads in milliseconds; anything slower is a stuck
// file system, and the admin session must not hang on it.
const DefaultTimeout = 10 * time.Second

// maxName is the longest name (NAME_MAX on Linux).
const maxName = 255

// Dir is the configuration directory, DATA/configuration.
type Dir struct {
	Path    string
	Timeout time.Duration // of each read; 0: DefaultTimeout
}

// Error is a refused or failed file operation. Its text names the file
// and the problem, never the file's content.
type Error struct {
	Name    string
	Problem string // completes "the file NAME ...", or a whole sentence when Name is ""
	Err     error  // the cause, for errors.Is (fs.ErrNotExist...); may be nil
}

func (e *Error) Error() string {
	if e.Name == "" {
		return e.Problem
	}
	return fmt.Sprintf("the file %q %s", e.Name, e.Problem)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTooLarge and ErrTimeout are the causes of those refusals.
var (
	ErrTooLarge = errors.New("file too large")
	ErrTimeout  = errors.New("read deadline exceeded")
)

// CheckName reports whether name is a plain file name in the
// configuration directory (see the package comment).
func CheckName(name string) error {
	const plain = `give a plain name such as routes.txt, without "/" or ".."`
	var advice string
	switch {
	case name == "":
		advice = "give a plain name such as routes.txt"
	case strings.ContainsRune(name, '/') || name == "." || name == "..":
		advice = plain
	case name[0] == '.':
		advice = `names starting with "." are not used`
	case len(name) > maxName:
		advice = fmt.Sprintf("a name is at most %d bytes", maxName)
	case !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		advice = "a name is text without control characters"
	default:
		return nil
	}
	return &Error{Problem: fmt.Sprintf("%s is not a file name in the configuration directory: %s", quoteName(name), advice)}
}

// quoteName quotes a refused name for a message, shortened: it is the
// user's own input, but may be a whole pasted path.
func quoteName(name string) string {
	const max = 64
	if len(name) > max {
		return fmt.Sprintf("%q...", name[:max])
	}
	return fmt.Sprintf("%q", name)
}

// openRoot opens the directory; create makes it (mode 0700) when it is
// missing, and nothing else: its parent must exist.
func (d Dir) openRoot(create bool) (*os.Root, error) {
	if d.Path == "" {
		return nil, &Error{Problem: "there is no configuration directory in this session"}
	}
	if create {
		if err := os.Mkdir(d.Path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, &Error{Problem: fmt.Sprintf("cannot create the configuration directory: %v", unwrapPath(err)), Err: err}
		}
	}
	r, err := os.OpenRoot(d.Path)
	if err != nil {
		return nil, &Error{Problem: fmt.Sprintf("cannot open the configuration directory: %v", unwrapPath(err)), Err: err}
	}
	return r, nil
}

// unwrapPath drops the path from an *fs.PathError: messages name files by
// their name in the directory, not by the appliance's paths.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fail(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{Name: name, Problem: "does not exist in the configuration directory", Err: err}
	}
	if errors.Is(err, syscall.ELOOP) {
		return &Error{Name: name, Problem: "is a symbolic link: give the name of a regular file", Err: err}
	}
	return &Error{Name: name, Problem: fmt.Sprintf("cannot be read: %v", unwrapPath(err)), Err: err}
}

// checkRegular refuses anything but a regular file.
func checkRegular(name string, fi fs.FileInfo) error {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return &Error{Name: name, Problem: "is a symbolic link: give the name of a regular file"}
	case m.IsDir():
		return &Error{Name: name, Problem: "is a directory"}
	case !m.IsRegular():
		return &Error{Name: name, Problem: "is not a regular file (a device, FIFO or socket)"}
	}
	return nil
}

func tooLarge(name string, max int64) error {
	return &Error{Name: name, Problem: "is larger than " + size(max), Err: ErrTooLarge}
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFile reads the regular file name, of at most max bytes.
func (d Dir) ReadFile(name string, max int64) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	root, err := d.openRoot(false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail(name, err)
		}
		return nil, err
	}
	defer root.Close()
	// Refuse what is not a regular file before opening it: opening a
	// device can have effects of its own.
	before, err := root.Lstat(name)
	if err != nil {
		return nil, fail(name, err)
	}
	if err := checkRegular(name, before); err != nil {
		return nil, err
	}
	if before.Size() > max {
		return nil, tooLarge(name, max)
	}
	// O_NONBLOCK: should a FIFO be swapped in, the open returns at once
	// (the fstat below refuses it); it changes nothing for a regular
	// file. O_NOCTTY: a terminal never becomes ours.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fail(name, err)
	}
	after, err := f.Stat()
	if err == nil {
		err = checkRegular(name, after)
	}
	if err == nil && !os.SameFile(before, after) {
		// os.Root follows links inside the directory: a link put in
		// place of the checked file between Lstat and open lands here.
		err = &Error{Name: name, Problem: "was replaced while it was being opened"}
	}
	if err == nil && after.Size() > max {
		err = tooLarge(name, max)
	}
	if err != nil {
		f.Close()
		var fe *Error
		if !errors.As(err, &fe) {
			err = fail(name, err)
		}
		return nil, err
	}
	return d.read(f, name, after.Size(), max)
}

// read reads f to its end, closing it: at most max bytes (a file that
// grew past max since it was checked is refused, having read max+1
// bytes), within the deadline.
func (d Dir) read(f *os.File, name string, sizeHint, max int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer f.Close()
		var buf bytes.Buffer
		buf.Grow(int(min(sizeHint, max)) + 512)
		_, err := buf.ReadFrom(io.LimitReader(f, max+1))
		done <- result{buf.Bytes(), err}
	}()
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fail(name, r.err)
		}
		if int64(len(r.b)) > max {
			return nil, tooLarge(name, max)
		}
		return r.b, nil
	case <-t.C:
		// The reader goroutine ends (and closes f) when its read
		// returns; it holds at most max+1 bytes meanwhile.
		return nil, &Error{Name: name, Problem: fmt.Sprintf("could not be read within %v", timeout), Err: ErrTimeout}
	}
}

// WriteFile writes data to name, replacing a regular file of that name.
func (d Dir) WriteFile(name string, data []byte) error {
	return d.write(name, data, false)
}

// CreateFile writes data to name, which must not exist (saveconfig never
// replaces a file someone may have put there).
func (d Dir) CreateFile(name string, data []byte) error {
	return d.write(name, data, true)
}

func (d Dir) write(name string, data []byte, exclusive bool) (err error) {
	if err := CheckName(name); err != nil {
		return err
	}
	root, err := d.openRoot(true)
	if err != nil {
		return err
	}
	defer root.Close()
	wfail := func(err error) error {
		if errors.Is(err, fs.ErrExist) {
			return &Error{Name: name, Problem: "already exists", Err: err}
		}
		return &Error{Name: name, Problem: fmt.Sprintf("cannot be written: %v", unwrapPath(err)), Err: err}
	}
	if fi, err := root.Lstat(name); err == nil {
		if exclusive {
			return wfail(fs.ErrExist)
		}
		if !fi.Mode().IsRegular() {
			return &Error{Name: name, Problem: "exists and is not a regular file: it is not replaced"}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return wfail(err)
	}
	tmp, err := tempName(name)
	if err != nil {
		return wfail(err)
	}
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return wfail(err)
	}
	defer func() {
		if err != nil {
			root.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return wfail(err)
	}
	if exclusive {
		// link(2) fails when the name exists, even if it appeared since
		// the Lstat above; the temporary name goes away either way.
		err = root.Link(tmp, name)
		root.Remove(tmp)
	} else {
		// rename(2) replaces a link at name, never writes through it.
		err = root.Rename(tmp, name)
	}
	if err != nil {
		return wfail(err)
	}
	if dir, err := root.Open("."); err == nil {
		dir.Sync() // the rename survives a power cut
		dir.Close()
	}
	return nil
}

// tempName is a hidden name no user-given name can take (CheckName
// refuses leading dots).
func tempName(name string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	n := "." + name
	if len(n) > maxName-20 {
		n = n[:maxName-20]
	}
	return n + ".tmp-" + hex.EncodeToString(b[:]), nil
}

// List returns the names of the regular files in the directory (not the
// hidden ones), sorted; nil when it cannot be read.
func (d Dir) List() []string {
	if d.Path == "" {
		return nil
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && CheckName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
