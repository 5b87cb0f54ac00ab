package segtest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreePort returns a TCP port that is free on 127.0.0.1 now, for an
// appliance's listener or SSH server to bind later. It is chosen below
// the kernel's ephemeral range (ip_local_port_range, 32768-60999 on
// Linux): outgoing connections take their local ports from that range,
// so one of the many clients of a parallel test could otherwise take
// the port between this call and seg's bind (which seg's commit now
// tries at once, refusing a port it cannot bind). Another test may still
// draw the same port; with some 20,000 to choose from, that is rare.
func FreePort(t testing.TB) int {
	t.Helper()
	lo, hi := 20000, ephemeralLow()
	if hi-lo < 1000 {
		return kernelPort(t)
	}
	for range 200 {
		p := lo + rand.IntN(hi-lo)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	return kernelPort(t)
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// kernelPort lets the kernel choose.
func kernelPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
