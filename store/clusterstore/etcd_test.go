package clusterstore

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// The tests run against a real etcd (v3.6, built from source by a small
// module of its own, tools/etcd: `make etcd`), found by
// segtest.EtcdBinary. One member for
// the package, started by the first test that needs it; the fault tests
// stop and restart it (so the tests do not run in parallel).

type etcdProc struct {
	name, initialCluster string
	bin, dir             string
	clientURL            string
	peerURL              string
	cmd                  *exec.Cmd
	exited               chan struct{}
	startErr             error
}

var (
	etcdOnce sync.Once
	theEtcd  *etcdProc
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theEtcd != nil {
		theEtcd.stop()
		os.RemoveAll(theEtcd.dir)
	}
	os.Exit(code)
}

// testEtcd returns the package's etcd member, running.
func testEtcd(t *testing.T) *etcdProc {
	t.Helper()
	etcdOnce.Do(func() {
		bin := segtest.EtcdBinary(t)
		dir, err := os.MkdirTemp("", "seg-etcd-")
		if err != nil {
			theEtcd = &etcdProc{startErr: err}
			return
		}
		theEtcd = newEtcdProc(t, bin, dir, "t1")
		theEtcd.initialCluster = "t1=" + theEtcd.peerURL
		theEtcd.startErr = theEtcd.start()
	})
	if theEtcd.startErr != nil {
		t.Fatal(theEtcd.startErr)
	}
	if theEtcd.cmd == nil {
		if err := theEtcd.start(); err != nil {
			t.Fatal(err)
		}
	}
	return theEtcd
}

func (e *etcdProc) endpoints() []string { return []string{e.clientURL} }

func newEtcdProc(t *testing.T, bin, dir, name string) *etcdProc {
	return &etcdProc{bin: bin, dir: dir, name: name,
		clientURL: fmt.Sprintf("http://127.0.0.1:%d", segtest.FreePort(t)),
		peerURL:   fmt.Sprintf("http://127.0.0.1:%d", segtest.FreePort(t))}
}

// startEtcdCluster starts n members of a new etcd cluster, for the
// tests that need a leader to change.
func startEtcdCluster(t *testing.T, n int) []*etcdProc {
	t.Helper()
	bin := segtest.EtcdBinary(t)
	var ms []*etcdProc
	var initial []string
	for i := range n {
		e := newEtcdProc(t, bin, t.TempDir(), fmt.Sprintf("m%d", i+1))
		ms = append(ms, e)
		initial = append(initial, e.name+"="+e.peerURL)
	}
	for _, e := range ms {
		e.initialCluster = strings.Join(initial, ",")
		if err := e.launch(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.stop)
	}
	for _, e := range ms {
		if err := e.waitHealthy(); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

func (e *etcdProc) start() error {
	if err := e.launch(); err != nil {
		return err
	}
	return e.waitHealthy()
}

func (e *etcdProc) launch() error {
	e.cmd = exec.Command(e.bin,
		"--name", e.name, "--data-dir", filepath.Join(e.dir, "data"),
		"--listen-client-urls", e.clientURL, "--advertise-client-urls", e.clientURL,
		"--listen-peer-urls", e.peerURL, "--initial-advertise-peer-urls", e.peerURL,
		"--initial-cluster", e.initialCluster, "--log-level", "error")
	log, err := os.Create(filepath.Join(e.dir, "etcd.log"))
	if err != nil {
		return err
	}
	e.cmd.Stdout, e.cmd.Stderr = log, log
	if err := e.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %v", e.bin, err)
	}
	e.exited = make(chan struct{})
	go func() { e.cmd.Wait(); log.Close(); close(e.exited) }()
	return nil
}

func (e *etcdProc) waitHealthy() error {
	ok := segtest.Poll(20*time.Second, func() bool {
		r, err := http.Get(e.clientURL + "/health")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	if !ok {
		b, _ := os.ReadFile(filepath.Join(e.dir, "etcd.log"))
		e.stop()
		return fmt.Errorf("etcd did not become healthy within 20 s at %s; its log:\n%s", e.clientURL, b)
	}
	return nil
}

// stop kills the member (SIGKILL: as a crash would).
func (e *etcdProc) stop() {
	if e.cmd == nil {
		return
	}
	e.cmd.Process.Kill()
	<-e.exited
	e.cmd = nil
}

// wipe deletes every cluster: Join joins the one cluster the endpoints
// hold, and each test makes its own.
func (e *etcdProc) wipe(t *testing.T) {
	t.Helper()
	cli, err := newClient(e.endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Delete(ctx, clustersPrefix, clientv3.WithPrefix()); err != nil {
		t.Fatalf("wiping etcd: %v", err)
	}
}
