package store

import "errors"

// errTreeTODO marks the operations the tree helper fills in.
var errTreeTODO = errors.New("cluster tree: not implemented yet")

// NewClusterTree starts a cluster named name from a standalone machine's
// configuration (clusterconfig create): cfg becomes the cluster level,
// its machine-level-by-nature objects become machine's settings, and the
// machine is the only member, in group (created).
func NewClusterTree(name string, cfg *Config, machine, group string) (*ClusterTree, error) {
	return nil, errTreeTODO
}

// Join adds machine to group (which must exist) (clusterconfig join):
// local is the machine's own configuration, whose machine-level-by-
// nature objects become its machine-level settings; everything else of
// local is replaced by the cluster's. A machine of that name already in
// the tree is an error.
func (t *ClusterTree) Join(machine, group string, local *Config) (*ClusterTree, error) {
	return nil, errTreeTODO
}

// RemoveMachine drops machine and its settings.
func (t *ClusterTree) RemoveMachine(machine string) (*ClusterTree, error) { return nil, errTreeTODO }

// SetGroup moves machine into group (which must exist).
func (t *ClusterTree) SetGroup(machine, group string) (*ClusterTree, error) {
	return nil, errTreeTODO
}

// AddGroup creates an empty group; RemoveGroup deletes one that no
// machine is in.
func (t *ClusterTree) AddGroup(group string) (*ClusterTree, error)    { return nil, errTreeTODO }
func (t *ClusterTree) RemoveGroup(group string) (*ClusterTree, error) { return nil, errTreeTODO }

// Members lists the machines, by name.
func (t *ClusterTree) Members() []ClusterMember { return nil }

// Effective is machine's configuration: the cluster level, its group's
// objects over it, its own over those. It is a fresh tree (the caller
// may keep it; a store decodes its typed parameters before handing it
// out).
func (t *ClusterTree) Effective(machine string) (*Config, error) { return nil, errTreeTODO }

// View is the tree a session at level l sees; local is the machine the
// session runs on (LevelDefault and LevelCluster: the cluster level,
// with local's machine-level-by-nature objects so that listenerconfig
// and sshconfig show this machine's; LevelGroup: the cluster level
// with the group's objects over it, the same; LevelMachine: Effective).
func (t *ClusterTree) View(l Level, local string) (*Config, error) { return nil, errTreeTODO }

// Commit applies a session's commit to t, the current tree. base is the
// tree of req.Base (t itself when the session is up to date). The
// session's changes are the objects that differ between
// base.View(req.Level, local) and req.Config; each is written at
// req.Level, or at its fixed level (see the file comment). When base is
// not t, a change to an object that was also changed, at the level it
// is written to, between base and t is a *ConflictError (the rule of
// SPEC 3, object by object); other changes merge. The result must be
// valid for every machine (Effective(m).Validate(); problems name the
// machine when there are several) or the error is a *ValidationError;
// access is CheckAccess on the session's view before and after. With
// no change at all the error is ErrNoChanges. Placed reports, for each
// change written at a level other than req.Level, where it went
// ("listener IncomingMail: machine seg2 (listeners are machine-level)").
func (t *ClusterTree) Commit(base *ClusterTree, req CommitRequest, local string) (next *ClusterTree, placed []string, err error) {
	return nil, nil, errTreeTODO
}

// Show lists the objects of the view at level l (for local) and the
// level each one's value comes from (clustershow).
func (t *ClusterTree) Show(l Level, local string) ([]ObjectLevel, error) { return nil, errTreeTODO }

// Set copies (move false) or moves (move true) the object named object
// (as Change names it, "destconfig example.com") from level from to
// level to (clusterset); moving removes it from from. Copying to the
// cluster level replaces the cluster's value. The result is validated
// like Commit's.
func (t *ClusterTree) Set(object string, from, to Level, move bool, local string) (*ClusterTree, error) {
	return nil, errTreeTODO
}

// EncodeClusterTree and DecodeClusterTree are a tree's stored form
// (JSON); Decode checks that every member's group exists.
func EncodeClusterTree(t *ClusterTree) ([]byte, error) { return nil, errTreeTODO }
func DecodeClusterTree(b []byte) (*ClusterTree, error) { return nil, errTreeTODO }
