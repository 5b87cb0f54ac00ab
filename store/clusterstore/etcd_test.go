package clusterstore

import (
	"strings"
	"sync"
	"testing"

	"seg/internal/segtest"
)

// The tests run against a real etcd (v3.6, built from source by a small
// module of its own, tools/etcd: `make etcd`) through segtest's harness:
// each test gets its own member (no cluster left over from another
// test), which the fault tests kill and start again.

// testEtcds holds each running test's etcd: a test and its helpers
// (twoMachines) ask for it several times.
var testEtcds sync.Map // *testing.T -> testEtcdT

type testEtcdT struct{ *segtest.Etcd }

// testEtcd returns the test's one-member etcd, started (again) if it is
// not running.
func testEtcd(t *testing.T) testEtcdT {
	t.Helper()
	if v, ok := testEtcds.Load(t); ok {
		e := v.(testEtcdT)
		if !e.Running(0) {
			e.StartAll()
		}
		return e
	}
	e := testEtcdT{segtest.NewEtcd(t, 1)}
	testEtcds.Store(t, e)
	t.Cleanup(func() { testEtcds.Delete(t) })
	return e
}

func (e testEtcdT) endpoints() []string { return strings.Split(e.Endpoints(), ",") }

// stop kills the member (SIGKILL: as a crash would); testEtcd starts it
// again.
func (e testEtcdT) stop() { e.KillAll() }
