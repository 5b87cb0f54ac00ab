package segtest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FreePort returns a TCP port that is free on 127.0.0.1 now, for an
// appliance's listener or SSH server to bind later. It is chosen below
// the kernel's ephemeral range (ip_local_port_range, 32768-60999 on
// Linux): outgoing connections take their local ports from that range,
// so one of the many clients of a parallel test could otherwise take
// the port between this call and seg's bind (which seg's commit now
// tries at once, refusing a port it cannot bind). A port is handed out
// once per test process (two draws of one test once collided: the
// appliance's listener and a second listener got the same port); another
// test process may still draw it, which with some 12,000 to choose from
// is rare.
func FreePort(t testing.TB) int {
	t.Helper()
	lo, hi := 20000, ephemeralLow()
	if hi-lo < 1000 {
		return kernelPort(t)
	}
	for range 200 {
		p := lo + rand.IntN(hi-lo)
		if !handOut(p) {
			continue
		}
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

// handedOut are the ports FreePort gave out in this test process: a
// process-wide set, as the test binary is one process (like build).
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// handOut reports whether p was not handed out before, and marks it.
func handOut(p int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	if handedOut.ports[p] {
		return false
	}
	handedOut.ports[p] = true
	return true
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
