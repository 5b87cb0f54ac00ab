package clusterstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"seg/store"
)

// The etcd layout of a cluster, under /seg/clusters/NAME/:
//
//	rev/0000000042   one record per revision (record below)
//	current          the newest revision's number, in decimal
//	live/MACHINE     a machine's liveKey, under its lease (lease.go)
//
// A commit puts rev/N+1 and current=N+1 in one transaction that
// compares current with N, so exactly one of two racing commits wins
// (etcd transactions are linearizable).
// A revision key is written once, except that a commit which retires a
// password hash rewrites the older ones without it and compacts etcd's
// history (scrub.go).
const clustersPrefix = "/seg/clusters/"

type keys struct{ prefix string }

func keysOf(name string) keys { return keys{clustersPrefix + name + "/"} }

func (k keys) current() string      { return k.prefix + "current" }
func (k keys) revs() string         { return k.prefix + "rev/" }
func (k keys) rev(n int) string     { return fmt.Sprintf("%srev/%010d", k.prefix, n) }
func (k keys) lives() string        { return k.prefix + "live/" }
func (k keys) live(m string) string { return k.prefix + "live/" + m }

// record is one stored revision. ID is random: a committer whose
// transaction's outcome is unknown (a timeout, a leader change) reads
// the revision key back and knows by it whether the write is its own.
// Retired lists the digests of the password hashes this revision
// retired (scrub.go); the other revision keys are rewritten without
// those hashes, so Tree may change later, the ID never.
type record struct {
	Revision store.Revision  `json:"revision"`
	ID       string          `json:"id"`
	Retired  []string        `json:"retired,omitempty"`
	Tree     json.RawMessage `json:"tree"`
}

func newRecord(rev store.Revision, t *store.ClusterTree, retired []string) ([]byte, error) {
	enc, err := store.EncodeClusterTree(t)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return json.Marshal(record{Revision: rev, ID: hex.EncodeToString(id), Retired: retired, Tree: enc})
}

func decodeRecord(b []byte) (record, *store.ClusterTree, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, nil, fmt.Errorf("decoding a cluster revision: %v", err)
	}
	t, err := store.DecodeClusterTree(r.Tree)
	if err != nil {
		return r, nil, fmt.Errorf("cluster revision %d: %v", r.Revision.Number, err)
	}
	return r, t, nil
}

// UnreachableError is every failure to talk to etcd (SPEC 14's text).
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string {
	return "The cluster configuration store is unreachable: " + e.Err.Error()
}

func (e *UnreachableError) Unwrap() error { return e.Err }

func unreachable(err error) error {
	var u *UnreachableError
	if err == nil || errors.As(err, &u) {
		return err
	}
	return &UnreachableError{err}
}

// newClient connects to endpoints. It does not wait for a connection:
// a machine starts (on its cache) while etcd is down, and every call
// carries its own deadline.
func newClient(endpoints []string) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: opTimeout,
		Logger:      zap.NewNop(),
		// gRPC's default reconnect backoff grows to two minutes: a
		// machine would stay cut off that long after etcd returns.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd endpoints %s: %v", strings.Join(endpoints, ","), err)
	}
	return cli, nil
}

// opTimeout bounds each etcd operation a command waits for, so that
// commit and the cluster commands fail within a few seconds when etcd
// is unreachable (the client would otherwise wait for a connection).
const opTimeout = 3 * time.Second

// currentNumber reads the newest revision's number (0: no cluster).
func currentNumber(ctx context.Context, cli *clientv3.Client, k keys) (int, int64, error) {
	resp, err := cli.Get(ctx, k.current())
	if err != nil {
		return 0, 0, unreachable(err)
	}
	if len(resp.Kvs) == 0 {
		return 0, resp.Header.Revision, nil
	}
	n, err := strconv.Atoi(string(resp.Kvs[0].Value))
	if err != nil {
		return 0, 0, fmt.Errorf("cluster revision counter %q: %v", resp.Kvs[0].Value, err)
	}
	return n, resp.Header.Revision, nil
}

// fetchFrom returns the records of revisions from and above, oldest
// first, and the etcd revision the read saw (a watch starts after it).
func fetchFrom(ctx context.Context, cli *clientv3.Client, k keys, from int) ([][]byte, int64, error) {
	resp, err := cli.Get(ctx, k.rev(from), clientv3.WithRange(clientv3.GetPrefixRangeEnd(k.revs())))
	if err != nil {
		return nil, 0, unreachable(err)
	}
	out := make([][]byte, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = kv.Value
	}
	return out, resp.Header.Revision, nil
}

// putRevision writes rec as revision prev+1 if prev is still the
// newest. won is false when another commit got there first. On an
// error whose outcome is unknown, the revision key is read back: the
// write is ours if it holds rec's ID (unique; a scrub may have
// rewritten the rest of the record meanwhile), and
// the transaction is tried again only while the key is absent.
func putRevision(ctx context.Context, cli *clientv3.Client, k keys, prev int, rec []byte) (won bool, err error) {
	cur := clientv3.Compare(clientv3.Value(k.current()), "=", strconv.Itoa(prev))
	if prev == 0 {
		cur = clientv3.Compare(clientv3.CreateRevision(k.current()), "=", 0)
	}
	next := k.rev(prev + 1)
	for {
		resp, err := cli.Txn(ctx).
			If(cur, clientv3.Compare(clientv3.CreateRevision(next), "=", 0)).
			Then(clientv3.OpPut(next, string(rec)), clientv3.OpPut(k.current(), strconv.Itoa(prev+1))).
			Commit()
		if err == nil && resp.Succeeded {
			return true, nil
		}
		g, gerr := cli.Get(ctx, next)
		if gerr != nil {
			if err == nil {
				err = gerr
			} else {
				err = fmt.Errorf("%v (whether this commit was written is not known until the store can be reached; clusterconfig list shows the revision each machine runs)", err)
			}
			return false, unreachable(err)
		}
		if len(g.Kvs) > 0 {
			return sameID(g.Kvs[0].Value, rec), nil
		}
		if err == nil {
			// The compare failed and rev N+1 is absent: the counter
			// moved elsewhere (cannot happen with our writes).
			return false, nil
		}
		select { // a leader election takes a moment
		case <-ctx.Done():
			return false, unreachable(err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sameID reports whether two records carry the same ID.
func sameID(a, b []byte) bool {
	var x, y struct {
		ID string `json:"id"`
	}
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && x.ID != "" && x.ID == y.ID
}

// clusterNames lists the clusters the endpoints hold.
func clusterNames(ctx context.Context, cli *clientv3.Client) ([]string, error) {
	resp, err := cli.Get(ctx, clustersPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, unreachable(err)
	}
	var names []string
	for _, kv := range resp.Kvs {
		rest := strings.TrimPrefix(string(kv.Key), clustersPrefix)
		if name, ok := strings.CutSuffix(rest, "/current"); ok && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	return names, nil
}
