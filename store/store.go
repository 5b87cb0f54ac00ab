package store

import (
	"errors"
	"fmt"
	"strings"
)

// Store is a revisioned configuration store. Nothing backend-specific
// leaks through it: a second backend (etcd, for a cluster) implements the
// same revisions + watch contract.
type Store interface {
	// Current returns the newest committed revision.
	Current() (*Snapshot, error)
	// Get returns revision n.
	Get(n int) (*Snapshot, error)
	// Revisions lists up to limit revisions, newest first.
	Revisions(limit int) ([]Revision, error)
	// Commit validates and stores a new revision. Base is the revision the
	// candidate was derived from: when it is not the current one, changes
	// to different objects are merged (Changes) and changes to the same
	// object fail with *ConflictError. Invalid trees fail with
	// *ValidationError, changes the role may not make with *AccessError,
	// and a tree the CommitCheck refuses with its error. On error nothing
	// is written.
	Commit(req CommitRequest) (Revision, error)
	// SetCommitCheck installs the check Commit runs before writing (nil:
	// none).
	SetCommitCheck(check CommitCheck)
	// Watch delivers each newly committed snapshot. The channel holds the
	// latest one only (a slow reader skips intermediate revisions). The
	// returned func stops the watch and closes the channel.
	Watch() (<-chan *Snapshot, func())
	Close() error
}

// CommitRequest is what a session commits. Role is the committing
// user's role: Commit refuses (*AccessError) what that role may not
// change (CheckAccess), whichever command staged it.
type CommitRequest struct {
	Base    int
	Config  *Config
	User    string
	Role    string
	Comment string
	// Level is the cluster level the candidate was edited at (the
	// session's clustermode): Config is a clone of the View at that
	// level and Base's revision. Standalone stores take LevelDefault only.
	Level Level
}

// CommitCheck is a last test of a valid tree against the running system
// before it is written: for example, that the listener and SSH
// addresses it introduces can be bound. It runs with the commit lock
// held; an error refuses the commit and nothing is written.
type CommitCheck func(cur, next *Config) error

// ValidationError lists every problem found in a tree.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "configuration is not valid:\n  " + strings.Join(e.Problems, "\n  ")
}

// ConflictError reports objects changed both by the committing session and
// by a commit made since the session's base revision.
type ConflictError struct {
	Base, Current int
	Objects       []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the running configuration changed since your changes began (your changes were made on revision %d, the running configuration is revision %d); both changed: %s. Use 'clear' and make your changes again.",
		e.Base, e.Current, strings.Join(e.Objects, ", "))
}

// ErrNoChanges is returned by Commit when the candidate equals its base.
var ErrNoChanges = errors.New("no changes to commit")
