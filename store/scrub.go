package store

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
)

// Old revisions must not keep passwords the running configuration no
// longer has. When a commit removes a user or changes a password, the
// old hash is "retired": it is cleared from every older revision in the
// same write, so neither rollbackconfig nor a copy of config.db brings
// it back. A user that a rollback restores therefore has no password
// (CheckPassword never matches an empty hash) until an admin sets one.

// RetiredHashes returns the password hashes of from that no user of to
// has any longer.
func RetiredHashes(from, to *Config) []string {
	live := map[string]bool{}
	for _, u := range to.Users {
		live[u.PasswordHash] = true
	}
	var out []string
	for _, u := range from.Users {
		if u.PasswordHash != "" && !live[u.PasswordHash] {
			out = append(out, u.PasswordHash)
			live[u.PasswordHash] = true // once
		}
	}
	return out
}

// ScrubUsers returns cfg with the retired hashes cleared, and whether
// there were any; cfg itself is not modified (it may be a shared
// snapshot).
func ScrubUsers(cfg *Config, retired func(hash string) bool) (*Config, bool) {
	hit := false
	for _, u := range cfg.Users {
		if u.PasswordHash != "" && retired(u.PasswordHash) {
			hit = true
			break
		}
	}
	if !hit {
		return cfg, false
	}
	n := cfg.Clone()
	for i := range n.Users {
		if retired(n.Users[i].PasswordHash) {
			n.Users[i].PasswordHash = ""
		}
	}
	return n, true
}

// ScrubRetired clears from every revision, the current one included,
// the hashes retired reports: hashes that another store retired (a
// cluster's, while this store holds the machine's configuration from
// before it joined), so that neither a copy of the file nor a return to
// it brings them back. The current snapshot is replaced, without a
// notification: the caller is not running it.
func (c *core) ScrubRetired(retired func(hash string) bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if err := c.p.scrub(retired); err != nil {
		return err
	}
	cur := c.cur.Load()
	cfg, ok := ScrubUsers(cur.Config, retired)
	if !ok {
		return nil
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cfg.decodeParams()
	c.cur.Store(&Snapshot{Revision: cur.Revision, Config: cfg})
	c.curJSON = enc
	return nil
}

// hashSet is a set of retired hashes. core keeps one for its lifetime,
// as digests (not the hashes themselves), to clear retired hashes from
// candidates staged before they were retired: such a candidate would
// otherwise carry a deleted user's hash back in, or seem to change a
// user it never touched.
type hashSet map[[sha256.Size]byte]bool

func (s hashSet) add(hashes []string) {
	for _, h := range hashes {
		s[sha256.Sum256([]byte(h))] = true
	}
}

func (s hashSet) has(h string) bool { return h != "" && s[sha256.Sum256([]byte(h))] }

// jsonText is s as it appears inside a JSON string, to find records
// that hold it without decoding them.
func jsonText(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `"`), `"`)
}

// inList reports whether h is one of hashes.
func inList(hashes []string) func(string) bool {
	return func(h string) bool {
		for _, x := range hashes {
			if h == x {
				return true
			}
		}
		return false
	}
}
