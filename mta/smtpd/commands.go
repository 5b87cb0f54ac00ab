package smtpd

import (
	"strconv"
	"strings"
)

// The SMTP state machine (RFC 5321 sections 3 and 4.1): one command line
// in, one reply out. Protocol sequencing lives here; what is allowed is
// decided by the session (session.go, envelope.go, rat.go). The replies
// are AsyncOS's where seg knows them (reference, TN214630): the verbs it
// recognises are auth data ehlo helo help mail noop quit rcpt rset
// starttls vrfy; anything else, BDAT and EXPN included, is "500 #5.5.1
// command not recognized", and the 5th such command ends the session.
// Other texts are those seg has always given.

// badCommandLimit is how many unrecognised commands a client may send
// (SPEC 4.2): the last one is answered and the connection closed.
const badCommandLimit = 5

// helpReply lists the commands seg recognises.
const helpReply = "214 2.0.0 Commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET STARTTLS VRFY\r\n"

// parseCommand splits a command line (without its line end) into its
// verb, upper-cased, and its argument, trimmed: a verb, then SP and the
// parameters (RFC 5321 section 4.1.1). A line with no verb, or one glued
// to its argument ("MAILFROM:"), has an unknown verb.
func parseCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), strings.TrimSpace(arg)
}

// command answers one command line.
func (c *conn) command(line string) {
	verb, arg := parseCommand(line)
	c.t.command(verb)
	switch verb {
	case "EHLO", "HELO":
		c.greet(verb, arg)
	case "MAIL":
		c.mail(arg)
	case "RCPT":
		c.rcpt(arg)
	case "DATA":
		c.data(arg)
	case "RSET":
		c.s.Reset()
		c.write("250 2.0.0 Session reset\r\n")
	case "NOOP":
		c.write("250 2.0.0 I have successfully done nothing\r\n")
	case "VRFY":
		// AsyncOS answers VRFY with a 2yz, always (TN214630); 252:
		// cannot verify, will accept (RFC 5321 section 3.5.3).
		c.write("252 2.5.0 Cannot VRFY user, but will accept message\r\n")
	case "HELP":
		c.write(helpReply)
	case "QUIT":
		c.write("221 2.0.0 Bye\r\n")
		c.closeAfter = true
	case "AUTH":
		c.auth(arg)
	case "STARTTLS":
		c.starttls(arg)
	default:
		c.badCommand()
	}
}

func (c *conn) badCommand() {
	c.bad++
	if c.bad >= badCommandLimit {
		c.write("500 #5.5.1 command not recognized\r\n421 Exceeded bad SMTP command limit, disconnecting.\r\n")
		c.closeAfter = true
		return
	}
	c.write("500 #5.5.1 command not recognized\r\n")
}

// greet answers HELO and EHLO. A greeting later in the session resets
// it as RSET does (RFC 5321 section 4.1.4). The first line of the reply
// names this host (section 4.1.1.1; AsyncOS: "250-HOSTNAME"); EHLO then
// lists the extensions: PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES and
// SIZE with the HAT policy's max_message_size (RFC 1870), and no
// CHUNKING: AsyncOS refuses BDAT.
func (c *conn) greet(verb, arg string) {
	domain, _, _ := strings.Cut(arg, " ")
	if domain == "" {
		c.write("501 5.5.2 Domain/address argument required for HELO\r\n")
		return
	}
	c.s.Reset()
	c.helo, c.verb, c.s.helo = domain, verb, domain
	if verb == "HELO" {
		c.write("250 " + c.info.hostname + "\r\n")
		return
	}
	size := "SIZE"
	if c.info.maxSize > 0 {
		size += " " + strconv.FormatInt(c.info.maxSize, 10)
	}
	starttls := ""
	if c.tlsOffered() {
		starttls = "250-STARTTLS\r\n"
	}
	c.write("250-" + c.info.hostname + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n" + starttls + c.ehloAuth() + "250 " + size + "\r\n")
}

// mail answers MAIL FROM: the path and its parameters are parsed here,
// then the session decides.
func (c *conn) mail(arg string) {
	if c.helo == "" {
		c.write("502 5.5.1 Please introduce yourself first.\r\n")
		return
	}
	if c.tlsRequiredFirst() {
		return
	}
	rest, ok := cutPrefixFold(arg, "FROM:")
	if !ok {
		c.write("501 5.5.2 Was expecting MAIL arg syntax of FROM:<address>\r\n")
		return
	}
	if err := c.mailNeedsAuth(); err != nil { // smtpauth_allow required (auth.go)
		c.replyErr(err)
		return
	}
	path, err := c.s.envelopePath("MAIL", rest)
	if err != nil {
		c.replyErr(err)
		return
	}
	size, perr := mailParams(path.Params)
	if perr != nil {
		c.replyErr(perr)
		return
	}
	if err := c.s.Mail(path, size); err != nil {
		c.replyErr(err)
		return
	}
	from := ""
	if !path.Null {
		from = path.Mailbox.String()
	}
	c.write("250 2.0.0 Roger, accepting mail from <" + from + ">\r\n")
}

// rcpt answers RCPT TO, in a transaction.
func (c *conn) rcpt(arg string) {
	if c.s.mid == 0 {
		c.write("502 5.5.1 Missing MAIL FROM command.\r\n")
		return
	}
	rest, ok := cutPrefixFold(arg, "TO:")
	if !ok {
		c.write("501 5.5.2 Was expecting RCPT arg syntax of TO:<address>\r\n")
		return
	}
	path, err := c.s.envelopePath("RCPT", rest)
	if err != nil {
		c.replyErr(err)
		return
	}
	if perr := rcptParams(path.Params); perr != nil {
		c.replyErr(perr)
		return
	}
	if err := c.s.Rcpt(path); err != nil {
		c.replyErr(err)
		return
	}
	c.write("250 2.0.0 I'll make sure <" + path.Mailbox.String() + "> gets this\r\n")
}

// data answers DATA, reads the message and answers its final dot with
// the session's reply. The transaction ends either way.
func (c *conn) data(arg string) {
	if arg != "" {
		c.write("501 5.5.4 DATA command should not have any arguments\r\n")
		return
	}
	if c.s.mid == 0 || len(c.s.rcpts) == 0 {
		c.write("502 5.5.1 Missing RCPT TO command.\r\n")
		return
	}
	c.write("354 Go ahead. End your data with <CR><LF>.<CR><LF>\r\n")
	c.inData = true
	d := newDataReader(c.br)
	err := c.s.Data(d)
	if d.err == nil && !d.done {
		d.drain() // the session stopped at the size limit
	}
	c.inData = false
	if d.err != nil {
		// The data did not end with its dot: the client went away, a
		// limit ended the session (it has said why), or a line was too
		// long. Nothing that follows can be read as commands.
		c.closeAfter = true
	}
	if err == nil {
		c.write("250 2.0.0 OK: queued\r\n")
	} else {
		c.replyErr(err)
	}
	c.s.Reset()
}

// cutPrefixFold is strings.CutPrefix, case-insensitive.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}
