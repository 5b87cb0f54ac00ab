package shelltest

import (
	"time"

	"seg/store"
)

// FixedClock returns a view of st in which revision n was committed at
// FixedTime() + (n-1) minutes, so transcripts that show revision times
// are stable. Everything else passes through; commits reach st.
func FixedClock(st store.Store) store.Store { return clockStore{st} }

type clockStore struct{ store.Store }

func revTime(n int) time.Time { return FixedTime().Add(time.Duration(n-1) * time.Minute) }

func fixRev(r store.Revision) store.Revision {
	r.Time = revTime(r.Number)
	return r
}

func fixSnap(s *store.Snapshot) *store.Snapshot {
	if s == nil {
		return nil
	}
	return &store.Snapshot{Revision: fixRev(s.Revision), Config: s.Config}
}

func (c clockStore) Current() (*store.Snapshot, error) {
	s, err := c.Store.Current()
	return fixSnap(s), err
}

func (c clockStore) Get(n int) (*store.Snapshot, error) {
	s, err := c.Store.Get(n)
	return fixSnap(s), err
}

func (c clockStore) Revisions(limit int) ([]store.Revision, error) {
	revs, err := c.Store.Revisions(limit)
	out := make([]store.Revision, len(revs))
	for i, r := range revs {
		out[i] = fixRev(r)
	}
	return out, err
}

func (c clockStore) Commit(req store.CommitRequest) (store.Revision, error) {
	r, err := c.Store.Commit(req)
	if err != nil {
		return r, err
	}
	return fixRev(r), nil
}

// View passes a clustered store's level views through (store.ViewOf on
// the wrapped store), with the fixed times.
func (c clockStore) View(l store.Level, rev int) (*store.Snapshot, error) {
	s, err := store.ViewOf(c.Store, l, rev)
	return fixSnap(s), err
}

// Placed passes a clustered store's placement notes through.
func (c clockStore) Placed(rev int) []string {
	if p, ok := c.Store.(store.Placer); ok {
		return p.Placed(rev)
	}
	return nil
}
