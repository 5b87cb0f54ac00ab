package segtest

import (
	"net"
	"testing"
)

// FreePort returns a TCP port that is free on 127.0.0.1 now. Another
// process may take it before the caller binds it; on a test machine that
// is rare enough.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
