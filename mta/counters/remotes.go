package counters

import (
	"sort"
	"time"
)

// Remote is one remote host's inbound activity on one listener (topin):
// its connections open now and the messages it sent since start.
type Remote struct {
	IP       string
	Host     string // verified reverse DNS name, or "unknown"
	Listener string
	ConnIn   int64 // gauge
	Messages int64 // since start
	Last     time.Time
}

// maxRemotes bounds the remote hosts kept: past it, hosts with no open
// connection are forgotten (their message counts with them), so that a
// scan from many addresses cannot grow the table without end.
const maxRemotes = 10000

type remoteKey struct{ ip, listener string }

func (c *Counters) remoteLocked(listener, ip string) *Remote {
	if c.remotes == nil {
		c.remotes = map[remoteKey]*Remote{}
	}
	k := remoteKey{ip, listener}
	r := c.remotes[k]
	if r == nil {
		if len(c.remotes) >= maxRemotes {
			for key, old := range c.remotes {
				if old.ConnIn == 0 {
					delete(c.remotes, key)
				}
			}
		}
		r = &Remote{IP: ip, Listener: listener, Host: "unknown"}
		c.remotes[k] = r
	}
	return r
}

// RemoteConn adjusts the inbound connections from ip on listener by
// delta; host is its verified reverse DNS name ("" leaves the one known).
func (c *Counters) RemoteConn(listener, ip, host string, delta int64) {
	c.mu.Lock()
	r := c.remoteLocked(listener, ip)
	r.ConnIn += delta
	if host != "" {
		r.Host = host
	}
	r.Last = c.now()
	c.mu.Unlock()
}

// RemoteMessage counts a message received from ip on listener.
func (c *Counters) RemoteMessage(listener, ip string) {
	c.mu.Lock()
	r := c.remoteLocked(listener, ip)
	r.Messages++
	r.Last = c.now()
	c.mu.Unlock()
}

// Remotes returns the remote hosts, busiest first by byMessages (else by
// open connections), then by address.
func (c *Counters) Remotes(byMessages bool) []Remote {
	c.mu.Lock()
	out := make([]Remote, 0, len(c.remotes))
	for _, r := range c.remotes {
		out = append(out, *r)
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		ka, kb := a.ConnIn, b.ConnIn
		if byMessages {
			ka, kb = a.Messages, b.Messages
		}
		if ka != kb {
			return ka > kb
		}
		if a.IP != b.IP {
			return a.IP < b.IP
		}
		return a.Listener < b.Listener
	})
	return out
}
