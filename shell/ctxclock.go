package shell

import "time"

// Now is the session clock's time, for what a command stamps (a key's
// creation date).
func (c *Ctx) Now() time.Time { return c.S.now() }

// Ctime formats t as AsyncOS prints dates, in the session's zone.
func (c *Ctx) Ctime(t time.Time) string { return c.S.ctime(t) }
