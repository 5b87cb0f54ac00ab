// Package netbind binds the appliance's TCP services (SMTP listeners, the
// SSH server, the metrics endpoint, the commit-time bind check) with
// errors an administrator can read: "address already in use", not
// "listen tcp 127.0.0.1:25: bind: address already in use", since the
// caller names the address.
package netbind

import (
	"errors"
	"net"
	"os"
	"strconv"
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

// Replace binds addr for a service that listens on old, bound as
// oldAddr (nil: none yet), before old closes, so that a failure leaves
// the service where it was. Only when old itself holds addr's port
// (127.0.0.1:P to 0.0.0.0:P) is closeOld called first; if the bind then
// still fails, oldAddr is bound again and returned as reopened (nil when
// that failed too: the service is down). On success the caller closes
// old unless closeOld ran.
func Replace(old net.Listener, oldAddr, addr string, closeOld func()) (ln, reopened net.Listener, err error) {
	ln, err = Listen(addr)
	if err == nil || old == nil || !samePort(old.Addr(), addr) {
		return ln, nil, err
	}
	closeOld()
	if ln, err = Listen(addr); err == nil {
		return ln, nil, nil
	}
	reopened, _ = Listen(oldAddr)
	return nil, reopened, err
}

// samePort reports whether a bound address has addr's port.
func samePort(a net.Addr, addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	ta, ok := a.(*net.TCPAddr)
	return err == nil && ok && strconv.Itoa(ta.Port) == port
}
