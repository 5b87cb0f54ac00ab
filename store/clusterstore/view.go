package clusterstore

import (
	"encoding/json"
	"fmt"

	"seg/store"
)

// view is the tree a session at level l sees at revision rev (0: the
// applied one). The applied revision's views are kept: sessions read
// theirs once per command.
func (m *member) view(l store.Level, rev int) (*store.Snapshot, error) {
	cur := m.cur.Load()
	if rev == 0 || rev == cur.rev.Number {
		cur.vmu.Lock()
		defer cur.vmu.Unlock()
		if s := cur.views[l]; s != nil {
			return s, nil
		}
		s, err := viewSnapshot(cur.rev, cur.tree, l, m.machine())
		if err != nil {
			return nil, err
		}
		if cur.views == nil {
			cur.views = map[store.Level]*store.Snapshot{}
		}
		cur.views[l] = s
		return s, nil
	}
	r, t, err := m.cached(rev)
	if err != nil {
		return nil, err
	}
	return viewSnapshot(r.Revision, t, l, m.machine())
}

// viewSnapshot decodes a view into a snapshot of its own: the tree's
// View may share memory with the tree, which other views read.
func viewSnapshot(rev store.Revision, t *store.ClusterTree, l store.Level, machine string) (*store.Snapshot, error) {
	cfg, err := t.View(l, machine)
	if err != nil {
		return nil, err
	}
	return store.NewSnapshot(rev, cfg.Clone()), nil
}

// cached is revision n from the cache.
func (m *member) cached(n int) (record, *store.ClusterTree, error) {
	if cur := m.cur.Load(); cur != nil && n == cur.rev.Number {
		return record{Revision: cur.rev}, cur.tree, nil
	}
	rec, ok, err := m.cache.get(n)
	if err != nil {
		return record{}, nil, err
	}
	if !ok {
		return record{}, nil, fmt.Errorf("no configuration revision %d in cluster %s", n, m.ms.Name)
	}
	return decodeRecord(rec)
}

// revisions lists the cached revisions up to the applied one, newest
// first.
func (m *member) revisions(limit int) ([]store.Revision, error) {
	nums, err := m.cache.numbers(m.cur.Load().rev.Number, limit)
	if err != nil {
		return nil, err
	}
	out := make([]store.Revision, 0, len(nums))
	for _, n := range nums {
		rec, ok, err := m.cache.get(n)
		if err != nil || !ok {
			return nil, fmt.Errorf("cluster revision %d: not in the cache (%v)", n, err)
		}
		var r struct {
			Revision store.Revision `json:"revision"`
		}
		if err := json.Unmarshal(rec, &r); err != nil {
			return nil, fmt.Errorf("decoding cluster revision %d: %v", n, err)
		}
		out = append(out, r.Revision)
	}
	return out, nil
}
