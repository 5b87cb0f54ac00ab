package clusterstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"seg/store"
)

// Old revisions must not keep passwords the running configuration no
// longer has (store/scrub.go says why). Users are cluster-level, so a
// hash is retired by a commit whose tree's cluster level no longer has
// it. Such a commit's record lists the retired hashes as digests
// (record.Retired: SHA-256 of each hash, never the hash itself), so
// that every machine learns from the stored history, not from another
// process's memory, which hashes are retired:
//   - the committing machine rewrites every older revision key in etcd
//     without them, then compacts etcd's history (scrubEtcd), so the
//     overwritten values are gone from etcd too;
//   - every machine's cache keeps the digests it has seen and clears
//     them from every record it holds or is given (cache.go put), so a
//     machine that was down catches up with the retiring record and
//     scrubs its cache then;
//   - a commit clears them from the incoming candidate first (commit.go),
//     so a candidate staged before the passwd, on any machine, cannot
//     bring one back.

// digest is what a record keeps of a retired hash.
func digest(hash string) string {
	d := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(d[:])
}

// retiredDigests are the digests of the hashes next retires from prev.
func retiredDigests(prev, next *store.ClusterTree) []string {
	if prev == nil || prev.Cluster == nil || next.Cluster == nil {
		return nil
	}
	var out []string
	for _, h := range store.RetiredHashes(prev.Cluster, next.Cluster) {
		out = append(out, digest(h))
	}
	return out
}

// digestSet is a set of retired hashes' digests.
type digestSet map[string]bool

// has reports whether hash is retired.
func (s digestSet) has(hash string) bool { return hash != "" && len(s) > 0 && s[digest(hash)] }

// recordHashes is the part of a record the scrub reads first: most
// records hold no retired hash, and need no full decode.
type recordHashes struct {
	Retired []string `json:"retired"`
	Tree    struct {
		Cluster struct {
			Users []struct {
				PasswordHash string `json:"password_hash"`
			} `json:"users"`
		} `json:"cluster"`
	} `json:"tree"`
}

func readHashes(rec []byte) (recordHashes, error) {
	var h recordHashes
	if err := json.Unmarshal(rec, &h); err != nil {
		return h, fmt.Errorf("decoding a cluster revision: %v", err)
	}
	return h, nil
}

// scrubRecord returns rec with the retired hashes cleared from its
// cluster level's users (the only level that holds users:
// DecodeClusterTree refuses others), and whether it changed. The
// revision, its ID and its own Retired list are kept.
func scrubRecord(rec []byte, retired func(string) bool) ([]byte, bool, error) {
	h, err := readHashes(rec)
	if err != nil {
		return nil, false, err
	}
	hit := false
	for _, u := range h.Tree.Cluster.Users {
		if u.PasswordHash != "" && retired(u.PasswordHash) {
			hit = true
		}
	}
	if !hit {
		return rec, false, nil
	}
	r, t, err := decodeRecord(rec)
	if err != nil {
		return nil, false, err
	}
	t.Cluster, _ = store.ScrubUsers(t.Cluster, retired)
	if r.Tree, err = store.EncodeClusterTree(t); err != nil {
		return nil, false, err
	}
	out, err := json.Marshal(r)
	return out, err == nil, err
}

