package smtpd

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"seg/mta/maillog"
	"seg/store"
)

// conn is the net.Conn that go-smtp serves. go-smtp (v0.25) fixes a few
// things seg must say differently, and offers no hook for them, so this
// wrapper adjusts the byte stream at its edges, one reply line and one
// command line at a time:
//
//   - Greeting: go-smtp always writes "220 DOMAIN ESMTP Service Ready"
//     when it starts serving a connection, before any Backend call. seg
//     has already written the HAT policy's banner by then, so the first
//     line go-smtp writes is dropped.
//   - Unknown commands: go-smtp answers "500 5.5.2 Syntax errors, X
//     command unrecognized" and closes after its own 4th error. AsyncOS
//     answers "500 #5.5.1 command not recognized" and closes after the
//     5th with "421 Exceeded bad SMTP command limit, disconnecting."
//     (SPEC 4.2). Command lines go-smtp would not recognise (and BDAT and
//     HELP) reach go-smtp as NOOP, and the NOOP's reply is replaced.
//   - EHLO: go-smtp advertises CHUNKING, which AsyncOS does not offer
//     (BDAT is refused as unknown), and SIZE from its server-wide limit;
//     seg's limit is per HAT policy, so "SIZE" gets the session's value.
//   - Closing after a 421: a Session cannot make go-smtp hang up, so it
//     asks the conn to close once the reply is written.
//
// Knowing where commands are and where message data is needs no guessing:
// Read hands go-smtp at most one line per call, so go-smtp has answered
// the previous line before it asks for the next, and the last reply code
// says what comes: after 354 message data (passed through untouched),
// after 334 one SASL line, otherwise a command.
//
// After STARTTLS go-smtp would read and write through a tls.Conn layered
// over this one, so the rewriting must move above TLS when STARTTLS is
// added.
type conn struct {
	net.Conn // the accepted TCP connection
	br       *bufio.Reader
	info     *connInfo
	log      maillog.Logger
	finish   func() // run once on Close: mail_logs "ICID n close", gauges
	t        timers // time limits (timeouts.go); the read side's

	rmu     sync.Mutex // read side; go-smtp reads from one goroutine
	pending []byte     // rest of the line being handed to go-smtp
	inLong  bool       // inside a command line longer than br's buffer
	atBOL   bool       // data mode: at the beginning of a line
	inDot   bool       // data mode: inside a line that starts with '.'
	cmdLine string     // the command line go-smtp is answering, as the client sent it
	// lineVerb is the verb of the whole command line the last read took
	// (commandVerb), for the timers; lineRead says there was one.
	lineVerb string
	lineRead bool

	mu         sync.Mutex // write side and the state Read consults
	swallow    bool       // go-smtp's greeting not yet dropped
	wbuf       []byte
	lastCode   int
	noops      []noopKind // NOOPs handed to go-smtp, oldest first
	bad        int        // unrecognised commands so far
	closeAfter bool       // hang up after the next complete reply
	hungUp     bool
	verb       string // the last HELO or EHLO verb, for the Received header
	maxSize    int64  // advertised in EHLO SIZE; 0: no limit

	closeOnce sync.Once
}

type noopKind uint8

const (
	noopReal noopKind = iota
	noopBad           // an unrecognised command
	noopHelp          // HELP: go-smtp does not implement it
)

// badCommandLimit is how many unrecognised commands a client may send
// (SPEC 4.2): the last one is answered and the connection closed.
const badCommandLimit = 5

// knownVerbs are the commands AsyncOS accepts (reference 7: auth data
// ehlo helo help mail noop quit rcpt rset starttls vrfy). Anything else,
// BDAT and go-smtp's unimplemented EXPN, TURN... included, is
// "command not recognized".
var knownVerbs = map[string]bool{
	"AUTH": true, "DATA": true, "EHLO": true, "HELO": true, "HELP": true, "MAIL": true,
	"NOOP": true, "QUIT": true, "RCPT": true, "RSET": true, "VRFY": true, "STARTTLS": true,
}

