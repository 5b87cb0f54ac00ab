package confdir

import (
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seg/internal/segtest"
)

// secret is what files outside the directory hold: no error may quote it.
const secret = "s3cr3t-do-not-print"

// newDir makes DATA/configuration and, beside it, DATA/outside holding
// the secret.
func newDir(t *testing.T) (Dir, string) {
	t.Helper()
	data := t.TempDir()
	d := Dir{Path: filepath.Join(data, "configuration")}
	if err := os.Mkdir(d.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(data, "outside")
	if err := os.WriteFile(outside, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return d, outside
}

func write(t *testing.T, d Dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.Path, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// refused checks that err is an *Error containing want and no secret.
func refused(t *testing.T, what string, err error, want string) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("%s: %v (%T), want a *confdir.Error", what, err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %q, want it to contain %q", what, err, want)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("%s: the error quotes the file: %q", what, err)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"routes.txt", "dest.ini", "a", "seg-config-mx1.example.com-20261123T222223.json", "my file.txt", "ünï.txt", strings.Repeat("x", 255)} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", ok, err)
		}
	}
	for _, tc := range []struct{ name, why string }{
		{"", "give a plain name"},
		{"/etc/passwd", `without "/" or ".."`},
		{"../initial-admin-password", `without "/" or ".."`},
		{"sub/dir/x", `without "/" or ".."`},
		{"x/", `without "/" or ".."`},
		{".", `without "/" or ".."`},
		{"..", `without "/" or ".."`},
		{".hidden", `starting with "."`},
		{".export-123", `starting with "."`},
		{strings.Repeat("x", 256), "at most 255 bytes"},
		{"a\x00b", "control characters"},
		{"a\nb", "control characters"},
		{"a\x7fb", "control characters"},
		{"\xff\xfe", "control characters"},
	} {
		err := CheckName(tc.name)
		if err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", tc.name)
			continue
		}
		refused(t, "CheckName "+tc.name, err, tc.why)
		if !strings.Contains(err.Error(), "not a file name in the configuration directory") {
			t.Errorf("CheckName(%q) = %q", tc.name, err)
		}
	}
}

