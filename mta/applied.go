package mta

import (
	"context"
	"sync"
)

// appliedRevision is the newest configuration revision the MTA runs:
// the store's watch delivers commits asynchronously, and commit waits
// here so that it answers only once the change is live.
type appliedRevision struct {
	mu   sync.Mutex
	rev  int
	next chan struct{} // closed at the next set
}

// set records the revision just applied. It may be lower than the one
// before: a machine that joins or leaves a cluster switches to another
// history, numbered from its own start, and a commit there must wait
// for its own number, not return at once because the old history ran
// higher. Snapshots come from one watch, in commit order.
func (a *appliedRevision) set(rev int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rev = rev
	if a.next != nil {
		close(a.next)
		a.next = nil
	}
}

// wait returns once revision rev or a later one is applied, or ctx ends.
func (a *appliedRevision) wait(ctx context.Context, rev int) error {
	for {
		a.mu.Lock()
		if a.rev >= rev {
			a.mu.Unlock()
			return nil
		}
		if a.next == nil {
			a.next = make(chan struct{})
		}
		ch := a.next
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitApplied implements shell.MailSystem: commit returns once the MTA
// runs revision rev (the listeners reconciled, new sessions and
// deliveries take it).
func (m *MTA) WaitApplied(ctx context.Context, rev int) error {
	return m.applied.wait(ctx, rev)
}
