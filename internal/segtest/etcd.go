package segtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Etcd is a real etcd cluster of one or three members on 127.0.0.1, for
// the cluster tests: the etcd v3.6 server that tools/etcd builds (`make
// etcd`), each member its own process and data directory, so that a
// test can kill members (the data stays) and start them again.
type Etcd struct {
	t       testing.TB
	bin     string
	token   string
	members []*etcdMember
}

// etcdMember is one etcd process: its name, ports and data directory,
// and between start and kill the process and what it wrote.
type etcdMember struct {
	name             string
	dir              string
	clientPort, peer int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *SyncBuffer
}

// EtcdBinary is the etcd server under test: $SEG_ETCD when set (the
// Makefile exports it), else .cache/bin/etcd in the module's root. It
// fails the test, naming `make etcd`, when there is none: the cluster
// tests need a real etcd and are never skipped.
func EtcdBinary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("SEG_ETCD")
	if p == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatalf("segtest: finding the etcd binary: %v; run `make etcd` and set SEG_ETCD", err)
		}
		p = filepath.Join(root, ".cache", "bin", "etcd")
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		t.Fatalf("segtest: no etcd binary at %s: run `make etcd` (it builds tools/etcd into .cache/bin/etcd), or set SEG_ETCD", p)
	}
	return p
}

// moduleRoot is the directory of the go.mod above the working directory
// (a test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = up
	}
}

// NewEtcd starts an etcd cluster of n members (1 or 3) on free ports of
// 127.0.0.1, each with a data directory under the test's temp dir, and
// returns once every member answers and the cluster has a leader. The
// members are killed when the test ends.
func NewEtcd(t testing.TB, n int) *Etcd {
	t.Helper()
	if n != 1 && n != 3 {
		t.Fatalf("segtest: NewEtcd(%d): an etcd cluster here has 1 or 3 members", n)
	}
	e := &Etcd{t: t, bin: EtcdBinary(t), token: fmt.Sprintf("segtest-%d", FreePort(t))}
	for i := range n {
		e.members = append(e.members, &etcdMember{
			name:       fmt.Sprintf("m%d", i),
			dir:        filepath.Join(t.TempDir(), "etcd"),
			clientPort: FreePort(t),
			peer:       FreePort(t),
		})
	}
	t.Cleanup(e.KillAll)
	for i := range e.members {
		e.start(i)
	}
	e.waitHealthy()
	return e
}

// Len is the number of members.
func (e *Etcd) Len() int { return len(e.members) }

// Endpoint is member i's client URL.
func (e *Etcd) Endpoint(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", e.members[i].clientPort)
}

// Endpoints is every member's client URL, comma-separated, as
// `clusterconfig create --etcd` takes them.
func (e *Etcd) Endpoints() string {
	var urls []string
	for i := range e.members {
		urls = append(urls, e.Endpoint(i))
	}
	return strings.Join(urls, ",")
}

// peerURL is member i's peer URL.
func (e *Etcd) peerURL(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", e.members[i].peer)
}

// start runs member i's process (its data directory kept from before,
// when there is one: etcd then ignores the --initial-* flags).
func (e *Etcd) start(i int) {
	e.t.Helper()
	m := e.members[i]
	var initial []string
	for j, o := range e.members {
		initial = append(initial, o.name+"="+e.peerURL(j))
	}
	cmd := exec.Command(e.bin,
		"--name", m.name,
		"--data-dir", m.dir,
		"--listen-client-urls", e.Endpoint(i),
		"--advertise-client-urls", e.Endpoint(i),
		"--listen-peer-urls", e.peerURL(i),
		"--initial-advertise-peer-urls", e.peerURL(i),
		"--initial-cluster", strings.Join(initial, ","),
		"--initial-cluster-state", "new",
		"--initial-cluster-token", e.token,
		"--log-level", "warn",
	)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("segtest: starting etcd member %d: %v", i, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	m.mu.Lock()
	m.cmd, m.done, m.out = cmd, done, out
	m.mu.Unlock()
}

// Running reports whether member i's process is alive.
func (e *Etcd) Running(i int) bool {
	m := e.members[i]
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	return alive(done)
}

// Kill ends member i with SIGKILL and waits until it is gone; its data
// directory stays for Start.
func (e *Etcd) Kill(i int) {
	m := e.members[i]
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil || !e.Running(i) {
		return
	}
	cmd.Process.Kill()
	<-done
}

// KillAll kills every member.
func (e *Etcd) KillAll() {
	for i := range e.members {
		e.Kill(i)
	}
}

// Start starts member i again on its data directory and waits until the
// cluster is healthy (with a quorum of the members running).
func (e *Etcd) Start(i int) {
	e.t.Helper()
	if e.Running(i) {
		e.t.Fatalf("segtest: etcd member %d is already running", i)
	}
	e.start(i)
	e.waitHealthy()
}

// StartAll starts every member that is not running and waits until the
// cluster is healthy.
func (e *Etcd) StartAll() {
	e.t.Helper()
	for i := range e.members {
		if !e.Running(i) {
			e.start(i)
		}
	}
	e.waitHealthy()
}

// Output is what member i's current or last process wrote.
func (e *Etcd) Output(i int) string {
	m := e.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.out == nil {
		return ""
	}
	return m.out.String()
}

// client is an etcd client of member i alone (so that its answers are
// that member's, not a balancer's choice).
func (e *Etcd) client(i int) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{e.Endpoint(i)},
		DialTimeout: time.Second,
		Logger:      zap.NewNop(),
	})
}

