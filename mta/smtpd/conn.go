package smtpd

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"seg/mta/maillog"
	"seg/store"
)

// conn is one admitted connection and seg's own SMTP command loop on it
// (commands.go): it reads the client through br and answers through bw,
// both its own, over the accepted net.Conn. Every byte the client sees
// after the banner is written here, so nothing needs rewriting, and
// STARTTLS is a matter of swapping the two buffers onto a tls.Conn
// (startTLS).
//
// Reading goes through connReader, which applies the time limits
// (timeouts.go) before each wait for the client; writing goes through
// connWriter, which bounds each write. Replies are buffered and flushed
// when the loop is about to wait for the client, so a pipelined group
// of commands gets its replies in one write (RFC 2920 section 3.2).
type conn struct {
	raw    net.Conn      // the accepted connection; after STARTTLS, the tls.Conn over it
	br     *bufio.Reader // over connReader
	bw     *bufio.Writer // over connWriter
	info   *connInfo
	log    maillog.Logger
	finish func() // run once at the end: mail_logs "ICID n close", gauges
	// release takes br and bw back once the connection is closed
	// (connBufs); nil: nothing to give back.
	release func(*bufio.Reader, *bufio.Writer)
	t       timers // time limits (timeouts.go)
	s       *session

	helo       string // the argument of the last HELO or EHLO that succeeded; "" before one
	verb       string // that command: "HELO" or "EHLO", for the Received header
	bad        int    // unrecognised commands so far
	authUser   string // the user a successful AUTH named (auth.go); "" before one
	inData     bool   // reading message data: each read of the socket is armed (timeouts.go)
	closeAfter bool   // hang up once the reply being made is written
	hungUp     bool
	tlsNagged  bool // "TLS was required" logged (tls.go)

	mu sync.Mutex // raw's read deadline, which evict sets from another goroutine
}

// brSize is the read buffer of a connection: it must hold a line of
// maxLine octets (dataReader takes lines whole from it); larger, it
// takes message data in fewer reads of the socket. BenchmarkSessionLarge
// (1 MB messages, loopback, a noisy 2-core machine): medians of 2.8,
// 2.8 and 2.2 ms a message at 4, 16 and 64 KiB, with 368, 179 and 134
// allocations (deadlines are set per read); go-smtp took 13.9 ms. 16
// KiB keeps 600 idle connections under 10 MB.
const brSize = 16 << 10

// newConn makes the conn for an admitted connection whose banner has
// been written; serve runs it.
func (s *Server) newConn(raw net.Conn, lim store.ConnLimits, info *connInfo, finish func()) *conn {
	c := &conn{raw: raw, info: info, log: s.d.Log, finish: finish}
	c.br, c.bw = s.bufs.get(c)
	c.release = s.bufs.put
	c.t.init(lim, s.d.Now)
	c.s = &session{s: s, c: c, info: info}
	return c
}

// serve runs the command loop until the client quits, a limit ends the
// session, or the connection fails; then it aborts the transaction in
// progress (mail_logs "Message aborted") and lets the connection go.
func (c *conn) serve() {
	defer c.close()
	defer func() {
		// A panic is a seg bug: the client gets a temporary failure,
		// mail_logs a Warning, and the process goes on.
		if r := recover(); r != nil {
			c.log.Warning("smtpd: panic serving %v: %v", c.raw.RemoteAddr(), r)
			c.write("421 4.0.0 Internal server error\r\n")
			c.flush()
			c.hangUp()
		}
	}()
	for !c.hungUp {
		line, err := c.readCommand()
		if err != nil {
			return
		}
		c.command(line)
		if c.closeAfter {
			c.flush()
			c.hangUp()
		}
	}
}

