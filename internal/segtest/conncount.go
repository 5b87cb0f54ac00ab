package segtest

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
)

// ConnCounter counts the connections a test server accepts: all so far,
// open now, and the most open at once. A connection stops counting at its
// QUIT (before the server answers 221, so before the client can open its
// next one: a client that keeps its limit is never seen over it), when a
// read fails, or when it is closed.
type ConnCounter struct {
	// OnChange, when set, is called after every change, without the
	// counter's lock held.
	OnChange func()

	mu              sync.Mutex
	total, cur, top int
}

// Listen wraps ln: every connection it accepts is counted, numbered from
// 1 (ConnID).
func (cc *ConnCounter) Listen(ln net.Listener) net.Listener {
	return &countingListener{Listener: ln, cc: cc}
}

// Stats returns the connections accepted so far, open now, and the most
// open at once.
func (cc *ConnCounter) Stats() (total, cur, top int) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.total, cc.cur, cc.top
}

func (cc *ConnCounter) changed() {
	if cc.OnChange != nil {
		cc.OnChange()
	}
}

// ConnID is the number of a connection accepted through a ConnCounter
// (1 for the first), also once it runs TLS; 0 for any other.
func ConnID(nc net.Conn) int {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if c, ok := nc.(*countedConn); ok {
		return c.id
	}
	return 0
}

type countingListener struct {
	net.Listener
	cc *ConnCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := l.cc
	cc.mu.Lock()
	cc.total++
	cc.cur++
	cc.top = max(cc.top, cc.cur)
	id := cc.total
	cc.mu.Unlock()
	cc.changed()
	return &countedConn{Conn: c, cc: cc, id: id}, nil
}

type countedConn struct {
	net.Conn
	cc   *ConnCounter
	id   int
	once sync.Once
}

func (c *countedConn) done() {
	c.once.Do(func() {
		c.cc.mu.Lock()
		c.cc.cur--
		c.cc.mu.Unlock()
		c.cc.changed()
	})
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil || strings.HasPrefix(strings.ToUpper(string(p[:n])), "QUIT\r\n") {
		c.done()
	}
	return n, err
}

func (c *countedConn) Close() error {
	c.done()
	return c.Conn.Close()
}