func TestReadFile(t *testing.T) {
	d, outside := newDir(t)
	write(t, d, "routes.txt", "example.com 192.0.2.1\n")
	b, err := d.ReadFile("routes.txt", MaxFile)
	if err != nil || string(b) != "example.com 192.0.2.1\n" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	// Exactly the cap is fine; empty files too.
	write(t, d, "cap", strings.Repeat("x", 100))
	if b, err := d.ReadFile("cap", 100); err != nil || len(b) != 100 {
		t.Errorf("a file of exactly the cap: %d bytes, %v", len(b), err)
	}
	write(t, d, "empty", "")
	if b, err := d.ReadFile("empty", 100); err != nil || len(b) != 0 {
		t.Errorf("an empty file: %q, %v", b, err)
	}

	_, err = d.ReadFile("nosuch.txt", MaxFile)
	refused(t, "missing", err, `the file "nosuch.txt" does not exist in the configuration directory`)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v is not fs.ErrNotExist", err)
	}
	for _, name := range []string{"../outside", outside, "sub/../../outside"} {
		_, err := d.ReadFile(name, MaxFile)
		refused(t, name, err, "not a file name in the configuration directory")
	}
	if err := os.Mkdir(filepath.Join(d.Path, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = d.ReadFile("sub", MaxFile)
	refused(t, "directory", err, "is a directory")

	// No configuration directory at all: the file does not exist.
	_, err = Dir{Path: filepath.Join(t.TempDir(), "configuration")}.ReadFile("x", MaxFile)
	refused(t, "no directory", err, "does not exist")
	_, err = Dir{}.ReadFile("x", MaxFile)
	refused(t, "no path", err, "no configuration directory")
}

func TestSymlinksRefused(t *testing.T) {
	d, outside := newDir(t)
	write(t, d, "inside.txt", "fine\n")
	for name, target := range map[string]string{
		"escape":   outside,      // absolute, out
		"relative": "../outside", // relative, out
		"zero":     "/dev/zero",  // a device that never ends
		"internal": "inside.txt", // inside: refused all the same
		"dangling": "nosuch",     // to nothing
	} {
		if err := os.Symlink(target, filepath.Join(d.Path, name)); err != nil {
			t.Fatal(err)
		}
		_, err := d.ReadFile(name, MaxFile)
		refused(t, "symlink "+name, err, "is a symbolic link")
	}
	// Writing at a link's name is refused; the target is untouched.
	if err := d.WriteFile("escape", []byte("new")); err == nil {
		t.Error("WriteFile over a symlink succeeded")
	}
	if b, _ := os.ReadFile(outside); string(b) != secret+"\n" {
		t.Errorf("the link's target changed: %q", b)
	}
}

func TestSpecialFilesRefused(t *testing.T) {
	d, _ := newDir(t)
	// A FIFO with no writer: opening it for reading would block forever.
	if err := syscall.Mkfifo(filepath.Join(d.Path, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := d.ReadFile("fifo", MaxFile)
	refused(t, "fifo", err, "not a regular file")

	// Devices, where they are.
	dev := Dir{Path: "/dev"}
	for _, name := range []string{"zero", "null", "urandom"} {
		_, err := dev.ReadFile(name, MaxFile)
		refused(t, "/dev/"+name, err, "not a regular file")
	}
	// A device node in the directory itself (root only: mknod).
	if err := syscall.Mknod(filepath.Join(d.Path, "zero"), syscall.S_IFCHR|0o600, 1<<8|5); err == nil {
		_, err := d.ReadFile("zero", MaxFile)
		refused(t, "device node", err, "not a regular file")
	}
	// Writing never replaces a FIFO either.
	if err := syscall.Mkfifo(filepath.Join(d.Path, "fifo2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("fifo2", []byte("x")); err == nil {
		t.Error("WriteFile replaced a FIFO")
	}
}

func TestSizeCap(t *testing.T) {
	d, _ := newDir(t)
	// Sparse: the size says 17 MiB, and nothing need be read to refuse it.
	f, err := os.Create(filepath.Join(d.Path, "big"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(f.Name(), MaxFile+1<<20); err != nil {
		t.Fatal(err)
	}
	_, err = d.ReadFile("big", MaxFile)
	refused(t, "17 MiB", err, "is larger than 16 MiB")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("%v is not ErrTooLarge", err)
	}
	write(t, d, "pw", strings.Repeat("p", MaxSecret+1))
	_, err = d.ReadFile("pw", MaxSecret)
	refused(t, "password", err, "is larger than 4 KiB")
}

// TestCapWhileReading: a file that grows after its size was checked is
// cut off at the cap while it is read.
func TestCapWhileReading(t *testing.T) {
	d, _ := newDir(t)
	write(t, d, "grows", "small\n")
	f, err := os.Open(filepath.Join(d.Path, "grows"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	w, err := os.OpenFile(f.Name(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 1000))
	w.Close()
	_, err = d.read(f, "grows", st.Size(), 100)
	refused(t, "grown file", err, "is larger than 100 bytes")
}

// TestReadDeadline: a read that does not return is abandoned at the
// deadline (a pipe stands in for a hung file system).
func TestReadDeadline(t *testing.T) {
	d := Dir{Timeout: 20 * time.Millisecond}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = d.read(r, "stuck", 0, MaxFile)
	refused(t, "stuck read", err, "could not be read within 20ms")
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("%v is not ErrTimeout", err)
	}
}

func TestWriteFile(t *testing.T) {
	d, outside := newDir(t)
	if err := d.WriteFile("routes.txt", []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("routes.txt", []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(d.Path, "routes.txt"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("written file: %v, %v", st, err)
	}
	if b, _ := d.ReadFile("routes.txt", MaxFile); string(b) != "two\n" {
		t.Errorf("replaced file holds %q", b)
	}
	// CreateFile never replaces.
	if err := d.CreateFile("saved.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	refused(t, "CreateFile twice", d.CreateFile("saved.json", []byte("[]")), "already exists")
	if b, _ := d.ReadFile("saved.json", MaxFile); string(b) != "{}" {
		t.Errorf("CreateFile replaced the file: %q", b)
	}
	// Names that leave the directory write nothing anywhere.
	before := listAll(t, filepath.Dir(d.Path))
	for _, name := range []string{"../outside", outside, "/tmp/x", "../../x", "sub/dir/x", ".hidden", ""} {
		refused(t, "write "+name, d.WriteFile(name, []byte("x")), "not a file name")
	}
	if b, _ := os.ReadFile(outside); string(b) != secret+"\n" {
		t.Errorf("the file outside changed: %q", b)
	}
	if after := listAll(t, filepath.Dir(d.Path)); after != before {
		t.Errorf("refused writes changed the tree:\n%s\nwant\n%s", after, before)
	}
	// A directory at the name is not replaced.
	os.Mkdir(filepath.Join(d.Path, "adir"), 0o700)
	refused(t, "write over a directory", d.WriteFile("adir", []byte("x")), "not a regular file")
	// No temporary file is left behind.
	for _, e := range readDir(t, d.Path) {
		if strings.HasPrefix(e, ".") {
			t.Errorf("left behind: %s", e)
		}
	}
}

// TestWriteCreatesOnlyTheDirectory: configuration/ is made when missing,
// its parent never.
func TestWriteCreatesOnlyTheDirectory(t *testing.T) {
	data := t.TempDir()
	d := Dir{Path: filepath.Join(data, "configuration")}
	if err := d.WriteFile("x.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(d.Path); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("configuration directory: %v, %v", st, err)
	}
	deep := Dir{Path: filepath.Join(data, "no", "such", "configuration")}
	if err := deep.WriteFile("x.txt", []byte("x")); err == nil {
		t.Fatal("wrote under a missing parent")
	}
	if _, err := os.Stat(filepath.Join(data, "no")); !os.IsNotExist(err) {
		t.Errorf("a parent directory was created: %v", err)
	}
}

func TestList(t *testing.T) {
	d, outside := newDir(t)
	write(t, d, "b.txt", "")
	write(t, d, "a.json", "")
	write(t, d, ".hidden", "")
	os.Symlink(outside, filepath.Join(d.Path, "link"))
	os.Mkdir(filepath.Join(d.Path, "dir"), 0o700)
	syscall.Mkfifo(filepath.Join(d.Path, "fifo"), 0o600)
	if got := strings.Join(d.List(), " "); got != "a.json b.txt" {
		t.Errorf("List = %q", got)
	}
}

func TestLoadX509KeyPair(t *testing.T) {
	d, _ := newDir(t)
	certPEM, keyPEM := segtest.SelfSigned(t, "client.test")
	write(t, d, "client.crt", string(certPEM))
	write(t, d, "client.key", string(keyPEM))
	if _, err := d.LoadX509KeyPair("client.crt", "client.key"); err != nil {
		t.Fatal(err)
	}
	_, err := d.LoadX509KeyPair("../outside", "client.key")
	refused(t, "cert outside", err, "not a file name")
	// Files that are not PEM, or hold foreign blocks, are refused without
	// quoting them.
	write(t, d, "secret.txt", secret+"\n")
	_, err = d.LoadX509KeyPair("secret.txt", "client.key")
	refused(t, "text as cert", err, "holds no PEM certificate")
	_, err = d.LoadX509KeyPair("client.crt", "secret.txt")
	refused(t, "text as key", err, "holds no PEM private key")
	write(t, d, "foreign.pem", string(pem.EncodeToMemory(&pem.Block{Type: secret, Bytes: []byte(secret)})))
	_, err = d.LoadX509KeyPair("foreign.pem", "client.key")
	refused(t, "foreign block", err, "holds no PEM certificate")
	// A key that does not match.
	_, otherKey := segtest.SelfSigned(t, "client.test")
	write(t, d, "other.key", string(otherKey))
	_, err = d.LoadX509KeyPair("client.crt", "other.key")
	refused(t, "mismatch", err, "are not a usable certificate and key")
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// listAll is every path under dir with its size, one a line.
func listAll(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := e.Info()
		b.WriteString(p + " " + info.Mode().String() + "\n")
		return nil
	})
	return b.String()
}
