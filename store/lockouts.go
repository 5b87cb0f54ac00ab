package store

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Failed logins are kept beside the configuration, outside its
// revisions: a count is not configuration, is never rolled back, and
// must survive a restart, or restarting the appliance would unlock every
// locked account (SPEC 7: five failed logins lock an account for five
// minutes).

// LoginFailures is an account's record of failed logins.
type LoginFailures struct {
	Count       int       `json:"count"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// failBucket names the bbolt bucket of LoginFailures, by user name.
const failBucket = "login_failures"

// LoginFailures returns every account's record.
func (c *core) LoginFailures() (map[string]LoginFailures, error) { return c.p.failures() }

// SetLoginFailures stores user's record; the zero record removes it.
func (c *core) SetLoginFailures(user string, f LoginFailures) error {
	return c.p.setFailures(user, f)
}

func (p *boltRevs) failures() (map[string]LoginFailures, error) {
	out := map[string]LoginFailures{}
	err := p.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(failBucket))
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			var f LoginFailures
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("login failures of %q: %v", k, err)
			}
			out[string(k)] = f
			return nil
		})
	})
	return out, err
}

func (p *boltRevs) setFailures(user string, f LoginFailures) error {
	return p.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(failBucket))
		if err != nil {
			return err
		}
		if f == (LoginFailures{}) {
			return bk.Delete([]byte(user))
		}
		v, err := json.Marshal(f)
		if err != nil {
			return err
		}
		return bk.Put([]byte(user), v)
	})
}

// memFailures is the memory backend's record (tests).
type memFailures struct {
	mu sync.Mutex
	m  map[string]LoginFailures
}

func (m *memFailures) failures() (map[string]LoginFailures, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]LoginFailures, len(m.m))
	for k, v := range m.m {
		out[k] = v
	}
	return out, nil
}

func (m *memFailures) setFailures(user string, f LoginFailures) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]LoginFailures{}
	}
	if f == (LoginFailures{}) {
		delete(m.m, user)
	} else {
		m.m[user] = f
	}
	return nil
}
