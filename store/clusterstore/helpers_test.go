package clusterstore

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

var (
	hashOnce sync.Once
	testHash string
)

func adminHash(t *testing.T) string {
	hashOnce.Do(func() {
		h, err := store.HashPassword("cluster-test-password")
		if err != nil {
			panic(err)
		}
		testHash = h
	})
	return testHash
}

// testMachine is one machine's data dir and its node.
type testMachine struct {
	t    *testing.T
	name string
	dir  string
	node *Node
	log  *testLog
	// refresh is the node's Options.Refresh (0: the default).
	refresh time.Duration
}

// testLog keeps the node's log lines; a failed test prints them.
type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// newMachine opens a node on a fresh data dir whose configuration is
// the default one for hostname.
func newMachine(t *testing.T, hostname string) *testMachine {
	t.Helper()
	m := &testMachine{t: t, name: hostname, dir: t.TempDir(), log: &testLog{}}
	m.open()
	t.Cleanup(func() {
		m.close()
		if t.Failed() {
			t.Logf("%s's log:\n%s", hostname, m.log)
		}
	})
	return m
}

func (m *testMachine) confDir() string { return filepath.Join(m.dir, "configuration") }

func (m *testMachine) open() {
	m.t.Helper()
	if err := os.MkdirAll(m.confDir(), 0o700); err != nil {
		m.t.Fatal(err)
	}
	hash := adminHash(m.t)
	local, err := store.OpenBolt(filepath.Join(m.dir, "config.db"), func() (*store.Config, error) {
		return store.Default(m.name, hash), nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	n, err := Open(local, Options{Dir: m.confDir(), Logf: m.log.logf, Refresh: m.refresh})
	if err != nil {
		local.Close()
		m.t.Fatal(err)
	}
	m.node = n
}

func (m *testMachine) close() {
	if m.node != nil {
		m.node.Close()
		m.node = nil
	}
}

func (m *testMachine) current() *store.Snapshot {
	m.t.Helper()
	s, err := m.node.Current()
	if err != nil {
		m.t.Fatal(err)
	}
	return s
}

// alerts is the cluster-level setting the tests change.
func (m *testMachine) alerts() []string { return m.current().Config.System.AlertRecipients }

// setAlerts commits a change of the alert recipients made at the
// default level on base (0: the current revision).
func (m *testMachine) setAlerts(base int, rcpts ...string) (store.Revision, error) {
	m.t.Helper()
	v, err := m.node.View(store.Level{}, base)
	if err != nil {
		m.t.Fatal(err)
	}
	cfg := v.Config.Clone()
	cfg.System.AlertRecipients = rcpts
	return m.node.Commit(store.CommitRequest{Base: v.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Comment: "alerts"})
}

func (m *testMachine) mustSetAlerts(rcpts ...string) store.Revision {
	m.t.Helper()
	rev, err := m.setAlerts(0, rcpts...)
	if err != nil {
		m.t.Fatalf("%s: commit: %v", m.name, err)
	}
	return rev
}

// waitAlerts waits until the machine runs alerts rcpts.
func (m *testMachine) waitAlerts(timeout time.Duration, rcpts ...string) {
	m.t.Helper()
	segtest.Wait(m.t, timeout, m.name+" running alerts "+strings.Join(rcpts, ","), func() bool {
		return slices.Equal(m.alerts(), rcpts)
	})
}

func (m *testMachine) waitApplied(timeout time.Duration, rev int) {
	m.t.Helper()
	segtest.Wait(m.t, timeout, fmt.Sprintf("%s applying revision %d", m.name, rev), func() bool {
		return m.node.State().Applied >= rev
	})
}
