package clusterstore

import (
	"context"
	"errors"
	"fmt"

	"seg/store"
)

// raceRetries is how often a commit that lost the race to another
// machine's is merged again onto the new revision before it gives up
// with a conflict. The merge itself reports real conflicts (the same
// object changed by both); retries only cover commits that touch
// different objects at the same moment.
const raceRetries = 3

// change is one write of the cluster tree: next computes the new tree
// from the newest one. The machine's CommitCheck runs on its new
// effective configuration (the other machines apply it or report why
// not). The revision is applied here before change returns, as a
// standalone commit is.
type change struct {
	user, comment string
	next          func(ctx context.Context, cur *store.ClusterTree, curNum int) (*store.ClusterTree, error)
	check         store.CommitCheck
}

func (m *member) write(c change) (store.Revision, error) {
	ctx, cancel := context.WithTimeout(m.ctx, opTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		num, cur, err := m.newest(ctx)
		if err != nil {
			return store.Revision{}, err
		}
		next, err := c.next(ctx, cur, num)
		if err != nil {
			return store.Revision{}, err
		}
		if c.check != nil {
			if err := m.checkNext(next, c.check); err != nil {
				return store.Revision{}, err
			}
		}
		rev := store.Revision{Number: num + 1, User: c.user, Time: m.n.now(), Comment: c.comment}
		retired := retiredDigests(cur, next)
		rec, err := newRecord(rev, next, retired)
		if err != nil {
			return store.Revision{}, err
		}
		won, err := putRevision(ctx, m.cli, m.k, num, rec)
		m.setReachable(err)
		if err != nil {
			return store.Revision{}, err
		}
		if won {
			if err := m.received(rec); err != nil {
				return store.Revision{}, err
			}
			if len(retired) > 0 {
				m.scrubOlder(rev.Number)
			}
			return rev, nil
		}
		if attempt == raceRetries {
			return store.Revision{}, &store.ConflictError{Base: num, Current: num + 1,
				Objects: []string{fmt.Sprintf("the cluster configuration (%d commits from other machines came first)", attempt)}}
		}
	}
}

// newest reads the newest revision's number from etcd and returns its
// tree, fetching every revision the cache lacks (and applying them:
// the machine catches up on the way).
func (m *member) newest(ctx context.Context) (int, *store.ClusterTree, error) {
	num, _, err := currentNumber(ctx, m.cli, m.k)
	m.setReachable(err)
	if err != nil {
		return 0, nil, err
	}
	if num == 0 {
		return 0, nil, fmt.Errorf("cluster %s no longer exists in etcd", m.ms.Name)
	}
	if _, ok, err := m.cache.get(num); err != nil {
		return 0, nil, err
	} else if !ok {
		if _, err := m.catchUp(ctx); err != nil {
			return 0, nil, err
		}
	}
	_, t, err := m.cached(num)
	return num, t, err
}

// checkNext runs the CommitCheck on this machine's configuration in
// next against the running one (a machine that next removes has none).
func (m *member) checkNext(next *store.ClusterTree, check store.CommitCheck) error {
	if _, ok := next.MachineGroup[m.machine()]; !ok {
		return nil
	}
	eff, err := next.Effective(m.machine())
	if err != nil {
		return err
	}
	return check(m.running(), eff)
}

// running is the configuration the machine runs: the applied
// revision's, or while it joins, its standalone one.
func (m *member) running() *store.Config {
	if cur := m.cur.Load(); cur != nil {
		return cur.eff.Config
	}
	s, err := m.n.local.Current()
	if err != nil {
		return nil
	}
	return s.Config
}

// scrubOlder clears the hashes that revision newest retired from the
// older revisions in etcd (scrub.go). The commit is written already: a
// failure is logged, and the next commit that retires a hash finishes
// the job (it scrubs with every record's digests).
func (m *member) scrubOlder(newest int) {
	ctx, cancel := context.WithTimeout(m.ctx, opTimeout)
	defer cancel()
	err := scrubEtcd(ctx, m.cli, m.k, newest)
	var u *UnreachableError
	if err == nil || errors.As(err, &u) {
		m.setReachable(err)
	}
	if err != nil {
		m.n.logf("Cluster %s: clearing retired passwords from the revisions before %d: %v", m.ms.Name, newest, err)
	}
}

// commit is a session's commit: the tree merges it (SPEC 3's conflict
// rule, object by object, at the levels it writes).
func (m *member) commit(req store.CommitRequest, check store.CommitCheck) (store.Revision, []string, error) {
	if req.Config == nil {
		return store.Revision{}, nil, errors.New("commit: no configuration given")
	}
	var placed []string
	rev, err := m.write(change{
		user: req.User, comment: req.Comment, check: check,
		next: func(ctx context.Context, cur *store.ClusterTree, num int) (*store.ClusterTree, error) {
			// A candidate staged before a password was retired, on
			// this machine or another, may still hold it: it must
			// neither bring it back nor conflict over it. The cache
			// knows every retired hash up to num (newest caught up).
			retired, err := m.cache.retired()
			if err != nil {
				return nil, err
			}
			req := req
			req.Config, _ = store.ScrubUsers(req.Config, retired.has)
			base := cur
			if req.Base != num {
				_, b, err := m.cached(req.Base)
				if err != nil {
					return nil, fmt.Errorf("commit: base revision: %v", err)
				}
				base = b
			}
			next, p, err := cur.Commit(base, req, m.machine())
			var cerr *store.ConflictError
			if errors.As(err, &cerr) && cerr.Current == 0 {
				cerr.Base, cerr.Current = req.Base, num
			}
			placed = p
			return next, err
		},
	})
	return rev, placed, err
}
