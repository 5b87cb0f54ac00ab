package delivery

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// client is the client side of one outbound SMTP session (RFC 5321),
// from the greeting on. It is ours rather than go-smtp's Client because
// that one cannot pipeline (RFC 2920) and writes a body a byte at a time
// through textproto's dot writer: with it a relayed message spent a third
// of seg's CPU here, a syscall per command. Replies that are not 2xx/3xx
// as expected come back as *smtp.SMTPError, enhanced code split off, as
// go-smtp's would (smtpFailure reads them); anything else is an I/O or
// protocol error, after which the session is unusable.
type client struct {
	nc  net.Conn
	r   *textproto.Reader
	br  *bufio.Reader
	w   *bufio.Writer
	ext map[string]string // EHLO keywords (upper case) and their parameters

	cmdTimeout  time.Duration // the greeting and each command's reply
	dataTimeout time.Duration // the body and the reply to the final dot
}

func newClient(nc net.Conn, cmdTimeout, dataTimeout time.Duration) *client {
	br := bufio.NewReaderSize(nc, 4096)
	return &client{nc: nc, br: br, r: textproto.NewReader(br), w: bufio.NewWriterSize(nc, 8192),
		cmdTimeout: cmdTimeout, dataTimeout: dataTimeout}
}

// deadline bounds what follows (writes and reads) by d from now.
func (c *client) deadline(d time.Duration) { c.nc.SetDeadline(time.Now().Add(d)) }

// reply reads one reply; expect is textproto's: 2 for any 2xx, 354 for
// exactly 354.
func (c *client) reply(expect int) (string, error) {
	_, msg, err := c.r.ReadResponse(expect)
	return msg, protoErr(err)
}

// send queues one command line; flush sends what is queued.
func (c *client) send(format string, args ...any) {
	fmt.Fprintf(c.w, format, args...)
	c.w.WriteString("\r\n")
}

func (c *client) flush() error { return c.w.Flush() }

// cmd sends one command and reads its reply.
func (c *client) cmd(expect int, format string, args ...any) (string, error) {
	c.deadline(c.cmdTimeout)
	c.send(format, args...)
	if err := c.flush(); err != nil {
		return "", err
	}
	return c.reply(expect)
}

// greet reads the server's 220 greeting.
func (c *client) greet() error {
	c.deadline(c.cmdTimeout)
	_, err := c.reply(220)
	return err
}

// hello says EHLO, or HELO to a server that does not know EHLO (RFC 5321
// section 3.2: 500 or 502), and records the extensions offered.
func (c *client) hello(name string) error {
	msg, err := c.cmd(2, "EHLO %s", name)
	if se := (*smtp.SMTPError)(nil); errors.As(err, &se) && (se.Code == 500 || se.Code == 502) {
		c.ext = nil
		_, err = c.cmd(2, "HELO %s", name)
		return err
	}
	if err != nil {
		return err
	}
	c.ext = map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// has reports whether the server offered the EHLO keyword ext.
func (c *client) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// mailCmd is the MAIL command for a body of size bytes, with the
// parameters the server offers: 8BITMIME (RFC 6152), SIZE (RFC 1870).
func (c *client) mailCmd(from string, size int) string {
	var b strings.Builder
	b.WriteString("MAIL FROM:<")
	b.WriteString(from)
	b.WriteString(">")
	if c.has("8BITMIME") {
		b.WriteString(" BODY=8BITMIME")
	}
	if c.has("SIZE") {
		fmt.Fprintf(&b, " SIZE=%d", size)
	}
	return b.String()
}

// writeBody queues body dot-stuffed (RFC 5321 section 4.5.2) with every
// line ending in CRLF, then the final dot. Lines are copied whole: the
// scan is bytes.IndexByte, not a byte at a time.
func (c *client) writeBody(body []byte) {
	for len(body) > 0 {
		if body[0] == '.' {
			c.w.WriteByte('.')
		}
		i := bytes.IndexByte(body, '\n')
		if i < 0 {
			c.w.Write(body)
			c.w.WriteString("\r\n")
			break
		}
		if i > 0 && body[i-1] == '\r' {
			c.w.Write(body[:i+1])
		} else {
			// A bare LF ends a line too: send it as CRLF.
			c.w.Write(body[:i])
			c.w.WriteString("\r\n")
		}
		body = body[i+1:]
	}
	c.w.WriteString(".\r\n")
}

// quit says QUIT and waits at most d for the reply.
func (c *client) quit(d time.Duration) {
	c.deadline(d)
	c.send("QUIT")
	if c.flush() == nil {
		c.reply(221)
	}
}
