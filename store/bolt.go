package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bolt is the bbolt-backed Store (DIR/config.db). Revisions live in one
// bucket keyed by the big-endian revision number, each a JSON record
// {"revision": Revision, "config": Config}. The current snapshot is kept
// decoded in memory, so Current is a pointer load: sessions call it per
// command and the MTA per connection. Every caller gets the same *Config,
// which nobody may modify (edit a Clone()).
type Bolt struct {
	*core
}

// revBucket names the bucket that holds the revisions.
const revBucket = "revisions"

// lockTimeout bounds the wait for bbolt's file lock: the running
// appliance holds it for as long as it runs.
const lockTimeout = time.Second

// ErrInUse is returned by OpenBolt when another process (normally the
// running appliance) has the store open.
var ErrInUse = errors.New("the config store is in use by another process (the running appliance)")

// OpenBolt opens (creating with mode 0600) the store at path. A store
// without revisions gets initial() as revision 1, written in one
// transaction; initial is not called otherwise. initial's tree must be
// valid.
func OpenBolt(path string, initial func() (*Config, error)) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("opening config store %s: %v", path, err)
	}
	b, err := openBolt(db, initial, time.Now)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("config store %s: %v", path, err)
	}
	return b, nil
}

func openBolt(db *bolt.DB, initial func() (*Config, error), now func() time.Time) (*Bolt, error) {
	p := &boltRevs{db: db}
	var last []byte
	err := db.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket([]byte(revBucket)); bk != nil {
			_, v := bk.Cursor().Last()
			last = append(last, v...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var cur *Snapshot
	if last == nil {
		if cur, err = p.initialize(initial, now); err != nil {
			return nil, err
		}
	} else if cur, err = decodeRecord(last); err != nil {
		return nil, err
	}
	c, err := newCore(p, now, cur)
	if err != nil {
		return nil, err
	}
	return &Bolt{c}, nil
}

// boltRevs is the bbolt persister.
type boltRevs struct {
	db *bolt.DB
}

// initialize stores initial() as revision 1. bbolt's file lock is held,
// so no other process can have written in the meantime.
func (p *boltRevs) initialize(initial func() (*Config, error), now func() time.Time) (*Snapshot, error) {
	cfg, err := initial()
	if err != nil {
		return nil, fmt.Errorf("initial configuration: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("initial configuration: %v", err)
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	rev := Revision{Number: 1, User: initialUser, Time: now(), Comment: initialComment}
	var snap Config
	if err := json.Unmarshal(enc, &snap); err != nil {
		return nil, err
	}
	if err := p.put(rev, &snap, enc, nil); err != nil {
		return nil, err
	}
	return &Snapshot{Revision: rev, Config: &snap}, nil
}

func revKey(n int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(n))
	return k[:]
}

// encodeRecord writes the stored form around the already encoded config,
// so a commit encodes the tree once.
func encodeRecord(rev Revision, enc []byte) ([]byte, error) {
	meta, err := json.Marshal(rev)
	if err != nil {
		return nil, err
	}
	rec := make([]byte, 0, len(meta)+len(enc)+24)
	rec = append(rec, `{"revision":`...)
	rec = append(rec, meta...)
	rec = append(rec, `,"config":`...)
	rec = append(rec, enc...)
	return append(rec, '}'), nil
}

type record struct {
	Revision Revision `json:"revision"`
	Config   *Config  `json:"config"`
}

func decodeRecord(v []byte) (*Snapshot, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decoding revision: %v", err)
	}
	if r.Config == nil {
		return nil, fmt.Errorf("revision %d holds no configuration", r.Revision.Number)
	}
	return &Snapshot{Revision: r.Revision, Config: r.Config}, nil
}

// put writes one revision, and clears the retired hashes from the
// older ones, in one transaction; bbolt fsyncs before Update returns.
func (p *boltRevs) put(rev Revision, _ *Config, enc []byte, retired []string) error {
	rec, err := encodeRecord(rev, enc)
	if err != nil {
		return err
	}
	err = p.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(revBucket))
		if err != nil {
			return err
		}
		k := revKey(rev.Number)
		if bk.Get(k) != nil {
			return fmt.Errorf("revision %d already exists", rev.Number)
		}
		if err := scrubBucket(bk, retired); err != nil {
			return err
		}
		return bk.Put(k, rec)
	})
	if err != nil {
		return fmt.Errorf("writing configuration revision %d: %v", rev.Number, err)
	}
	return nil
}

func (p *boltRevs) get(n int) (*Snapshot, error) {
	var s *Snapshot
	err := p.db.View(func(tx *bolt.Tx) error {
		var v []byte
		if bk := tx.Bucket([]byte(revBucket)); bk != nil {
			v = bk.Get(revKey(n))
		}
		if v == nil {
			return fmt.Errorf("no configuration revision %d", n)
		}
		var err error
		s, err = decodeRecord(v) // decodes into fresh memory: v dies with tx
		return err
	})
	return s, err
}

// list decodes only the metadata of each record.
func (p *boltRevs) list(limit int) ([]Revision, error) {
	var out []Revision
	err := p.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(revBucket))
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var r struct {
				Revision Revision `json:"revision"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decoding revision %d: %v", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, r.Revision)
		}
		return nil
	})
	return out, err
}

func (p *boltRevs) close() error { return p.db.Close() }

// scrub clears the retired hashes from every revision.
func (p *boltRevs) scrub(retired func(string) bool) error {
	err := p.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(revBucket))
		if bk == nil {
			return nil
		}
		return scrubRecords(bk, retired, nil)
	})
	if err != nil {
		return fmt.Errorf("clearing retired passwords: %v", err)
	}
	return nil
}

// scrubBucket rewrites the revisions that hold one of the retired
// hashes without it. Records are searched as text first: a password
// change reads every revision but decodes only the few that hold the
// hash.
func scrubBucket(bk *bolt.Bucket, retired []string) error {
	if len(retired) == 0 {
		return nil
	}
	needles := make([][]byte, len(retired))
	for i, h := range retired {
		needles[i] = []byte(jsonText(h))
	}
	return scrubRecords(bk, inList(retired), func(v []byte) bool {
		for _, n := range needles {
			if bytes.Contains(v, n) {
				return true
			}
		}
		return false
	})
}

// scrubRecords rewrites the revisions that hold a hash retired reports
// without it; with maybe set, only those whose text it accepts are
// decoded.
func scrubRecords(bk *bolt.Bucket, retired func(string) bool, maybe func(v []byte) bool) error {
	type rewrite struct{ k, v []byte }
	var out []rewrite
	c := bk.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if maybe != nil && !maybe(v) {
			continue
		}
		s, err := decodeRecord(v)
		if err != nil {
			return err
		}
		cfg, ok := ScrubUsers(s.Config, retired)
		if !ok {
			continue // the text was elsewhere (a comment, say)
		}
		enc, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		rec, err := encodeRecord(s.Revision, enc)
		if err != nil {
			return err
		}
		out = append(out, rewrite{append([]byte(nil), k...), rec})
	}
	// Not while iterating: bbolt's cursor does not survive a Put.
	for _, r := range out {
		if err := bk.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}