// status asks member i for its ID and the leader it knows (0 for none).
func (e *Etcd) status(i int) (id, leader uint64, err error) {
	c, err := e.client(i)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := c.Status(ctx, e.Endpoint(i))
	if err != nil {
		return 0, 0, err
	}
	return st.Header.MemberId, st.Leader, nil
}

// waitHealthy waits (30 s at most) until every running member answers a
// linearizable read, which needs a leader and a quorum.
func (e *Etcd) waitHealthy() {
	e.t.Helper()
	var last error
	ok := Poll(30*time.Second, func() bool {
		for i := range e.members {
			if !e.Running(i) {
				continue
			}
			if last = e.get(i); last != nil {
				last = fmt.Errorf("member %d: %w", i, last)
				return false
			}
		}
		return true
	})
	if !ok {
		e.t.Fatalf("segtest: etcd not healthy after 30 s: %v\n%s", last, e.outputs())
	}
}

// get makes one linearizable read on member i.
func (e *Etcd) get(i int) error {
	c, err := e.client(i)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Get(ctx, "/segtest/health")
	return err
}

// outputs is every member's output, for a failure message.
func (e *Etcd) outputs() string {
	var b strings.Builder
	for i := range e.members {
		fmt.Fprintf(&b, "--- etcd member %d (running %v):\n%s\n", i, e.Running(i), tail(e.Output(i), 30))
	}
	return b.String()
}

// Leader is the index of the member that the running members agree
// leads; it waits (10 s at most) for them to agree.
func (e *Etcd) Leader() int {
	e.t.Helper()
	leader := -1
	var last error
	ok := Poll(10*time.Second, func() bool {
		leader, last = e.leader()
		return last == nil
	})
	if !ok {
		e.t.Fatalf("segtest: no etcd leader the members agree on within 10 s: %v\n%s", last, e.outputs())
	}
	return leader
}

// leader asks each running member for the leader and maps its ID to an
// index.
func (e *Etcd) leader() (int, error) {
	ids := map[uint64]int{}
	var leader uint64
	for i := range e.members {
		if !e.Running(i) {
			continue
		}
		id, l, err := e.status(i)
		if err != nil {
			return -1, fmt.Errorf("member %d: %w", i, err)
		}
		ids[id] = i
		switch {
		case l == 0:
			return -1, fmt.Errorf("member %d knows no leader", i)
		case leader != 0 && l != leader:
			return -1, fmt.Errorf("members disagree on the leader (%x, %x)", leader, l)
		}
		leader = l
	}
	i, ok := ids[leader]
	if !ok {
		return -1, fmt.Errorf("the leader %x is no running member", leader)
	}
	return i, nil
}

// MoveLeader hands the leadership to member to (the Maintenance API's
// MoveLeader, asked of the current leader, which is where etcd takes
// it) and waits until the members agree on the new leader.
func (e *Etcd) MoveLeader(to int) {
	e.t.Helper()
	from := e.Leader()
	if from == to {
		e.t.Fatalf("segtest: MoveLeader(%d): it leads already", to)
	}
	id, _, err := e.status(to)
	if err != nil {
		e.t.Fatalf("segtest: MoveLeader: member %d: %v", to, err)
	}
	c, err := e.client(from)
	if err != nil {
		e.t.Fatalf("segtest: MoveLeader: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.MoveLeader(ctx, id); err != nil {
		e.t.Fatalf("segtest: MoveLeader %d -> %d: %v", from, to, err)
	}
	Wait(e.t, 10*time.Second, fmt.Sprintf("etcd member %d to lead", to), func() bool {
		l, err := e.leader()
		return err == nil && l == to
	})
}

// Client is an etcd client of every member, for a test that reads or
// writes keys itself; it is closed when the test ends.
func (e *Etcd) Client() *clientv3.Client {
	e.t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(e.Endpoints(), ","),
		DialTimeout: 2 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		e.t.Fatalf("segtest: etcd client: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}
