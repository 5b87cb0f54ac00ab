package clusterstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// cache is the machine's copy of its cluster's revisions
// (DATA/cluster.db, beside config.db): every revision it has fetched, as etcd
// holds them, and the number it has applied. A machine starts from it
// when etcd is down, and serves Revisions, Get and old Views from it.
// It keeps no password hash that a revision retired (scrub.go, put).
type cache struct {
	db *bolt.DB
}

// CacheFile is the cache's name in the node's directory.
const CacheFile = "cluster.db"

var (
	bucketRevs = []byte("revisions") // big-endian number -> record
	bucketMeta = []byte("meta")
	// The digests of every retired password hash the records seen
	// listed (scrub.go): digest -> empty.
	bucketRetired = []byte("retired")
	keyApplied    = []byte("applied") // decimal
	keyCluster    = []byte("cluster") // the cluster the revisions are of
)

func openCache(path string) (*cache, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the cluster cache %s: %v", path, err)
	}
	return &cache{db: db}, nil
}

func numKey(n int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(n))
	return k[:]
}

// reset empties the cache for cluster name (create, join).
func (c *cache) reset(name string) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRevs, bucketMeta, bucketRetired} {
			if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
		}
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketRevs); err != nil {
			return err
		}
		return meta.Put(keyCluster, []byte(name))
	})
}

// put stores records (already checked to decode) by number. In the
// same write it learns the hashes they retire, clears those from every
// record it holds, and clears every retired hash it knows from the
// records it is given: a record read from etcd before a scrub rewrote
// it cannot bring a hash back into the cache. It returns the retired
// hashes it had not seen before.
func (c *cache) put(recs map[int][]byte) (digestSet, error) {
	fresh := digestSet{}
	err := c.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketRevs)
		if err != nil {
			return err
		}
		rb, err := tx.CreateBucketIfNotExists(bucketRetired)
		if err != nil {
			return err
		}
		for _, r := range recs {
			h, err := readHashes(r)
			if err != nil {
				return err
			}
			for _, d := range h.Retired {
				if rb.Get([]byte(d)) == nil {
					fresh[d] = true
				}
			}
		}
		for d := range fresh {
			if err := rb.Put([]byte(d), []byte{}); err != nil {
				return err
			}
		}
		if len(fresh) > 0 {
			if err := scrubRevs(bk, fresh.has); err != nil {
				return err
			}
		}
		all := retiredIn(rb)
		for n, r := range recs {
			out, _, err := scrubRecord(r, all.has)
			if err != nil {
				return err
			}
			if err := bk.Put(numKey(n), out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return fresh, nil
}

// scrubRevs rewrites the cached records that hold a retired hash.
func scrubRevs(bk *bolt.Bucket, retired func(string) bool) error {
	changed := map[string][]byte{}
	err := bk.ForEach(func(k, v []byte) error {
		out, ok, err := scrubRecord(v, retired)
		if ok {
			changed[string(k)] = out
		}
		return err
	})
	if err != nil {
		return err
	}
	for k, v := range changed { // not inside ForEach: bbolt forbids it
		if err := bk.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func retiredIn(rb *bolt.Bucket) digestSet {
	out := digestSet{}
	if rb != nil {
		_ = rb.ForEach(func(k, _ []byte) error { // never fails: the func returns nil
			out[string(k)] = true
			return nil
		})
	}
	return out
}

// retired is every retired hash the cached records list.
func (c *cache) retired() (digestSet, error) {
	var out digestSet
	err := c.db.View(func(tx *bolt.Tx) error {
		out = retiredIn(tx.Bucket(bucketRetired))
		return nil
	})
	return out, err
}

func (c *cache) get(n int) ([]byte, bool, error) {
	var out []byte
	err := c.db.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket(bucketRevs); bk != nil {
			out = append(out, bk.Get(numKey(n))...)
		}
		return nil
	})
	return out, out != nil, err
}

// numbers lists the cached revisions up to max, newest first (limit
// <= 0: all).
func (c *cache) numbers(max, limit int) ([]int, error) {
	var out []int
	err := c.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketRevs)
		if bk == nil {
			return nil
		}
		cur := bk.Cursor()
		k, _ := cur.Seek(numKey(max + 1))
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, _ = cur.Prev() {
			out = append(out, int(binary.BigEndian.Uint64(k)))
		}
		return nil
	})
	return out, err
}

func (c *cache) setApplied(n int) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return bk.Put(keyApplied, fmt.Appendf(nil, "%d", n))
	})
}

// applied is the revision last applied, and the cluster it belongs to.
func (c *cache) applied() (cluster string, n int, err error) {
	err = c.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketMeta)
		if bk == nil {
			return nil
		}
		cluster = string(bk.Get(keyCluster))
		if v := bk.Get(keyApplied); v != nil {
			_, err := fmt.Sscanf(string(v), "%d", &n)
			return err
		}
		return nil
	})
	return cluster, n, err
}

func (c *cache) close() error { return c.db.Close() }