// rewrite puts the keys of kvs that hold a retired hash back without
// it, in transactions of at most scrubBatch keys and scrubBytes, each
// conditional on its keys' mod revisions. It returns the etcd revision
// of the last transaction that went through, and the keys of those
// that did not (a key changed meanwhile).
func rewrite(ctx context.Context, cli *clientv3.Client, kvs []*mvccpb.KeyValue, retired func(string) bool) (int64, []string, error) {
	var (
		last  int64
		again []string
		cmps  []clientv3.Cmp
		puts  []clientv3.Op
		keys  []string
		size  int
	)
	flush := func() error {
		if len(puts) == 0 {
			return nil
		}
		tr, err := cli.Txn(ctx).If(cmps...).Then(puts...).Commit()
		if err != nil {
			return unreachable(err)
		}
		if tr.Succeeded {
			last = tr.Header.Revision
		} else {
			again = append(again, keys...)
		}
		cmps, puts, keys, size = nil, nil, nil, 0
		return nil
	}
	for _, kv := range kvs {
		out, changed, err := scrubRecord(kv.Value, retired)
		if err != nil {
			return 0, nil, err
		}
		if !changed {
			continue
		}
		if len(puts) == scrubBatch || size+len(out) > scrubBytes {
			if err := flush(); err != nil {
				return 0, nil, err
			}
		}
		key := string(kv.Key)
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision))
		puts = append(puts, clientv3.OpPut(key, string(out)))
		keys = append(keys, key)
		size += len(key) + len(out)
	}
	if err := flush(); err != nil {
		return 0, nil, err
	}
	return last, again, nil
}

// scrubBatch is how many revision keys one etcd transaction rewrites:
// each is compared (its mod revision) and put, 100 operations in all,
// under etcd's default --max-txn-ops (128 compares, and 128 puts).
// scrubBytes keeps a transaction under etcd's default
// --max-request-bytes (1.5 MiB) when records are large (certificates,
// long lists); a single record was written in one request already.
const (
	scrubBatch = 50
	scrubBytes = 1 << 20
)

// scrubEtcd rewrites every revision key below newest without the
// hashes any record retired, then compacts etcd's history up to the
// last rewrite, so the overwritten values are gone from etcd as well.
// Using every record's digests, not only the new commit's, finishes a
// scrub that an earlier commit could not complete (etcd went away).
//
// The rewrites touch neither the current key nor revision keys that do
// not exist yet, which is all a commit's transaction compares
// (putRevision), so they never make a commit fail; each is itself
// conditional on the key's mod revision, so two machines scrubbing at
// once cannot put back what the other cleared.
//
// Compaction is safe for the machines: none reads an old etcd revision.
// They catch up by reading the revision keys as they are now
// (member.catchUp, fetchFrom), and watch only from the etcd revision
// of that read (member.follow); a watch that compaction overtakes ends
// with ErrCompacted, and watchLoop catches up by reading the keys again.
// Compaction is etcd-wide: other clusters on the same endpoints run
// this same code, and nothing else of seg keeps etcd history.
func scrubEtcd(ctx context.Context, cli *clientv3.Client, k keys, newest int) error {
	// Every key up to newest (its digests count), the rewrites below it.
	resp, err := cli.Get(ctx, k.rev(1), clientv3.WithRange(k.rev(newest+1)))
	if err != nil {
		return unreachable(err)
	}
	retired := digestSet{}
	var kvs []*mvccpb.KeyValue
	for _, kv := range resp.Kvs {
		h, err := readHashes(kv.Value)
		if err != nil {
			return err
		}
		for _, d := range h.Retired {
			retired[d] = true
		}
		if string(kv.Key) < k.rev(newest) {
			kvs = append(kvs, kv)
		}
	}
	if len(retired) == 0 {
		return nil
	}
	last := int64(0)
	for attempt := 0; len(kvs) > 0; attempt++ {
		if attempt == 5 {
			return errors.New("scrubbing retired passwords: the revision keys kept changing")
		}
		rev, again, err := rewrite(ctx, cli, kvs, retired.has)
		if err != nil {
			return err
		}
		last = max(last, rev)
		kvs = kvs[:0]
		for _, key := range again { // another scrub rewrote them: read again
			g, err := cli.Get(ctx, key)
			if err != nil {
				return unreachable(err)
			}
			kvs = append(kvs, g.Kvs...)
		}
	}
	if last == 0 {
		return nil
	}
	// Physical: the call returns once the old values are removed from
	// the backend, not only hidden from reads.
	if _, err := cli.Compact(ctx, last, clientv3.WithCompactPhysical()); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return unreachable(err)
	}
	return nil
}
