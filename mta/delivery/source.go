package delivery

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// sourceAddr is the local address a connection to dst leaves from, for
// the interface field of the Connection Error line when the connection
// was never made (and so has no local address to ask): src when the
// destination binds one (destconfig source_ip), else the address the
// kernel's routing table picks for dst. Connecting a UDP socket does that
// lookup and sends nothing (connect(2) on a datagram socket only sets the
// default peer). AsyncOS writes its delivery interface's address there;
// the 0.0.0.0 seg wrote before contradicted the New SMTP DCID lines of
// the same destination.
func sourceAddr(dst, src netip.Addr) string {
	if src.IsValid() {
		return src.String()
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		if dst.Is6() {
			return "::"
		}
		return "0.0.0.0"
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().String()
}

// dialDetail is the details field of a Connection Error line: the short
// reason AsyncOS writes there ("details: timeout", "details: EOF",
// "connection refused"; IronPort's spamtowho comments quote real lines),
// not Go's "dial tcp 127.0.0.1:25: connect: connection refused", which
// repeats the address and port the line already has.
func dialDetail(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	if d := connDetail(err); d != err.Error() {
		return d
	}
	// Anything else: the system's own words for it, without Go's
	// "dial tcp ADDR: connect: " prefix.
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
