// Package netbind binds the appliance's TCP services (SMTP listeners, the
// SSH server, the commit-time bind check) with errors an administrator
// can read: "address already in use", not "listen tcp 127.0.0.1:25:
// bind: address already in use", since the caller names the address.
package netbind

import (
	"errors"
	"net"
	"os"
)

// Listen is net.Listen("tcp", addr) with Reason's errors.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, Reason(err)
	}
	return ln, nil
}

// Try binds addr and releases it at once: whether a service could bind
// it now.
func Try(addr string) error {
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

// Reason strips what net.OpError and os.SyscallError add around the
// operating system's error ("listen tcp ADDR:", "bind:").
func Reason(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) && se.Err != nil {
		err = se.Err
	}
	return err
}
