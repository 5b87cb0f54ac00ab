package store

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Commit applies a session's commit to t, the current tree. base is the
// tree of req.Base (t itself when the session is up to date; nil reads
// as t). The session's changes are the objects that differ between
// base.View(req.Level, local) and req.Config; each is written at
// req.Level, or at its fixed level (see the file comment of
// clustertree.go). When base is not t, a change to an object that was
// also changed, at the level it is written to, between base and t is a
// *ConflictError (the rule of SPEC 3, object by object; its Current is
// 0: the store, which numbers revisions, fills it in); the very same
// change made by both is not a conflict, and other changes merge. The
// result must be valid for every machine (Effective(m).Validate();
// problems are prefixed "machine NAME: " when there are several) or the
// error is a *ValidationError; access is CheckAccess(req.User,
// req.Role) from t's view at req.Level to next's. With no change at all
// the error is ErrNoChanges. Placed reports, for each change written at
// a level other than req.Level, where it went ("listener IncomingMail:
// machine seg2 (listeners are machine-level)"), in Changes' order.
// req.Config is only read; next shares no memory with it.
func (t *ClusterTree) Commit(base *ClusterTree, req CommitRequest, local string) (next *ClusterTree, placed []string, err error) {
	if req.Config == nil {
		return nil, nil, errors.New("commit: no configuration given")
	}
	if base == nil {
		base = t
	}
	at := clusterLevel(req.Level)
	before, err := base.view(at, local)
	if err != nil {
		return nil, nil, err
	}
	mine := sortedEdits(edits(before, req.Config))
	if len(mine) == 0 {
		return nil, nil, ErrNoChanges
	}

	// Each change goes to its level; against a newer t, a change to an
	// object that t changed at that level conflicts.
	perLevel := map[Level]map[string]edit{}
	var conflicts []string
	for _, e := range mine {
		to := t.target(at, local, e.obj.rank)
		if _, err := t.level(to); err != nil {
			return nil, nil, fmt.Errorf("commit: %s: %v", e.obj.name, err)
		}
		if base != t {
			was, now := base.defAt(to, e.obj.key), t.defAt(to, e.obj.key)
			if !was.same(now) {
				if !now.same(defOf(e)) {
					conflicts = append(conflicts, e.obj.name)
				}
				continue // theirs, or the same change already made
			}
		}
		if perLevel[to] == nil {
			perLevel[to] = map[string]edit{}
		}
		perLevel[to][e.obj.key] = e
		if to != at {
			placed = append(placed, fmt.Sprintf("%s: %s (%s)", e.obj.name, levelName(to), natureReason(e.obj.rank)))
		}
	}
	if len(conflicts) > 0 {
		return nil, nil, &ConflictError{Base: req.Base, Objects: conflicts}
	}

	next = t.clone()
	src := req.Config.Clone()
	for to, ed := range perLevel {
		if lv, _ := next.level(to); lv != nil {
			define(lv, src, ed, false)
		} else {
			applyObjects(next.Cluster, src, ed, false, false)
		}
	}
	if err := t.checkNext(next); err != nil {
		return nil, nil, err
	}
	if err := t.CheckAccessAt(next, local, req.User, req.Role, at); err != nil {
		return nil, nil, err
	}
	return next, placed, nil
}

// checkNext is what every change of t passes before it is written: a
// change at all (else ErrNoChanges), valid for every machine.
func (t *ClusterTree) checkNext(next *ClusterTree) error {
	a, err1 := EncodeClusterTree(t)
	b, err2 := EncodeClusterTree(next)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if string(a) == string(b) {
		return ErrNoChanges
	}
	return next.validate()
}

// CheckAccessAt is CheckAccess(user, role) from t (the running tree) to
// next, judged on the views at each of levels for a session on local:
// Commit checks req.Level; a store that runs Set checks its from and
// to levels (Set has no user to check).
func (t *ClusterTree) CheckAccessAt(next *ClusterTree, local, user, role string, levels ...Level) error {
	for _, l := range levels {
		from, err := t.view(l, local)
		if err != nil {
			return err
		}
		to, err := next.view(l, local)
		if err != nil {
			return err
		}
		if err := CheckAccess(user, role, from, to); err != nil {
			return err
		}
	}
	return nil
}

// target is the level a change to an object of kind rank, made by a
// session on machine local at level at, is written to.
func (t *ClusterTree) target(at Level, local string, rank int) Level {
	switch {
	case clusterNatured(rank):
		return Level{Kind: LevelCluster}
	case machineNatured(rank) && at.Kind != LevelMachine:
		return Level{Kind: LevelMachine, Name: local}
	}
	return at
}

// def is an object's definition at one level: listed there (always, at
// the cluster level), with a value or removed.
type def struct {
	listed, present bool
	value           any
}

func (d def) same(o def) bool {
	return d.listed == o.listed && d.present == o.present && (!d.present || sameValue(d.value, o.value))
}

// defOf is the definition an edit makes.
func defOf(e edit) def { return def{listed: true, present: !e.removed, value: e.obj.value} }

// defAt is the object key's definition at level l (none when the level
// does not exist).
func (t *ClusterTree) defAt(l Level, key string) def {
	lv, err := t.level(l)
	if err != nil {
		return def{}
	}
	var os []object
	if lv == nil {
		os = objects(t.Cluster)
	} else {
		if !slices.Contains(lv.Objects, key) {
			return def{}
		}
		os = partObjects(lv.Config)
	}
	for _, o := range os {
		if o.key == key {
			return def{listed: true, present: true, value: o.value}
		}
	}
	return def{listed: true}
}

// sortedEdits orders edits as Changes orders objects (kind, then name).
func sortedEdits(m map[string]edit) []edit {
	out := make([]edit, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].obj.rank != out[j].obj.rank {
			return out[i].obj.rank < out[j].obj.rank
		}
		return out[i].obj.key < out[j].obj.key
	})
	return out
}
