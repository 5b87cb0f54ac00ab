package smtpd

import (
	"bufio"
	"errors"
	"io"
)

// maxLine is the longest line seg takes, its line end included: a
// command line (RFC 5321 section 4.5.3.1.4 sets 512 octets) or a line of
// message data (section 4.5.3.1.6: 1000). Section 4.5.3.1 lets a server
// take longer ones, and clients that exceed 1000 are common enough: seg
// takes twice that, as it did on go-smtp.
const maxLine = 2000

// errLineTooLong is a line over maxLine: the session ends.
var errLineTooLong = errors.New("smtpd: a line longer than 2000 octets")

// dataReader reads message data (RFC 5321 sections 3.3 and 4.5.2) from
// the connection's buffered reader, a whole line at a time: it removes
// the leading dot of a line that starts with one, and ends at the line
// that is only a dot, CRLF . CRLF. Only CRLF ends a line here: a bare LF
// or CR is data, so "LF . LF" is no end of data (taking it for one is
// how SMTP smuggling works) and stays in the message as sent. It stops
// right after the final dot line, so commands pipelined after the
// message stay in the buffer for the command loop.
type dataReader struct {
	br   *bufio.Reader
	bol  bool   // at the beginning of a line: the start of the data, or after CRLF
	rest []byte // the part of the current line Read has not handed out
	done bool   // the final dot line has been read
	err  error  // sticky: the read error, errLineTooLong
}

func newDataReader(br *bufio.Reader) *dataReader { return &dataReader{br: br, bol: true} }

// Read hands out the message data; io.EOF at the final dot. A read
// error, a line longer than maxLine and the end of the connection
// before the final dot (io.ErrUnexpectedEOF) are errors.
func (d *dataReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(d.rest) == 0 {
			switch {
			case d.done:
				return n, io.EOF
			case d.err != nil:
				return n, d.err
			}
			d.next()
			continue
		}
		m := copy(p[n:], d.rest)
		d.rest = d.rest[m:]
		n += m
	}
	return n, nil
}

// next takes the next line from the buffer. rest points into the
// buffer, which stays valid until the next read: Read hands rest out
// before it asks for another line.
func (d *dataReader) next() {
	line, err := d.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxLine:
		d.err = errLineTooLong
		return
	case err == io.EOF:
		d.err = io.ErrUnexpectedEOF // a last line without its end is no data
		return
	case err != nil:
		d.err = err
		return
	}
	if d.bol && line[0] == '.' {
		if len(line) == 3 && line[1] == '\r' {
			d.done = true
			return
		}
		// Section 4.5.2: "the first character is deleted"; the rest
		// of the line is data, whatever it is.
		line = line[1:]
	}
	d.bol = len(line) >= 2 && line[len(line)-2] == '\r'
	d.rest = line
}

// drain reads the rest of the message, for a session that stopped
// reading early; it returns the error that ended it, nil at the dot.
func (d *dataReader) drain() error {
	if _, err := io.Copy(io.Discard, d); err != nil {
		return err
	}
	return nil
}

// headerRoom is the room readMessage leaves in front of a message for
// the Received header seg writes once the data is in (message.go).
const headerRoom = 512

// readMessage reads r to the end (io.EOF) into one buffer with
// headerRoom free octets in front: the message data is not copied again
// to put the header before it. The buffer starts at a size that holds a
// common message and doubles (append, as io.ReadAll uses it, grows a
// large slice by a quarter: a 1 MB message cost 5 MB of buffers).
func readMessage(r io.Reader) ([]byte, error) {
	b := make([]byte, headerRoom, headerRoom+8<<10)
	for {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), 2*cap(b))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// prepend puts hdr in the room readMessage left before the data in buf
// and returns the whole message; a header longer than the room (a
// client's HELO name of hundreds of octets) costs a copy.
func prepend(buf, hdr []byte) []byte {
	data := buf[headerRoom:]
	if len(hdr) > headerRoom {
		return append(append(make([]byte, 0, len(hdr)+len(data)), hdr...), data...)
	}
	body := buf[headerRoom-len(hdr):]
	copy(body, hdr)
	return body
}
