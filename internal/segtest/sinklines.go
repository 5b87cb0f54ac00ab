package segtest

import (
	"net"
	"strings"
	"sync"
)

// EnvelopeLines returns the MAIL and RCPT command lines the sink was sent,
// exactly as they came (without CRLF), a transaction's lines together:
// transactions in the order of their MAIL lines, whatever connection
// carried them. go-smtp's parser, and so Message.From and Rcpts, unquotes
// a quoted local part: only the line shows what another hop would read.
func (s *Sink) EnvelopeLines() []string { return s.lines.get() }

// lineRecorder keeps the envelope command lines of every connection a
// listener accepts. It follows the session as the server does: after a
// 354 reply the client's lines are message data up to the "." line.
type lineRecorder struct {
	mu  sync.Mutex
	txs [][]string // a MAIL line and the RCPT lines after it
}

func (r *lineRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, tx := range r.txs {
		out = append(out, tx...)
	}
	return out
}

// add records a line of the connection whose current transaction is
// *cur (-1 before its first MAIL).
func (r *lineRecorder) add(cur *int, line string, mail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mail || *cur < 0 {
		r.txs = append(r.txs, nil)
		*cur = len(r.txs) - 1
	}
	r.txs[*cur] = append(r.txs[*cur], line)
}

func (r *lineRecorder) listen(ln net.Listener) net.Listener {
	return &recListener{Listener: ln, r: r}
}

type recListener struct {
	net.Listener
	r *lineRecorder
}

func (l *recListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recConn{Conn: c, r: l.r, tx: -1}, nil
}

type recConn struct {
	net.Conn
	r *lineRecorder

	mu     sync.Mutex
	in     []byte // client bytes not yet ending a line
	out    []byte // server bytes not yet ending a line
	inData bool
	tx     int // this connection's transaction in r.txs
}

func (c *recConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.in = append(c.in, p[:n]...)
	for {
		i := strings.IndexByte(string(c.in), '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSuffix(string(c.in[:i]), "\r")
		c.in = c.in[i+1:]
		switch {
		case c.inData:
			c.inData = line != "."
		case len(line) >= 5 && strings.EqualFold(line[:5], "MAIL "):
			c.r.add(&c.tx, line, true)
		case len(line) >= 5 && strings.EqualFold(line[:5], "RCPT "):
			c.r.add(&c.tx, line, false)
		}
	}
	c.mu.Unlock()
	return n, err
}

func (c *recConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out = append(c.out, p...)
	for {
		i := strings.IndexByte(string(c.out), '\n')
		if i < 0 {
			break
		}
		if strings.HasPrefix(string(c.out[:i]), "354") {
			c.inData = true
		}
		c.out = c.out[i+1:]
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}
