package smtpsink

import (
	"fmt"
	"net"
	"strings"
)

// Listen opens the sink's TCP listener on addr (HOST:PORT). Unless
// public is set, HOST must be a loopback address or "localhost": the
// sink answers 250 to anyone and prints what it gets, which is no
// service to offer a network.
func Listen(addr string, public bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: want HOST:PORT (e.g. 127.0.0.1:2526): %v", addr, err)
	}
	if !public && !isLoopback(host) {
		return nil, fmt.Errorf("--listen %s: not a loopback address; the sink accepts mail from anyone and prints it: add --public to listen there anyway", addr)
	}
	return net.Listen("tcp", addr)
}

// isLoopback reports whether host (an IP literal or "localhost") is on
// the loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
