package configcmd

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// testRegistry is the session commands plus this package's commands, so
// these tests do not depend on listenerconfig.
func testRegistry() *shell.Registry {
	return shell.NewRegistry(append(shell.SessionCommands(), Commands()...)...)
}

func newStore(t testing.TB) store.Store {
	t.Helper()
	// No admin password: hashing costs time and no test logs in.
	st := store.NewMemory(store.Default("", ""))
	t.Cleanup(func() { st.Close() })
	return st
}

// batchSession runs batch lines in an admin session and checks results.
type batchSession struct {
	t *testing.T
	h *shelltest.Harness
}

func newBatch(t *testing.T) *batchSession {
	h := shelltest.NewSession(t, testRegistry(), newStore(t))
	h.S.Interactive = false
	return &batchSession{t: t, h: h}
}

// ok runs a line that must succeed and returns what it printed.
func (b *batchSession) ok(line string) string {
	b.t.Helper()
	b.h.Reset()
	if err := b.h.S.Execute(line); err != nil {
		b.t.Fatalf("%s: %v", line, err)
	}
	return b.h.Output()
}

// fail runs a line that must fail with an error containing want, and
// must not change the candidate.
func (b *batchSession) fail(line, want string) {
	b.t.Helper()
	before := b.cfg().Clone()
	b.h.Reset()
	err := b.h.S.Execute(line)
	if err == nil {
		b.t.Fatalf("%s: succeeded, want error %q", line, want)
	}
	if !strings.Contains(err.Error(), want) {
		b.t.Fatalf("%s: error %q, want one containing %q", line, err, want)
	}
	if !b.cfg().Equal(before) {
		b.t.Fatalf("%s: failed but changed the configuration", line)
	}
}

// cfg is the session's candidate, or the running config when clean.
func (b *batchSession) cfg() *store.Config {
	if c := b.h.S.Candidate(); c != nil {
		return c
	}
	snap, err := b.h.S.Store.Current()
	if err != nil {
		b.t.Fatal(err)
	}
	return snap.Config
}

// configPath is a file in the session's configuration directory.
func (b *batchSession) configPath(name string) string {
	return filepath.Join(b.h.S.ConfigDir(), name)
}

// commit commits the candidate, so the store's validation checks it.
func (b *batchSession) commit() {
	b.t.Helper()
	b.ok("commit test")
	if b.h.S.Dirty() {
		b.t.Fatal("still dirty after commit")
	}
}

// transcript runs testdata/NAME as a golden transcript on the default
// configuration, after the batch lines in setup.
func transcript(t *testing.T, name string, setup ...string) {
	st := newStore(t)
	if len(setup) > 0 {
		b := newBatch(t)
		b.h.S.Store = st
		for _, l := range setup {
			b.ok(l)
		}
		b.ok("commit setup")
	}
	shelltest.RunFile(t, testRegistry(), st, filepath.Join("testdata", name))
}

// ctx is a command context on the batch session, for Complete.
func (b *batchSession) ctx() *shell.Ctx { return &shell.Ctx{S: b.h.S, Out: io.Discard} }

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
