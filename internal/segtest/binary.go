// Package segtest is test support for driving the real seg binary: it
// builds the binary once per test process, runs appliances (`seg run`)
// on private ports and data directories, talks to them with `seg cli`,
// and stands up the peers mail goes to: recording SMTP servers (Sink:
// injected replies, STARTTLS or a broken handshake, DATA held until
// released), a server that never answers (Silent) and a DNS server
// (NewDNS). For clusters (SPEC 14) it runs a real etcd of one or three
// members (NewEtcd: the binary `make etcd` builds from tools/etcd) and
// appliances clustered on it (NewCluster). Everything listens on
// loopback only. In-process tests of the
// MTA and its packages use the same Sink, the fake clock (Clock) and
// the wait helper.
//
// Tests synchronise by polling with deadlines (Wait, Poll), never by
// sleeping. Only tests import segtest (internal/layering checks).
package segtest

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// build is the one binary of this test process. A test binary is one
// process with one module under test, so a process-wide cache is what
// makes "build once" possible; Main removes it at exit.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main runs the tests of a package that uses segtest and removes the
// binary it built. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// Binary returns the seg binary under test: $SEG_BIN when set, else
// seg/cmd/seg built once for this test process (with -race when the
// tests run with -race, so that the appliance is checked too).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SEG_BIN"); p != "" {
		return p
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "segtest-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "seg")
		args := []string{"build"}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "-o", build.path, "seg/cmd/seg")
		statSources()
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go %v: %v\n%s", args, err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("building seg: %v", build.err)
	}
	return build.path
}

// statSources stats every file the binary is built from (the module's
// .go files, go.mod, go.sum). go test caches a package's result keyed on
// the files its tests open or stat (the testlog), and knows nothing of
// what a `go build` in a subprocess reads: without this, a test package
// that drives the binary passed "(cached)" after a change to the shell
// or the MTA that it never looked at.
func statSources() {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return
	}
	root := strings.TrimSpace(string(out))
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "data"):
			return filepath.SkipDir
		case !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum"):
			os.Stat(p)
		}
		return nil
	})
}
