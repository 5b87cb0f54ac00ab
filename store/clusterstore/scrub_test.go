package clusterstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"seg/store"
)

const (
	bobOld = "$2a$10$bobbobbobbobbobbobbobuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	bobNew = "$2a$10$bobbobbobbobbobbobbobuBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

// commitUsers commits edit of the current configuration's users.
func (m *testMachine) commitUsers(comment string, edit func(c *store.Config)) store.Revision {
	m.t.Helper()
	v, err := m.node.View(store.Level{}, 0)
	if err != nil {
		m.t.Fatal(err)
	}
	cfg := v.Config.Clone()
	edit(cfg)
	rev, err := m.node.Commit(store.CommitRequest{Base: v.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Comment: comment})
	if err != nil {
		m.t.Fatalf("%s: %s: %v", m.name, comment, err)
	}
	return rev
}

func addBob(c *store.Config) {
	c.Users = append(c.Users, store.User{Name: "bob", FullName: "Bob", Role: store.RoleOperator, PasswordHash: bobOld})
}

func bobPasswd(c *store.Config) { c.User("bob").PasswordHash = bobNew }

// bobHash is bob's hash in the machine's view of revision rev.
func (m *testMachine) bobHash(rev int) string {
	m.t.Helper()
	v, err := m.node.View(store.Level{}, rev)
	if err != nil {
		m.t.Fatal(err)
	}
	u := v.Config.User("bob")
	if u == nil {
		m.t.Fatalf("%s: no user bob in revision %d", m.name, rev)
	}
	return u.PasswordHash
}

// testClient is a client of e and a deadline for its calls, both ended
// with the test.
func testClient(t *testing.T, e testEtcdT) (*clientv3.Client, context.Context) {
	t.Helper()
	cli, err := newClient(e.endpoints())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(func() {
		cancel()
		cli.Close()
	})
	return cli, ctx
}

// etcdRevs reads every revision key of cluster name, by key.
func etcdRevs(t *testing.T, e testEtcdT, name string) map[string]string {
	t.Helper()
	cli, ctx := testClient(t, e)
	resp, err := cli.Get(ctx, keysOf(name).revs(), clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out
}

// etcdRevision is etcd's revision now.
func etcdRevision(t *testing.T, e testEtcdT) int64 {
	t.Helper()
	cli, ctx := testClient(t, e)
	resp, err := cli.Get(ctx, "/seg/none")
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// cacheHolds reports which cached records (by key, in any bucket) of a
// closed machine hold s.
func cacheHolds(t *testing.T, m *testMachine, s string) []string {
	t.Helper()
	return boltHolds(t, filepath.Join(m.confDir(), CacheFile), s)
}

// boltHolds reports which records (by bucket and key) of the bbolt file
// at path hold s.
func boltHolds(t *testing.T, path, s string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error {
				if strings.Contains(string(k)+string(v), s) {
					out = append(out, fmt.Sprintf("%s/%x", name, k))
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A password change on one machine clears the old hash from every
// revision key in etcd, from etcd's history, and from both caches.
func TestPasswdScrubsEtcdAndCaches(t *testing.T) {
	a, b := twoMachines(t, "pw")
	e := testEtcd(t)
	added := a.commitUsers("add bob", addBob)
	a.mustSetAlerts("more@example.com") // a second revision with bobOld
	b.waitApplied(time.Second, added.Number+1)
	before := etcdRevision(t, e)
	start := time.Now()
	rev := a.commitUsers("bob's password", bobPasswd)
	t.Logf("the passwd commit, with the scrub and compaction, took %v", time.Since(start))
	b.waitApplied(time.Second, rev.Number)

	withNew := 0
	for k, v := range etcdRevs(t, e, "pw") {
		if strings.Contains(v, bobOld) {
			t.Errorf("etcd %s still holds bob's old hash", k)
		}
		if strings.Contains(v, bobNew) {
			withNew++
		}
	}
	if withNew != 1 {
		t.Errorf("bob's new hash is in %d revision keys, want 1 (the newest)", withNew)
	}
	cli, ctx := testClient(t, e)
	if _, err := cli.Get(ctx, keysOf("pw").rev(added.Number), clientv3.WithRev(before)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("a read of etcd revision %d (before the passwd): %v, want it compacted", before, err)
	}

	for _, m := range []*testMachine{a, b} {
		for n := 2; n < rev.Number; n++ { // 1: before b joined
			v, err := m.node.View(store.Level{}, n)
			if err != nil {
				t.Fatal(err)
			}
			if u := v.Config.User("bob"); u != nil && u.PasswordHash != "" {
				t.Errorf("%s's view of revision %d: bob's hash %q, want none", m.name, n, u.PasswordHash)
			}
		}
		if h := m.bobHash(0); h != bobNew {
			t.Errorf("%s runs bob's hash %q, want the new one", m.name, h)
		}
		m.close()
		if keys := cacheHolds(t, m, bobOld); len(keys) > 0 {
			t.Errorf("%s's cache still holds bob's old hash in %v", m.name, keys)
		}
		if keys := cacheHolds(t, m, bobNew); len(keys) != 1 {
			t.Errorf("%s's cache holds bob's new hash in %v, want one revision", m.name, keys)
		}
	}
}

// The machines' standalone stores (config.db) keep their revisions from
// before the cluster, with the users' hashes then: a hash the cluster
// retires is cleared there too, on the committing machine and on the
// others.
func TestPasswdScrubsLocalStores(t *testing.T) {
	a, b := twoMachines(t, "pwlocal")
	old := adminHash(t)
	for _, m := range []*testMachine{a, b} {
		m.close()
		if keys := boltHolds(t, filepath.Join(m.dir, "config.db"), old); len(keys) == 0 {
			t.Fatalf("%s's config.db lacks admin's hash before the passwd: the test proves nothing", m.name)
		}
		m.open()
	}
	rev := a.commitUsers("admin's password", func(c *store.Config) { c.User("admin").PasswordHash = bobNew })
	b.waitApplied(5*time.Second, rev.Number)
	for _, m := range []*testMachine{a, b} {
		m.close()
		if keys := boltHolds(t, filepath.Join(m.dir, "config.db"), old); len(keys) > 0 {
			t.Errorf("%s's config.db still holds admin's old hash in %v", m.name, keys)
		}
	}
}

// A machine that is down during the passwd catches up and clears its
// cache of the old hash too.
func TestDownMachineScrubsOnCatchUp(t *testing.T) {
	a, b := twoMachines(t, "pwdown")
	added := a.commitUsers("add bob", addBob)
	b.waitApplied(time.Second, added.Number)
	b.close()
	if keys := cacheHolds(t, b, bobOld); len(keys) == 0 {
		t.Fatal("b's cache does not hold bob's hash before the passwd: the test proves nothing")
	}
	rev := a.commitUsers("bob's password", bobPasswd)
	b.open()
	b.waitApplied(5*time.Second, rev.Number)
	if h := b.bobHash(added.Number); h != "" {
		t.Errorf("b's view of revision %d after catching up: bob's hash %q, want none", added.Number, h)
	}
	b.close()
	if keys := cacheHolds(t, b, bobOld); len(keys) > 0 {
		t.Errorf("b's cache after catching up still holds bob's old hash in %v", keys)
	}
}

// A candidate staged on machine B before machine A's passwd commits
// without a conflict over bob and without bringing the old hash back.
func TestStaleCandidateOnPeer(t *testing.T) {
	a, b := twoMachines(t, "pwstale")
	e := testEtcd(t)
	added := a.commitUsers("add bob", addBob)
	b.waitApplied(time.Second, added.Number)
	v, err := b.node.View(store.Level{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	stale := v.Config.Clone()
	stale.System.AlertRecipients = []string{"stale@example.com"}
	if stale.User("bob").PasswordHash != bobOld {
		t.Fatal("b's candidate lacks bob's old hash: the test proves nothing")
	}
	a.commitUsers("bob's password", bobPasswd)
	rev, err := b.node.Commit(store.CommitRequest{Base: v.Revision.Number, Config: stale, User: "admin", Role: store.RoleAdmin})
	if err != nil {
		t.Fatalf("b's stale commit, which does not touch bob: %v", err)
	}
	a.waitApplied(time.Second, rev.Number)
	for _, m := range []*testMachine{a, b} {
		if h := m.bobHash(0); h != bobNew {
			t.Errorf("%s runs bob's hash %q after the stale commit, want the new one", m.name, h)
		}
	}
	b.waitAlerts(time.Second, "stale@example.com")
	for k, v := range etcdRevs(t, e, "pwstale") {
		if strings.Contains(v, bobOld) {
			t.Errorf("etcd %s holds bob's old hash again", k)
		}
	}
}

// rollbackconfig to a revision from before the passwd restores bob
// without a password, as a standalone machine does (shell's
// noPasswordNote then tells the admin).
func TestClusterRollbackWithoutPassword(t *testing.T) {
	a, b := twoMachines(t, "pwrb")
	e := testEtcd(t)
	added := a.commitUsers("add bob", addBob)
	a.commitUsers("bob's password", bobPasswd)
	rev, err := store.Rollback(a.node, added.Number, "admin", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	b.waitApplied(time.Second, rev.Number)
	for _, m := range []*testMachine{a, b} {
		if h := m.bobHash(0); h != "" || store.CheckPassword(h, "") {
			t.Errorf("%s runs bob's hash %q after the rollback, want none", m.name, h)
		}
	}
	// The rollback retired bob's newer hash: no revision keeps it.
	for k, v := range etcdRevs(t, e, "pwrb") {
		if strings.Contains(v, bobOld) || strings.Contains(v, bobNew) {
			t.Errorf("etcd %s holds one of bob's hashes", k)
		}
	}
}

// adminTree is a one-machine tree of cluster name whose admin has hash.
func adminTree(t *testing.T, name, hash string, alerts ...string) *store.ClusterTree {
	t.Helper()
	cfg := store.Default("m1.example.com", hash)
	cfg.System.AlertRecipients = alerts
	tr, err := store.NewClusterTree(name, cfg, "m1.example.com", "Main")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// The cache clears a retired hash from the records it holds and from a
// record handed to it later (one read from etcd before the scrub).
func TestCacheKeepsRetiredHashesOut(t *testing.T) {
	c, err := openCache(filepath.Join(t.TempDir(), CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	t1, t2 := adminTree(t, "c", bobOld), adminTree(t, "c", bobNew)
	rec1, err := newRecord(store.Revision{Number: 1}, t1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec2, err := newRecord(store.Revision{Number: 2}, t2, retiredDigests(t1, t2))
	if err != nil {
		t.Fatal(err)
	}
	hash1 := func() string {
		t.Helper()
		b, ok, err := c.get(1)
		if err != nil || !ok {
			t.Fatalf("revision 1: %v %v", ok, err)
		}
		_, tr, err := decodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Cluster.User("admin").PasswordHash
	}
	if _, err := c.put(map[int][]byte{1: rec1}); err != nil {
		t.Fatal(err)
	}
	if h := hash1(); h != bobOld {
		t.Fatalf("revision 1 before the retiring record: %q", h)
	}
	if fresh, err := c.put(map[int][]byte{2: rec2}); err != nil || len(fresh) != 1 || !fresh.has(bobOld) {
		t.Fatalf("putting the retiring record: new retired %v, %v", fresh, err)
	}
	if h := hash1(); h != "" {
		t.Errorf("revision 1 after the retiring record: %q, want none", h)
	}
	if fresh, err := c.put(map[int][]byte{1: rec1}); err != nil || len(fresh) != 0 {
		t.Fatalf("putting revision 1 again: new retired %v, %v", fresh, err)
	}
	if h := hash1(); h != "" {
		t.Errorf("revision 1 put again unscrubbed: %q, want none", h)
	}
	set, err := c.retired()
	if err != nil {
		t.Fatal(err)
	}
	if !set.has(bobOld) || set.has(bobNew) || len(set) != 1 {
		t.Errorf("the cache's retired set: %v", set)
	}
}

// scrubEtcd rewrites more revision keys than one transaction may hold,
// and uses every record's digests: a hash that an earlier commit
// retired but could not clear (etcd went away) is cleared by the next
// scrub.
func TestScrubEtcdBatchesAndFinishes(t *testing.T) {
	e := testEtcd(t)
	cli, ctx := testClient(t, e)
	k := keysOf("batch")
	oldTree := adminTree(t, "batch", bobOld)
	put := func(num int, tr *store.ClusterTree, retired []string) {
		t.Helper()
		rec, err := newRecord(store.Revision{Number: num}, tr, retired)
		if err != nil {
			t.Fatal(err)
		}
		if won, err := putRevision(ctx, cli, k, num-1, rec); err != nil || !won {
			t.Fatalf("revision %d: won %v, %v", num, won, err)
		}
	}
	const old = 3*scrubBatch - 1 // three transactions
	for n := 1; n <= old; n++ {
		put(n, oldTree, nil)
	}
	newTree := adminTree(t, "batch", bobNew)
	put(old+1, newTree, retiredDigests(oldTree, newTree)) // its scrub "failed"
	put(old+2, adminTree(t, "batch", bobNew, "ops@example.com"), nil)
	before := etcdRevision(t, e)
	start := time.Now()
	if err := scrubEtcd(ctx, cli, k, old+2); err != nil {
		t.Fatal(err)
	}
	t.Logf("scrubbed %d revisions and compacted in %v", old, time.Since(start))
	revs := etcdRevs(t, e, "batch")
	if len(revs) != old+2 {
		t.Fatalf("%d revision keys, want %d", len(revs), old+2)
	}
	for key, v := range revs {
		if strings.Contains(v, bobOld) {
			t.Errorf("%s still holds the old hash", key)
		}
	}
	if _, err := cli.Get(ctx, k.rev(1), clientv3.WithRev(before)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("a read at etcd revision %d: %v, want it compacted", before, err)
	}
	// The rewritten records keep their number and ID, and decode.
	rec, _, err := fetchFrom(ctx, cli, k, old)
	if err != nil || len(rec) != 3 {
		t.Fatalf("fetch from %d: %d records, %v", old, len(rec), err)
	}
	r, tr, err := decodeRecord(rec[0])
	if err != nil || r.Revision.Number != old || r.ID == "" || tr.Cluster.User("admin").PasswordHash != "" {
		t.Errorf("revision %d after the scrub: %+v, %v", old, r.Revision, err)
	}
}

// A rewrite is conditional: a key another machine rewrote since it was
// read is not put back from the stale read, and is reported to be read
// again.
func TestScrubRewriteIsConditional(t *testing.T) {
	e := testEtcd(t)
	cli, ctx := testClient(t, e)
	k := keysOf("cond")
	tr := adminTree(t, "cond", bobOld)
	for n := 1; n <= 3; n++ {
		rec, err := newRecord(store.Revision{Number: n}, tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		if won, err := putRevision(ctx, cli, k, n-1, rec); err != nil || !won {
			t.Fatalf("revision %d: won %v, %v", n, won, err)
		}
	}
	resp, err := cli.Get(ctx, k.revs(), clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, k.rev(2), "rewritten elsewhere"); err != nil {
		t.Fatal(err)
	}
	last, again, err := rewrite(ctx, cli, resp.Kvs, digestSet{digest(bobOld): true}.has)
	if err != nil {
		t.Fatal(err)
	}
	if last != 0 || len(again) != 3 {
		t.Fatalf("rewrite over a changed key: last %d, again %v; want nothing written and all 3 to read again", last, again)
	}
	if v := etcdRevs(t, e, "cond")[k.rev(2)]; v != "rewritten elsewhere" {
		t.Errorf("revision 2 was overwritten from a stale read: %.40q", v)
	}
}