// readCommand reads the next command line and returns it without its
// line end (CRLF; a bare LF is taken too). The time limits are armed
// once for the whole line, so a line dripped a byte at a time does not
// stretch them. A line longer than maxLine ends the session; a last
// line without its line end is no command.
func (c *conn) readCommand() (string, error) {
	if why := c.wait(0); why != endNone {
		return "", c.end(why)
	}
	line, err := c.br.ReadSlice('\n')
	c.t.idleSince.Store(0) // a line that was already buffered read nothing
	if err == bufio.ErrBufferFull || len(line) > maxLine {
		c.write("500 5.4.0 Too long line, closing connection\r\n")
		c.flush()
		c.hangUp()
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// write queues reply text (whole lines, CRLF included).
func (c *conn) write(s string) {
	if !c.hungUp {
		c.bw.WriteString(s)
	}
}

// replyErr writes the reply err stands for; an error that is no
// smtpError is a seg bug and gets a temporary failure.
func (c *conn) replyErr(err error) {
	var se *smtpError
	if errors.As(err, &se) {
		c.write(se.line())
		return
	}
	c.log.Warning("ICID %d smtpd: %v", c.info.icid, err)
	c.write("451 4.3.0 Internal error, try again later\r\n")
}

// flush sends the replies made so far; a connection that cannot take
// them is hung up.
func (c *conn) flush() error {
	if c.hungUp || c.bw.Buffered() == 0 {
		return nil
	}
	if err := c.bw.Flush(); err != nil {
		c.hangUp()
		return err
	}
	return nil
}

// hangUpAfterReply makes the loop close the connection once the reply
// being made has been written: the way a session answers 421 and
// disconnects.
func (c *conn) hangUpAfterReply() { c.closeAfter = true }

func (c *conn) hangUp() {
	if !c.hungUp {
		c.hungUp = true
		c.raw.Close()
	}
}

// close ends the session: the transaction in progress, if any, is
// aborted, and finish runs.
func (c *conn) close() {
	c.s.Reset()
	c.hangUp()
	c.finish()
	if c.release != nil {
		c.release(c.br, c.bw)
		c.br, c.bw, c.release = nil, nil, nil
	}
}

// ehloVerb is the greeting verb the client last used successfully.
func (c *conn) ehloVerb() string { return c.verb }

// startTLS runs STARTTLS (RFC 3207) once tls.go has decided the
// session may: the 220 goes out, the handshake runs on
// the raw connection, the loop's reader and writer move onto the
// tls.Conn, and the session forgets what the client said before
// (section 4.2: the greeting and any transaction; the client must say
// EHLO again). Because the loop owns both buffers, nothing above TLS
// needs adjusting. Input the client sent after STARTTLS but before the
// handshake was pipelined in the clear: resetting br drops it, so it is
// never read as a command inside TLS (the CVE-2011-0411 injection). An
// error means the connection is unusable and must be closed.
func (c *conn) startTLS(cfg *tls.Config) error {
	c.write("220 2.0.0 Ready to start TLS\r\n")
	if err := c.flush(); err != nil {
		return err
	}
	tc := tls.Server(c.raw, cfg)
	c.raw.SetDeadline(c.t.writeDeadline(time.Now()))
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.mu.Lock() // evict sets deadlines on raw
	c.raw = tc
	c.mu.Unlock()
	c.br.Reset(connReader{c})
	c.bw.Reset(connWriter{c})
	c.s.Reset()
	c.s.helo, c.helo, c.verb = "", "", ""
	c.authUser = "" // an AUTH made in the clear is forgotten too (auth.go)
	return nil
}

// connReader is what br reads: the client, behind the time limits. It
// sends the replies made so far before it waits (RFC 2920: a server
// flushes before it blocks on input). Reading message data, it arms the
// limits before each read (idle_timeout per piece of data, data_timeout,
// min_data_rate); reading a command line, readCommand has armed them
// once for the line.
type connReader struct{ c *conn }

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	if err := c.flush(); err != nil {
		return 0, err
	}
	for {
		if c.inData {
			if why := c.wait(354); why != endNone {
				return 0, c.end(why)
			}
		}
		n, err := c.raw.Read(p)
		switch why := c.t.done(n, err); why {
		case endNone:
			return n, err
		case endRetry: // a rate interval ended with enough data
			continue
		default:
			return 0, c.end(why)
		}
	}
}

// connWriter is what bw writes to: each write is bounded
// (timers.writeDeadline).
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	w.c.raw.SetWriteDeadline(w.c.t.writeDeadline(time.Now()))
	return w.c.raw.Write(p)
}