// newConn wraps raw; its time limits are lim, and clock is the time
// eviction measures idleness by.
func newConn(raw net.Conn, br *bufio.Reader, lim store.ConnLimits, clock func() time.Time, log maillog.Logger, info *connInfo, maxSize int64, finish func()) *conn {
	c := &conn{Conn: raw, br: br, info: info, log: log, finish: finish, swallow: true, maxSize: maxSize, atBOL: true}
	c.t.init(lim, clock)
	return c
}

// Read hands go-smtp the next piece of the client's stream: the rest of
// the current line, or the next line, adjusted in command state.
func (c *conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(c.pending) == 0 {
		c.mu.Lock()
		code, hungUp := c.lastCode, c.hungUp
		c.mu.Unlock()
		if hungUp {
			return 0, net.ErrClosed
		}
		for {
			if why := c.wait(code); why != endNone {
				return 0, c.end(why)
			}
			var err error
			c.lineRead = false
			switch code {
			case 354:
				err = c.nextData()
			case 334:
				err = c.nextRaw()
			default:
				c.atBOL, c.inDot = true, false // the next data starts a line
				err = c.nextCommand()
			}
			why := c.t.done(len(c.pending), c.lineRead, c.lineVerb, err)
			if why == endRetry {
				continue
			}
			if why != endNone {
				return 0, c.end(why)
			}
			if len(c.pending) == 0 {
				return 0, err
			}
			break
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// nextRaw takes one line as is.
func (c *conn) nextRaw() error {
	line, err := c.br.ReadSlice('\n')
	c.pending = append(c.pending[:0], line...)
	if err == bufio.ErrBufferFull {
		return nil
	}
	return err
}

// nextCommand takes one command line and decides how go-smtp sees it.
func (c *conn) nextCommand() error {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || c.inLong {
		// Longer than any command go-smtp accepts: pass it on, go-smtp
		// answers "500 5.4.0 Too long line" and closes.
		c.inLong = err == bufio.ErrBufferFull
		c.pending = append(c.pending[:0], line...)
		c.cmdLine = ""
		return nil
	}
	c.cmdLine = string(line)
	if err != nil {
		c.pending = append(c.pending[:0], line...) // a last line without CRLF
		return err
	}
	verb := commandVerb(c.cmdLine)
	c.lineVerb, c.lineRead = verb, true
	c.mu.Lock()
	switch {
	case verb == "" || verb == "BDAT" || !knownVerbs[verb]:
		c.noops = append(c.noops, noopBad)
		line = []byte("NOOP\r\n")
	case verb == "HELP":
		c.noops = append(c.noops, noopHelp)
		line = []byte("NOOP\r\n")
	case verb == "NOOP":
		c.noops = append(c.noops, noopReal)
	case verb == "HELO" || verb == "EHLO":
		c.verb = verb
	}
	c.mu.Unlock()
	c.pending = append(c.pending[:0], line...)
	return nil
}

// commandVerb is the verb go-smtp would dispatch on, or "" where go-smtp
// would answer with a syntax error (empty, mangled or short lines): the
// same rules as go-smtp's parseCmd, so that nothing reaches go-smtp's own
// error counter.
func commandVerb(line string) string {
	line = strings.TrimRight(line, "\r\n")
	switch {
	case len(line) >= 8 && strings.EqualFold(line[:8], "STARTTLS"):
		return "STARTTLS"
	case len(line) < 4 || len(line) == 5:
		return ""
	case len(line) > 5 && line[4] != ' ':
		return ""
	}
	return strings.ToUpper(line[:4])
}

// nextData takes message data up to and including the next line that
// starts with '.': only such a line can end the data (RFC 5321 section
// 4.5.2), and stopping there keeps pipelined commands after the data in
// command state.
func (c *conn) nextData() error {
	if c.br.Buffered() == 0 {
		if _, err := c.br.Peek(1); err != nil {
			return err
		}
	}
	buf, _ := c.br.Peek(c.br.Buffered())
	n := len(buf)
	for i, b := range buf {
		if c.inDot && b == '\n' {
			c.inDot, c.atBOL = false, true
			n = i + 1
			break
		}
		if c.atBOL && b == '.' {
			c.inDot = true
		}
		c.atBOL = b == '\n'
	}
	c.pending = append(c.pending[:0], buf[:n]...)
	c.br.Discard(n)
	return nil
}

// Write takes go-smtp's replies and passes them on line by line, adjusted.
func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hungUp {
		return 0, net.ErrClosed
	}
	c.wbuf = append(c.wbuf, p...)
	var out []byte
	for {
		i := bytes.IndexByte(c.wbuf, '\n')
		if i < 0 {
			break
		}
		out = append(out, c.replyLine(c.wbuf[:i+1])...)
		c.wbuf = c.wbuf[i+1:]
	}
	c.wbuf = append([]byte(nil), c.wbuf...)
	if len(out) > 0 {
		c.Conn.SetWriteDeadline(c.t.writeDeadline(time.Now()))
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	if c.closeAfter && len(c.wbuf) == 0 && c.lastCode != 0 {
		c.hangUpLocked()
	}
	return len(p), nil
}

// replyLine adjusts one reply line (with its CRLF) and notes its code.
func (c *conn) replyLine(line []byte) []byte {
	if c.swallow {
		c.swallow = false
		return nil
	}
	text := strings.TrimRight(string(line), "\r\n")
	if len(text) < 4 {
		return line
	}
	code, err := strconv.Atoi(text[:3])
	if err != nil {
		return line
	}
	last := text[3] == ' '
	rest := text[4:]
	if last {
		c.lastCode = code
	}
	if code == 250 {
		switch rest {
		case "CHUNKING":
			return nil // never the last EHLO line: SIZE follows it
		case "SIZE":
			if c.maxSize > 0 {
				return []byte(text[:4] + "SIZE " + strconv.FormatInt(c.maxSize, 10) + "\r\n")
			}
		}
		// go-smtp answers each line before it reads the next, so the
		// first complete 250 reply after a NOOP was handed over is that
		// NOOP's.
		if last && len(c.noops) > 0 {
			kind := c.noops[0]
			c.noops = c.noops[1:]
			switch kind {
			case noopBad:
				c.bad++
				c.lastCode = 500
				if c.bad >= badCommandLimit {
					c.closeAfter = true
					c.lastCode = 421
					return []byte("500 #5.5.1 command not recognized\r\n421 Exceeded bad SMTP command limit, disconnecting.\r\n")
				}
				return []byte("500 #5.5.1 command not recognized\r\n")
			case noopHelp:
				c.lastCode = 214
				return []byte("214 2.0.0 Commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET STARTTLS VRFY\r\n")
			}
		}
	}
	return line
}

// hangUpAfterReply makes the conn close once the reply being prepared has
// been written: the way a Session answers 421 and disconnects.
func (c *conn) hangUpAfterReply() {
	c.mu.Lock()
	c.closeAfter = true
	c.lastCode = 0 // wait for the coming reply
	c.mu.Unlock()
}

func (c *conn) hangUpLocked() {
	if !c.hungUp {
		c.hungUp = true
		c.Conn.Close()
	}
}

// Close is go-smtp's end of the connection; it runs finish once.
func (c *conn) Close() error {
	c.mu.Lock()
	c.hangUpLocked()
	c.mu.Unlock()
	c.closeOnce.Do(c.finish)
	return nil
}

// commandLine is the command line go-smtp is answering, CRLF included: it
// reads the next line only after it has answered this one. The Session
// parses MAIL and RCPT addresses from it (envelope.go), as go-smtp's own
// parser unquotes quoted local parts.
func (c *conn) commandLine() string {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.cmdLine
}

// ehloVerb is the greeting verb the client last used.
func (c *conn) ehloVerb() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verb
}
