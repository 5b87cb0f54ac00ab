package smtpd

import (
	"bufio"
	"sync"
)

// connBufs recycles the buffers of closed connections: a connection
// takes a 16 KiB reader (brSize) and a 4 KiB writer, and a relay
// client such as smtp-source opens one connection per message. A
// buffer comes back only after its connection is closed and its session
// reset, so no line a session still holds can point into it (sessions
// copy what they keep: the Strings made from ReadSlice's lines).
type connBufs struct {
	readers, writers sync.Pool
}

// get returns a reader and a writer over c's connReader and connWriter.
func (b *connBufs) get(c *conn) (*bufio.Reader, *bufio.Writer) {
	br, _ := b.readers.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(connReader{c}, brSize)
	} else {
		br.Reset(connReader{c})
	}
	bw, _ := b.writers.Get().(*bufio.Writer)
	if bw == nil {
		bw = bufio.NewWriter(connWriter{c})
	} else {
		bw.Reset(connWriter{c})
	}
	return br, bw
}

// put takes back a closed connection's buffers. Reset drops their
// references to the connection (and what is left unread or unsent).
func (b *connBufs) put(br *bufio.Reader, bw *bufio.Writer) {
	if br != nil && br.Size() == brSize {
		br.Reset(nil)
		b.readers.Put(br)
	}
	if bw != nil {
		bw.Reset(nil)
		b.writers.Put(bw)
	}
}
