package counters

import (
	"testing"
	"time"
)

// TestRemotes: topin's table counts open connections and messages per
// remote address and listener, sorted by either, and forgets idle hosts
// only when full.
func TestRemotes(t *testing.T) {
	c := New(func() time.Time { return time.Unix(1_000_000, 0) }, nil)
	c.RemoteConn("In", "192.0.2.1", "mx.one.test", 1)
	c.RemoteConn("In", "192.0.2.1", "", 1)
	c.RemoteConn("In", "192.0.2.2", "unknown", 1)
	c.RemoteMessage("In", "192.0.2.2")
	c.RemoteMessage("In", "192.0.2.2")
	c.RemoteConn("In", "192.0.2.2", "", -1)
	byConn := c.Remotes(false)
	if len(byConn) != 2 || byConn[0].IP != "192.0.2.1" || byConn[0].ConnIn != 2 || byConn[0].Host != "mx.one.test" {
		t.Fatalf("by connections: %+v", byConn)
	}
	byMsg := c.Remotes(true)
	if byMsg[0].IP != "192.0.2.2" || byMsg[0].Messages != 2 || byMsg[0].ConnIn != 0 {
		t.Fatalf("by messages: %+v", byMsg)
	}
	// Full: the idle host goes, the connected one stays.
	for i := 0; len(c.remotes) < maxRemotes; i++ {
		c.remotes[remoteKey{ip: string(rune('a'+i%26)) + time.Duration(i).String(), listener: "In"}] = &Remote{}
	}
	c.RemoteConn("In", "192.0.2.3", "", 1)
	if _, ok := c.remotes[remoteKey{"192.0.2.1", "In"}]; !ok || len(c.remotes) != 2 {
		t.Errorf("after filling the table: %d hosts, connected one kept %v", len(c.remotes), ok)
	}
}
