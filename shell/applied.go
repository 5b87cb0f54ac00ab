package shell

import (
	"context"
	"time"
)

// appliedTimeout bounds how long commit waits for the running MTA to take
// a new revision (it normally takes milliseconds: the store's watch hands
// the snapshot over and the listeners are reconciled).
const appliedTimeout = 10 * time.Second

// waitApplied waits until the running MTA has applied revision rev, so
// that when commit says "Changes committed" the next SMTP connection
// already runs under the change, as on AsyncOS. Offline there is nothing
// to wait for; a slow MTA gets a warning, not an error: the revision is
// stored and will apply.
func (s *Session) waitApplied(c *Ctx, rev int) {
	if s.Mail == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), appliedTimeout)
	defer cancel()
	if err := s.Mail.WaitApplied(ctx, rev); err != nil {
		c.Printf("Warning: the mail system has not applied revision %d yet (%v); it will when it can.\n", rev, err)
	}
}
