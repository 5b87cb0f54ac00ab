package smtpsink

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// message is what the sink prints of one received message.
type message struct {
	N      int // counts messages from 1
	Remote string
	Helo   string
	From   string
	Rcpts  []string
	Header []string // the header lines as they came (continuations apart)
	Body   []string // the first lines of the body
	More   int      // body lines not printed
	Bytes  int64
}

// read splits the message data into header and body (RFC 5322 2.1: the
// header ends at the first empty line), keeping bodyLines lines of the
// body and counting the others. It consumes r to the end.
func (m *message) read(r io.Reader, bodyLines int) error {
	br := bufio.NewReader(r)
	inHeader := true
	for {
		line, err := br.ReadString('\n')
		m.Bytes += int64(len(line))
		if line != "" {
			text := strings.TrimRight(line, "\r\n")
			switch {
			case inHeader && text == "":
				inHeader = false
			case inHeader:
				m.Header = append(m.Header, text)
			case len(m.Body) < bodyLines:
				m.Body = append(m.Body, text)
			default:
				m.More++
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// print writes the message to w: a title line, the envelope as the
// client sent it, the header, an empty line and the first body lines.
func (m *message) print(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "=== message %d from %s [%s], %d bytes, answered 250\n", m.N, printable(m.Helo), m.Remote, m.Bytes)
	fmt.Fprintf(&b, "MAIL FROM:<%s>\n", printable(m.From))
	for _, r := range m.Rcpts {
		fmt.Fprintf(&b, "RCPT TO:<%s>\n", printable(r))
	}
	for _, h := range m.Header {
		b.WriteString(printable(h) + "\n")
	}
	b.WriteString("\n")
	for _, l := range m.Body {
		b.WriteString(printable(l) + "\n")
	}
	switch m.More {
	case 0:
	case 1:
		b.WriteString("(1 more line)\n")
	default:
		fmt.Fprintf(&b, "(%d more lines)\n", m.More)
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// printable replaces control characters but tab with '?': what a peer
// sends must not drive the terminal the sink prints on (escape
// sequences).
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || (r >= ' ' && r != 0x7f && !(r >= 0x80 && r < 0xa0)) {
			return r
		}
		return '?'
	}, s)
}
